import { KubeApiError } from '../../../sandbox/kube/errors.js';
import {
  matchesFields,
  matchesLabels,
  parseFieldSelector,
  parseLabelSelector,
} from '../../../sandbox/kube/selectors.js';

describe('label selectors', () => {
  const labels = { app: 'web', tier: 'frontend', version: '3', empty: '' };

  test.each<[string, boolean]>([
    ['', true],
    ['app=web', true],
    ['app==web', true],
    ['app=db', false],
    ['app!=db', true],
    ['app!=web', false],
    ['missing!=x', true],
    ['app in (web,db)', true],
    ['app in (db)', false],
    ['app notin (db, cache)', true],
    ['app notin (web)', false],
    ['missing notin (x)', true],
    ['missing in (x)', false],
    ['tier', true],
    ['missing', false],
    ['!missing', true],
    ['!tier', false],
    ['app=web,tier=frontend', true],
    ['app=web,tier=backend', false],
    ['app = web , tier in ( frontend )', true],
    ['version>2', true],
    ['version<3', false],
    ['empty=', true],
    ['empty in (a,)', true],
  ])('%j selects: %s', (selector, expected) => {
    expect(matchesLabels(parseLabelSelector(selector), labels)).toBe(expected);
  });

  test.each([
    ['app=web,', "found 'end of string', expected: identifier"],
    ['app in web', "found 'web', expected: '('"],
    ['app in ()', "for 'in', 'notin' operators, values set can't be empty"],
    ['app in (a b)', "found 'b', expected: ',' or ')'"],
    ['a b', "found 'b', expected: in, notin, =, ==, !=, gt, lt"],
    ['=x', "found '=', expected: identifier"],
    ['v>x', "for 'Gt', 'Lt' operators, the value must be an integer"],
  ])('%j is a 400', (selector, message) => {
    let err: unknown;
    try {
      parseLabelSelector(selector);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(KubeApiError);
    expect((err as KubeApiError).code).toBe(400);
    expect((err as KubeApiError).message).toBe(`unable to parse requirement: ${message}`);
  });
});

describe('field selectors', () => {
  const supported = new Set(['metadata.name', 'metadata.namespace', 'spec.nodeName']);
  const fields: Record<string, string> = { 'metadata.name': 'a,b', 'metadata.namespace': 'default', 'spec.nodeName': 'node-1' };
  const get = (f: string) => fields[f];

  test.each<[string, boolean]>([
    ['', true],
    ['metadata.namespace=default', true],
    ['metadata.namespace==default', true],
    ['metadata.namespace!=default', false],
    ['metadata.name=a\\,b', true],
    ['metadata.name=a\\,b,spec.nodeName=node-1', true],
    ['metadata.name=a\\,b,spec.nodeName=node-2', false],
  ])('%j selects: %s', (selector, expected) => {
    expect(matchesFields(parseFieldSelector(selector, supported), get)).toBe(expected);
  });

  test.each([
    ['status.phase=Running', 'field label not supported: status.phase'],
    ['metadata.name', "invalid selector: 'metadata.name'; can't understand 'metadata.name'"],
    ['metadata.name=a\\b', 'invalid field selector: invalid escape sequence: \\b'],
  ])('%j is a 400', (selector, message) => {
    let err: unknown;
    try {
      parseFieldSelector(selector, supported);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(KubeApiError);
    expect(err).toMatchObject({ code: 400, message });
  });
});

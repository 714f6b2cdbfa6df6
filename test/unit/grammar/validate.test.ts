import { GrammarProblem } from '../../../src/domain/grammar/problem.js';
import {
  checkClusterName,
  checkDeploymentName,
  checkJobId,
  checkNamespace,
  checkServiceName,
  isClusterName,
  isDeploymentName,
  isJobId,
  isLabelKey,
  isLabelValue,
  isNamespaceName,
  isPortName,
  isServiceName,
  parseSelector,
  parseServiceType,
} from '../../../src/domain/grammar/validate.js';

/** The GrammarProblem `fn` throws, as plain data. */
function problemOf(fn: () => unknown): { problem: string; suggestion?: string } {
  try {
    fn();
  } catch (err) {
    if (!(err instanceof GrammarProblem)) throw err;
    return err.suggestion === undefined ? { problem: err.problem } : { problem: err.problem, suggestion: err.suggestion };
  }
  throw new Error('expected a GrammarProblem');
}

const x = (n: number, ch = 'a'): string => ch.repeat(n);

describe('name predicates', () => {
  test.each<[string, (v: string) => boolean, string[], string[]]>([
    [
      'Service name (DNS-1035 label)',
      isServiceName,
      ['a', 'alpine-service', 'a1', 'a-1-b', x(63)],
      ['', 'Alpine', '1abc', '-a', 'a-', 'a_b', 'a.b', x(64), 'a b', 'ä', '<@U123>'],
    ],
    [
      'namespace (DNS-1123 label)',
      isNamespaceName,
      ['default', 'kube-system', '1abc', '0', x(63)],
      ['', 'Default', '-a', 'a-', 'a.b', 'a_b', x(64)],
    ],
    ['cluster name', isClusterName, ['prod', 'prod-eu-1', '1st', x(100)], ['', 'Prod', '-a', 'a-', 'a.b', 'a_b']],
    [
      'deployment name (DNS-1123 subdomain)',
      isDeploymentName,
      ['web', 'my.app', '1.2', `${x(63)}.${x(63)}.${x(63)}.${x(61)}`],
      ['', 'Web', 'a..b', '.a', 'a.', '-a', 'a_b', `${x(63)}.${x(63)}.${x(63)}.${x(62)}`],
    ],
    [
      'label key',
      isLabelKey,
      ['app', 'App', 'app.kubernetes.io/name', 'a_b.c-d', 'x/Y', 'tier9', x(63), `${x(253)}/${x(63)}`],
      ['', '/app', 'a/', 'a/b/c', '_app', 'app_', 'Example.com/app', `${x(254)}/a`, x(64), 'a b', 'a=b'],
    ],
    ['label value', isLabelValue, ['', 'alpine', 'Alpine_1.2-x', x(63)], ['-a', 'a-', '_', 'a b', 'a/b', x(64), 'a=b']],
    [
      'port name (IANA_SVC_NAME)',
      isPortName,
      ['http', 'h2', 'a', 'my-port', 'x1-2', x(15)],
      ['', '80', '1-2', 'HTTP', 'my--port', '-http', 'http-', 'my_port', x(16), 'h.2'],
    ],
    ['job ID', isJobId, ['42', 'abc', 'repeat:x:1', 'a_b.c-d', x(128)], ['', '-1', ':a', 'a b', 'a/b', x(129)]],
  ])('%s', (_what, predicate, valid, invalid) => {
    for (const v of valid) expect([v, predicate(v)]).toEqual([v, true]);
    for (const v of invalid) expect([v, predicate(v)]).toEqual([v, false]);
  });
});

const SERVICE_RULE = 'use lowercase letters, digits and "-", starting with a letter, at most 63 characters';
const LABEL_RULE = 'use lowercase letters, digits and "-", starting and ending with a letter or digit';

describe('check* messages', () => {
  test.each([
    [() => checkServiceName('Alpine'), { problem: `"Alpine" is not a valid Service name: ${SERVICE_RULE}`, suggestion: 'alpine' }],
    [() => checkServiceName('my_svc'), { problem: `"my_svc" is not a valid Service name: ${SERVICE_RULE}`, suggestion: 'my-svc' }],
    [() => checkServiceName('svc/web'), { problem: `"svc/web" is not a valid Service name: ${SERVICE_RULE}`, suggestion: 'web' }],
    [() => checkServiceName('1abc'), { problem: `"1abc" is not a valid Service name: ${SERVICE_RULE}` }],
    [() => checkServiceName(''), { problem: `"" is not a valid Service name: ${SERVICE_RULE}` }],
    [
      () => checkServiceName('web-'),
      { problem: `"web-" is not a valid Service name: ${SERVICE_RULE} (and must not end with "-")`, suggestion: 'web' },
    ],
    [
      () => checkServiceName(x(64)),
      { problem: `"${x(59)}…" is not a valid Service name: ${SERVICE_RULE} (it has 64)` },
    ],
    [
      () => checkServiceName('<@U123>'),
      { problem: `"<@U123>" is not a valid Service name (Slack sent it as a mention): ${SERVICE_RULE}` },
    ],
    [
      () => checkServiceName('<http://a.io|a.io>'),
      { problem: `"<http://a.io|a.io>" is not a valid Service name (Slack sent it as a link): ${SERVICE_RULE}` },
    ],
    [
      () => checkNamespace('Kube_System'),
      { problem: `"Kube_System" is not a valid namespace: ${LABEL_RULE}, at most 63 characters`, suggestion: 'kube-system' },
    ],
    [
      () => checkNamespace(x(70)),
      { problem: `"${x(59)}…" is not a valid namespace: ${LABEL_RULE}, at most 63 characters (it has 70)` },
    ],
    [() => checkClusterName('Prod'), { problem: `"Prod" is not a valid cluster name: ${LABEL_RULE}`, suggestion: 'prod' }],
    [
      () => checkClusterName('<#C1|general>'),
      { problem: `"<#C1|general>" is not a valid cluster name (Slack sent it as a mention): ${LABEL_RULE}` },
    ],
    [
      () => checkDeploymentName('Web'),
      {
        problem:
          '"Web" is not a valid deployment name: use lowercase letters, digits, "-" and ".", starting and ending with a letter or digit, at most 253 characters',
      },
    ],
    [
      () => checkJobId('a b'),
      {
        problem:
          '"a b" is not a valid job ID: use the ID exactly as the job list shows it (letters, digits, "-", "_", "." and ":")',
      },
    ],
  ])('%#', (fn, expected) => {
    expect(problemOf(fn)).toEqual(expected);
  });

  test('valid values come back unchanged', () => {
    expect(checkServiceName('alpine-service')).toBe('alpine-service');
    expect(checkNamespace('kube-system')).toBe('kube-system');
    expect(checkClusterName('prod-eu')).toBe('prod-eu');
    expect(checkDeploymentName('my.app')).toBe('my.app');
    expect(checkJobId('42')).toBe('42');
  });
});

describe('parseServiceType', () => {
  test.each([
    ['ClusterIP', 'ClusterIP'],
    ['clusterip', 'ClusterIP'],
    ['CLUSTERIP', 'ClusterIP'],
    ['cluster-ip', 'ClusterIP'],
    ['cip', 'ClusterIP'],
    ['NodePort', 'NodePort'],
    ['nodeport', 'NodePort'],
    ['node-port', 'NodePort'],
    ['np', 'NodePort'],
    ['NP', 'NodePort'],
    ['LoadBalancer', 'LoadBalancer'],
    ['loadbalancer', 'LoadBalancer'],
    ['load-balancer', 'LoadBalancer'],
    ['lb', 'LoadBalancer'],
    ['LB', 'LoadBalancer'],
  ])('%s -> %s', (input, expected) => {
    expect(parseServiceType(input)).toBe(expected);
  });

  test.each([
    ['loadbalancr', { problem: '"loadbalancr" is not a Service type: use clusterip, nodeport or loadbalancer', suggestion: 'loadbalancer' }],
    ['nodeprt', { problem: '"nodeprt" is not a Service type: use clusterip, nodeport or loadbalancer', suggestion: 'nodeport' }],
    ['public', { problem: '"public" is not a Service type: use clusterip, nodeport or loadbalancer' }],
    [
      'ExternalName',
      {
        problem:
          "svcbot never makes ExternalName Services: they send a name to any host you like, past the cluster's own routing; use clusterip, nodeport or loadbalancer",
      },
    ],
    [
      'external-name',
      {
        problem:
          "svcbot never makes ExternalName Services: they send a name to any host you like, past the cluster's own routing; use clusterip, nodeport or loadbalancer",
      },
    ],
  ])('%s is refused', (input, expected) => {
    expect(problemOf(() => parseServiceType(input))).toEqual(expected);
  });
});

describe('parseSelector', () => {
  test.each<[string[], Record<string, string>]>([
    [['app=alpine'], { app: 'alpine' }],
    [['app=alpine,tier=web'], { app: 'alpine', tier: 'web' }],
    [['app=alpine, tier=web'], { app: 'alpine', tier: 'web' }], // quoted, with a space
    [['app=alpine', 'tier=web'], { app: 'alpine', tier: 'web' }], // repeated --selector
    [['app=alpine', 'app=alpine'], { app: 'alpine' }], // same key, same value: fine
    [['app.kubernetes.io/name=web'], { 'app.kubernetes.io/name': 'web' }],
    [['app='], { app: '' }], // an empty value is a value
    [['app==alpine'], { app: 'alpine' }], // kubectl's "==" is "="
    [['constructor=x,toString=y'], { constructor: 'x', toString: 'y' }], // no prototype surprises
  ])('%j', (input, expected) => {
    expect(parseSelector(input)).toEqual(expected);
  });

  const KEY_RULE =
    'use at most 63 letters, digits, "-", "_" and ".", starting and ending with a letter or digit, optionally after a DNS prefix and "/" (e.g. app.kubernetes.io/name)';
  const VALUE_RULE =
    'use at most 63 letters, digits, "-", "_" and ".", starting and ending with a letter or digit, or leave it empty';
  test.each<[string[], { problem: string; suggestion?: string }]>([
    [['app=a,'], { problem: '--selector "app=a," has an empty entry: remove the extra ","' }],
    [[',app=a'], { problem: '--selector ",app=a" has an empty entry: remove the extra ","' }],
    [['app'], { problem: '--selector "app" is not KEY=VALUE (e.g. --selector app=alpine)' }],
    [['app:alpine'], { problem: '--selector "app:alpine" is not KEY=VALUE (e.g. --selector app=alpine)', suggestion: 'app=alpine' }],
    [
      ['<@U1>'],
      { problem: '--selector "<@U1>" (Slack sent it as a mention) is not KEY=VALUE (e.g. --selector app=alpine)' },
    ],
    [['app!=a'], { problem: '--selector "app!=a": a Service selects pods by exact labels only: use KEY=VALUE' }],
    [['!app'], { problem: '--selector "!app": a Service selects pods by exact labels only: use KEY=VALUE' }],
    [['tier in (a b)'], { problem: '--selector "tier in (a b)": a Service selects pods by exact labels only: use KEY=VALUE' }],
    [['=alpine'], { problem: 'a selector entry has no key before "=": use KEY=VALUE, e.g. app=alpine' }],
    [['_app=a'], { problem: `"_app" is not a valid label key: ${KEY_RULE}` }],
    [['a/b/c=a'], { problem: `"a/b/c" is not a valid label key: ${KEY_RULE}` }],
    [
      ['Example.com/app=a'],
      {
        problem:
          '"Example.com/app" is not a valid label key: the prefix before "/" must be a DNS subdomain (lowercase letters, digits, "-" and ".", at most 253 characters)',
      },
    ],
    [['app=a b'], { problem: `"a b" is not a valid label value for "app": ${VALUE_RULE}` }],
    [['app=-a'], { problem: `"-a" is not a valid label value for "app": ${VALUE_RULE}` }],
    [[`app=${x(64)}`], { problem: `"${x(59)}…" is not a valid label value for "app": ${VALUE_RULE} (it has 64)` }],
    [
      ['app=<http://a.io|a.io>'],
      { problem: `"<http://a.io|a.io>" is not a valid label value for "app" (Slack sent it as a link): ${VALUE_RULE}` },
    ],
    [
      ['app=a', 'app=b'],
      { problem: 'selector key "app" is given twice with different values ("a" and "b"): a label has one value per pod' },
    ],
    [
      ['app=a,app=b'],
      { problem: 'selector key "app" is given twice with different values ("a" and "b"): a label has one value per pod' },
    ],
  ])('%j is refused', (input, expected) => {
    expect(problemOf(() => parseSelector(input))).toEqual(expected);
  });
});

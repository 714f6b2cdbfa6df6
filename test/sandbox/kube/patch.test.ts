import {
  PatchError,
  applyJsonPatch,
  applyMergePatch,
  applyStrategicMergePatch,
  patchMetaFor,
} from '../../../sandbox/kube/patch.js';

const service = patchMetaFor('Service');
const pod = patchMetaFor('Pod');
const deployment = patchMetaFor('Deployment');

describe('JSON merge patch (RFC 7386)', () => {
  test.each([
    ['adds and replaces keys', { a: 1, b: { c: 2 } }, { b: { d: 3 }, e: 4 }, { a: 1, b: { c: 2, d: 3 }, e: 4 }],
    ['null removes a key', { a: 1, b: 2 }, { a: null }, { b: 2 }],
    ['lists are replaced', { l: [1, 2, 3] }, { l: [4] }, { l: [4] }],
    ['a scalar replaces an object', { a: { b: 1 } }, { a: 'x' }, { a: 'x' }],
    ['an object replaces a scalar', { a: 'x' }, { a: { b: 1 } }, { a: { b: 1 } }],
    ['nested null on a missing key is a no-op', { a: 1 }, { b: { c: null } }, { a: 1, b: {} }],
  ])('%s', (_name, target, patch, expected) => {
    const before = JSON.stringify(target);
    expect(applyMergePatch(target, patch)).toEqual(expected);
    expect(JSON.stringify(target)).toBe(before);
  });
});

describe('JSON patch (RFC 6902)', () => {
  const doc = { metadata: { name: 'x', labels: { a: '1' } }, spec: { ports: [{ port: 80 }, { port: 443 }] } };

  test.each([
    ['add a map key', [{ op: 'add', path: '/metadata/labels/b', value: '2' }], { metadata: { name: 'x', labels: { a: '1', b: '2' } } }],
    ['add to the end of a list', [{ op: 'add', path: '/spec/ports/-', value: { port: 8080 } }], { spec: { ports: [{ port: 80 }, { port: 443 }, { port: 8080 }] } }],
    ['insert into a list', [{ op: 'add', path: '/spec/ports/0', value: { port: 1 } }], { spec: { ports: [{ port: 1 }, { port: 80 }, { port: 443 }] } }],
    ['remove', [{ op: 'remove', path: '/spec/ports/1' }], { spec: { ports: [{ port: 80 }] } }],
    ['replace', [{ op: 'replace', path: '/spec/ports/0/port', value: 81 }], { spec: { ports: [{ port: 81 }, { port: 443 }] } }],
    ['escaped keys', [{ op: 'add', path: '/metadata/labels/app.kubernetes.io~1name', value: 'y' }], { metadata: { name: 'x', labels: { a: '1', 'app.kubernetes.io/name': 'y' } } }],
    ['move', [{ op: 'move', from: '/metadata/labels/a', path: '/metadata/labels/z' }], { metadata: { name: 'x', labels: { z: '1' } } }],
    ['copy', [{ op: 'copy', from: '/spec/ports/0', path: '/spec/ports/-' }], { spec: { ports: [{ port: 80 }, { port: 443 }, { port: 80 }] } }],
    ['test then replace', [{ op: 'test', path: '/metadata/name', value: 'x' }, { op: 'replace', path: '/metadata/name', value: 'y' }], { metadata: { name: 'y', labels: { a: '1' } } }],
  ])('%s', (_name, ops, expected) => {
    expect(applyJsonPatch(doc, ops)).toMatchObject(expected);
    expect(doc.spec.ports).toHaveLength(2);
  });

  test.each([
    ['a failed test', [{ op: 'test', path: '/metadata/name', value: 'nope' }], 422, 'testing value /metadata/name failed: test failed'],
    ['removing a missing path', [{ op: 'remove', path: '/metadata/nope' }], 422, 'jsonpatch remove operation does not apply: doc is missing path: "/metadata/nope"'],
    ['replacing a missing key', [{ op: 'replace', path: '/spec/nope', value: 1 }], 422, 'jsonpatch replace operation does not apply: doc is missing key: /spec/nope'],
    ['adding under a missing parent', [{ op: 'add', path: '/a/b/c', value: 1 }], 422, 'jsonpatch add operation does not apply: doc is missing path: "/a/b/c"'],
    ['an index out of range', [{ op: 'add', path: '/spec/ports/5', value: 1 }], 422, 'doc is missing path'],
    ['an unknown op', [{ op: 'frobnicate', path: '/a' }], 400, 'Unexpected kind: frobnicate'],
    ['a missing value', [{ op: 'add', path: '/a' }], 400, 'missing "value"'],
    ['not a list', { op: 'add' }, 400, 'cannot unmarshal object'],
    ['a bad pointer', [{ op: 'remove', path: 'a' }], 400, 'JSON pointer must be empty or start with a "/"'],
  ])('refuses %s', (_name, ops, code, message) => {
    let err: unknown;
    try {
      applyJsonPatch(doc, ops);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PatchError);
    expect((err as PatchError).code).toBe(code);
    expect((err as PatchError).message).toContain(message);
  });
});

describe('strategic merge patch', () => {
  const svcDoc = {
    metadata: { name: 'web', labels: { a: '1', b: '2' }, finalizers: ['x/a', 'x/b', 'x/c'] },
    spec: {
      type: 'LoadBalancer',
      selector: { app: 'web' },
      ports: [
        { name: 'http', port: 80, targetPort: 8080, nodePort: 30080 },
        { name: 'https', port: 443, targetPort: 8443, nodePort: 30443 },
      ],
      externalIPs: ['1.1.1.1', '2.2.2.2'],
    },
  };

  test.each<[string, unknown, unknown]>([
    [
      'merges ports by the merge key `port`, keeping fields the patch omits',
      { spec: { ports: [{ port: 443, targetPort: 9443 }] } },
      { spec: { ports: [{ name: 'http', port: 80, targetPort: 8080, nodePort: 30080 }, { name: 'https', port: 443, targetPort: 9443, nodePort: 30443 }] } },
    ],
    [
      // The apiserver orders the patch's elements before the server-only ones it cannot place.
      'adds a port with a new key, ahead of the existing ones',
      { spec: { ports: [{ name: 'metrics', port: 9090 }] } },
      { spec: { ports: [{ name: 'metrics', port: 9090 }, { port: 80 }, { port: 443 }] } },
    ],
    [
      '$patch: delete removes the element with that key',
      { spec: { ports: [{ port: 80, $patch: 'delete' }] } },
      { spec: { ports: [{ name: 'https', port: 443, targetPort: 8443, nodePort: 30443 }] } },
    ],
    [
      '$patch: replace in a list replaces the whole list',
      { spec: { ports: [{ port: 8080 }, { $patch: 'replace' }] } },
      { spec: { ports: [{ port: 8080 }] } },
    ],
    [
      '$patch: replace in a map replaces the map',
      { spec: { selector: { $patch: 'replace', tier: 'db' } } },
      { spec: { selector: { tier: 'db' } } },
    ],
    ['null deletes a field', { metadata: { labels: { a: null } } }, { metadata: { labels: { b: '2' } } }],
    ['lists without a merge strategy are replaced', { spec: { externalIPs: ['3.3.3.3'] } }, { spec: { externalIPs: ['3.3.3.3'] } }],
    [
      'finalizers merge as a set',
      { metadata: { finalizers: ['x/b', 'x/d'] } },
      // server-only x/a and x/c keep their relative place around the patch's x/b, x/d
      { metadata: { finalizers: ['x/a', 'x/b', 'x/d', 'x/c'] } },
    ],
    [
      '$deleteFromPrimitiveList removes values from a set',
      { metadata: { '$deleteFromPrimitiveList/finalizers': ['x/a', 'x/c'] } },
      { metadata: { finalizers: ['x/b'] } },
    ],
    [
      '$setElementOrder orders a list of maps',
      { spec: { '$setElementOrder/ports': [{ port: 443 }, { port: 80 }] } },
      { spec: { ports: [{ name: 'https', port: 443 }, { name: 'http', port: 80 }] } },
    ],
    [
      '$setElementOrder with new and changed elements (what kubectl apply sends)',
      { spec: { '$setElementOrder/ports': [{ port: 80 }, { port: 9090 }], ports: [{ port: 9090, name: 'metrics' }, { port: 443, $patch: 'delete' }] } },
      { spec: { ports: [{ name: 'http', port: 80, targetPort: 8080, nodePort: 30080 }, { name: 'metrics', port: 9090 }] } },
    ],
    [
      '$setElementOrder orders a primitive list, server-only items keep their place',
      { metadata: { '$setElementOrder/finalizers': ['x/c', 'x/a'] } },
      { metadata: { finalizers: ['x/b', 'x/c', 'x/a'] } },
    ],
    [
      'directives inside new fields are applied, not stored',
      { metadata: { annotations: { keep: 'v', gone: null } } },
      { metadata: { annotations: { keep: 'v' } } },
    ],
  ])('%s', (_name, patch, expected) => {
    const before = JSON.stringify(svcDoc);
    const result = applyStrategicMergePatch(svcDoc, patch, service) as Record<string, unknown>;
    expect(result).toMatchObject(expected as Record<string, unknown>);
    expect(JSON.stringify(result)).not.toContain('$');
    expect(JSON.stringify(svcDoc)).toBe(before);
  });

  test('$patch: delete of a map field really removes the key', () => {
    const result = applyStrategicMergePatch(svcDoc, { spec: { selector: { $patch: 'delete' } } }, service) as { spec: object };
    expect(result.spec).not.toHaveProperty('selector');
  });

  test('ports keep their order when the patch names the same ports in another order without $setElementOrder', () => {
    const result = applyStrategicMergePatch(svcDoc, { spec: { ports: [{ port: 443 }, { port: 80 }] } }, service) as {
      spec: { ports: { port: number }[] };
    };
    // Patch order wins for the elements the patch names.
    expect(result.spec.ports.map((p) => p.port)).toEqual([443, 80]);
  });

  test('$retainKeys clears the fields it does not list (Deployment strategy union)', () => {
    const doc = { spec: { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1 } } } };
    const result = applyStrategicMergePatch(doc, { spec: { strategy: { $retainKeys: ['type'], type: 'Recreate' } } }, deployment);
    expect(result).toEqual({ spec: { strategy: { type: 'Recreate' } } });
  });

  test('$retainKeys must list every field the patch sets', () => {
    const doc = { spec: { strategy: { type: 'RollingUpdate' } } };
    expect(() => applyStrategicMergePatch(doc, { spec: { strategy: { $retainKeys: ['type'], rollingUpdate: {} } } }, deployment)).toThrow(
      new PatchError('RetainKeys error: some fields in the patch are not present in the retainKeys list', 422),
    );
  });

  test('pod containers merge by name and their ports by containerPort', () => {
    const doc = { spec: { containers: [{ name: 'a', image: 'a:1', ports: [{ containerPort: 80 }] }, { name: 'b', image: 'b:1' }] } };
    const result = applyStrategicMergePatch(doc, { spec: { containers: [{ name: 'a', image: 'a:2', ports: [{ containerPort: 81 }] }] } }, pod);
    expect(result).toEqual({
      spec: { containers: [{ name: 'a', image: 'a:2', ports: [{ containerPort: 81 }, { containerPort: 80 }] }, { name: 'b', image: 'b:1' }] },
    });
  });

  test.each<[string, unknown, number, string]>([
    ['an element without the merge key', { spec: { ports: [{ name: 'x' }] } }, 400, 'does not contain declared merge key: port'],
    ['a deletion without the merge key', { spec: { ports: [{ $patch: 'delete' }] } }, 400, 'does not contain declared merge key: port'],
    ['an unknown directive', { spec: { selector: { $patch: 'explode' } } }, 400, 'Unknown patch type'],
    ['a patch that is not an object', ['x'], 400, 'must be a JSON object'],
    ['$setElementOrder disagreeing with the patch list', { spec: { '$setElementOrder/ports': [{ port: 80 }], ports: [{ port: 443 }] } }, 400, '$setElementOrder'],
  ])('refuses %s', (_name, patch, code, message) => {
    let err: unknown;
    try {
      applyStrategicMergePatch(svcDoc, patch, service);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PatchError);
    expect(err).toMatchObject({ code });
    expect((err as Error).message).toContain(message);
  });
});

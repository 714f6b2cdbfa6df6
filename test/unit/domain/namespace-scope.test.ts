/** A namespaced install's gateway (src/domain/namespace-scope.ts), over the in-memory cluster. */
import { BotError } from '../../../src/domain/errors.js';
import { serviceManifest } from '../../../src/domain/manifest.js';
import { inScope, scopeToNamespaces } from '../../../src/domain/namespace-scope.js';
import type { ClusterGateway } from '../../../src/ports/cluster.js';
import { InMemoryCluster } from '../../fakes/in-memory-cluster.js';

const spec = (namespace: string, name: string) =>
  serviceManifest({ name, namespace, selector: { app: 'x' }, ports: [{ port: 80, protocol: 'TCP' }], type: 'ClusterIP' });

async function seeded(): Promise<ClusterGateway> {
  const cluster = new InMemoryCluster({ name: 'prod' }).addNamespace('team-a').addNamespace('team-b').addNamespace('other');
  for (const [namespace, name] of [['team-a', 'a1'], ['team-b', 'b1'], ['other', 'o1']] as const) await cluster.createService(spec(namespace, name));
  return cluster;
}

test('undefined namespaces: the gateway itself (every namespace)', async () => {
  const cluster = await seeded();
  expect(scopeToNamespaces(cluster, undefined)).toBe(cluster);
  expect(inScope(undefined, 'anything')).toBe(true);
});

test('"every namespace" lists the configured ones, one list each', async () => {
  const scoped = scopeToNamespaces(await seeded(), ['team-a', 'team-b']);
  expect((await scoped.listServices(null)).map((s) => `${s.namespace}/${s.name}`).sort()).toEqual(['team-a/a1', 'team-b/b1']);
  expect((await scoped.listServices('team-b')).map((s) => s.name)).toEqual(['b1']);
});

test('every call about another namespace is refused in words, and reaches nothing', async () => {
  const cluster = await seeded();
  const scoped = scopeToNamespaces(cluster, ['team-a', 'team-b']);
  // [call, a change (its refusal says nothing was changed)]
  const calls: [string, () => Promise<unknown>, boolean][] = [
    ['createService', () => scoped.createService(spec('other', 'new')), true],
    ['getService', () => scoped.getService('other', 'o1'), false],
    ['listServices', () => scoped.listServices('other'), false],
    ['setServiceType', () => scoped.setServiceType('other', 'o1', 'NodePort'), true],
    ['deleteService', () => scoped.deleteService('other', 'o1'), true],
    ['getDeploymentSelector', () => scoped.getDeploymentSelector('other', 'd'), false],
    ['listServiceEndpoints', () => scoped.listServiceEndpoints('other', 'o1'), false],
    ['listServiceEvents', () => scoped.listServiceEvents('other', 'o1'), false],
  ];
  for (const [what, call, change] of calls) {
    const err = await call().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect([what, err]).toEqual([what, expect.any(BotError)]);
    expect((err as BotError).code).toBe('not_allowed');
    expect((err as BotError).userMessage).toMatch(/^svcbot works only in namespaces `team-a`, `team-b` on cluster `prod`, not in `other`\. /);
    expect([what, (err as BotError).userMessage.includes('Nothing was changed.')]).toEqual([what, change]);
  }
  expect((await cluster.getService('other', 'o1')).type).toBe('ClusterIP');
  await expect(cluster.getService('other', 'new')).rejects.toMatchObject({ code: 'not_found' });
  // Nodes have no namespace.
  await expect(scoped.listNodes()).resolves.toEqual(await cluster.listNodes());
});

test('one namespace is named in the singular', async () => {
  const scoped = scopeToNamespaces(await seeded(), ['team-a']);
  await expect(scoped.getService('team-b', 'b1')).rejects.toMatchObject({ userMessage: expect.stringMatching(/^svcbot works only in namespace `team-a` on cluster `prod`/) });
});

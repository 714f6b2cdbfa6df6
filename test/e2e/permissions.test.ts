/**
 * svcbot under manifests/'s permissions: every end-to-end test's sandbox enforces manifests/rbac/cluster-wide/rbac.yaml
 * and manifests/iam-policy.json on svcbot (test/helpers/bot.ts), and a bot's stop() fails on any request
 * they refused. Here: that this catches a missing grant (the Service watch's `watch`, which a regex over
 * the adapter once missed), and that the shipped RBAC grants what `kubectl auth can-i` is asked for.
 */
import * as k8s from '@kubernetes/client-node';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { startBot, type BotUnderTest } from '../helpers/bot.js';
import { waitFor } from '../helpers/wait.js';

const SERVICE_ACCOUNT = 'system:serviceaccount:svcbot:svcbot';
const shippedRbac = readFileSync(resolve(import.meta.dirname, '../../manifests/rbac/cluster-wide/rbac.yaml'), 'utf8');

test('a grant missing from the RBAC is a refusal, and the bot under test fails when it stops', async () => {
  const withoutWatch = shippedRbac.replace('list, watch,', 'list,');
  expect(withoutWatch).not.toBe(shippedRbac);
  const bot = await startBot({ sandbox: { rbac: { yaml: withoutWatch, as: SERVICE_ACCOUNT } }, approvals: false });
  // A load balancer's job waits on the worker's Service watch.
  await bot.command('create perm-lb --selector app=alpine --port 80 --type lb');
  await waitFor(() => bot.sandbox.refusals.length > 0, { what: 'the Service watch to be refused' });
  await expect(bot.stop()).rejects.toThrow(
    `services is forbidden: User "${SERVICE_ACCOUNT}" cannot watch resource "services" in API group "" at the cluster scope`,
  );
});

describe('under manifests/ as shipped', () => {
  let bot: BotUnderTest;
  beforeAll(async () => {
    bot = await startBot({ approvals: false });
  });
  afterAll(() => bot.stop());

  test('svcbot\'s kubeconfig may do what the code does (SelfSubjectAccessReview, as kubectl auth can-i asks), and nothing the issue rules out', async () => {
    const kc = new k8s.KubeConfig();
    kc.loadFromString(bot.sandbox.kubeconfigYaml);
    const authz = kc.makeApiClient(k8s.AuthorizationV1Api);
    const can = async (verb: string, resource: string, extra: Partial<k8s.V1ResourceAttributes> = {}) =>
      (await authz.createSelfSubjectAccessReview({ body: { spec: { resourceAttributes: { verb, resource, ...extra } } } })).status?.allowed;
    for (const verb of ['get', 'list', 'watch', 'create', 'patch', 'delete']) expect([verb, await can(verb, 'services')]).toEqual([verb, true]);
    expect(await can('list', 'nodes')).toBe(true);
    expect(await can('list', 'endpointslices', { group: 'discovery.k8s.io', namespace: 'default' })).toBe(true);
    expect(await can('get', 'deployments', { group: 'apps', namespace: 'default' })).toBe(true);
    expect(await can('patch', 'services', { subresource: 'status', namespace: 'default' })).toBe(false);
    expect(await can('create', 'endpointslices', { group: 'discovery.k8s.io', namespace: 'default' })).toBe(false);
    expect(await can('get', 'secrets', { namespace: 'svcbot' })).toBe(false);
  });

  test('a NodePort Service created, described and deleted from chat: nothing refused', async () => {
    const reply = (responseId: string) => bot.slack.waitForCall((c) => c.method === 'response_url' && c.responseId === responseId);
    await bot.command('create perm-np --selector app=alpine --port 80 --type nodeport');
    await waitFor(() => bot.sandbox.cluster.getService('default', 'perm-np')?.spec.type === 'NodePort', { what: 'the NodePort Service' });
    const described = await reply((await bot.command('describe perm-np')).responseId);
    expect(String(described.body.text) + JSON.stringify(described.body.blocks ?? [])).toContain('perm-np');
    await bot.command('delete perm-np');
    await waitFor(() => bot.sandbox.cluster.getService('default', 'perm-np') === undefined, { what: 'the Service to go' });
    expect(bot.sandbox.refusals).toEqual([]);
  });
});

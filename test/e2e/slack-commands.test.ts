/**
 * svcbot driven as Slack drives it: signed, form-encoded slash commands over HTTP; replies checked at a
 * local stand-in for Slack's Web API and response_url; the cluster's state checked in the sandbox.
 */
import * as k8s from '@kubernetes/client-node';
import { SIGNING_SECRET, startBot, type BotUnderTest } from '../helpers/bot.js';
import { postSigned, slackSignature, slashCommandBody } from '../helpers/slack-request.js';
import type { RecordedCall } from '../helpers/slack-stub.js';
import { waitFor } from '../helpers/wait.js';

let bot: BotUnderTest;

beforeAll(async () => {
  bot = await startBot();
});
afterAll(() => bot.stop());
afterEach(() => bot.sandbox.faults.reset());

function reply(responseId: string): Promise<RecordedCall> {
  return bot.slack.waitForCall((c) => c.method === 'response_url' && c.responseId === responseId);
}

function channelPost(predicate: (text: string) => boolean): Promise<RecordedCall> {
  return bot.slack.waitForCall((c) => c.method === 'chat.postMessage' && predicate(String(c.body.text)));
}

function allText(call: RecordedCall): string {
  return `${String(call.body.text)}\n${JSON.stringify(call.body.blocks ?? [])}`;
}

const svc = (namespace: string, name: string) => bot.sandbox.cluster.getService(namespace, name);

/** The approval request svcbot posted in the channel for request `id`, and its buttons. */
async function approvalRequest(id: string): Promise<{ ts: string; buttons: { action_id: string; value: string }[] }> {
  const post = await channelPost((t) => t.includes(id) && t.includes('Approval needed'));
  const buttons = (post.body.blocks as { type: string; elements?: { action_id: string; value: string }[] }[])
    .filter((b) => b.type === 'actions')
    .flatMap((b) => b.elements ?? []);
  return { ts: String(post.ts), buttons };
}

/** `text` by alice waits for approval; bob approves it with the button. Resolves with the request ID. */
async function requestAndApprove(text: string): Promise<string> {
  const typed = await bot.command(text, { user_id: 'U1ALICE' });
  const waiting = allText(await reply(typed.responseId));
  const id = /request `([0-9a-f]{8})`/.exec(waiting)?.[1];
  expect(id).toBeDefined();
  const { ts, buttons } = await approvalRequest(id!);
  const approve = buttons.find((b) => b.action_id === 'svc_approve');
  expect(approve?.value).toBe(id);
  await bot.press('svc_approve', approve!.value, { user_id: 'U2BOB', message_ts: ts });
  return id!;
}

describe('transport', () => {
  test('acknowledges with an empty 200 before the work is done', async () => {
    const res = await bot.command('list');
    expect(res.status).toBe(200);
    expect(res.text).toBe('');
    const r = await reply(res.responseId);
    expect(r.body.response_type).toBe('ephemeral');
  });

  test('refuses a wrongly signed request with 401 and changes nothing', async () => {
    const body = slashCommandBody({ text: 'create forged --selector app=alpine --port 80', response_url: bot.slack.responseUrl('forged') });
    const res = await postSigned(bot.eventsUrl, body, 'not-the-secret');
    expect(res.status).toBe(401);
    expect(svc('default', 'forged')).toBeUndefined();
  });

  test('refuses a stale request (timestamp older than 5 minutes) with 401', async () => {
    const body = slashCommandBody({ text: 'create stale --selector app=alpine --port 80', response_url: bot.slack.responseUrl('stale') });
    const timestamp = Math.floor(Date.now() / 1000) - 6 * 60;
    const res = await postSigned(bot.eventsUrl, body, SIGNING_SECRET, {
      timestamp,
      signature: slackSignature(SIGNING_SECRET, timestamp, body),
    });
    expect(res.status).toBe(401);
    expect(svc('default', 'stale')).toBeUndefined();
  });

  test('refuses a request timestamped 10 minutes ahead with 401 and changes nothing', async () => {
    const body = slashCommandBody({ text: 'create future --selector app=alpine --port 80', response_url: bot.slack.responseUrl('future') });
    const timestamp = Math.floor(Date.now() / 1000) + 10 * 60;
    const res = await postSigned(bot.eventsUrl, body, SIGNING_SECRET, { timestamp });
    expect(res.status).toBe(401);
    expect(svc('default', 'future')).toBeUndefined();
  });

  test('a replay of the same signed bytes is answered 200 and not run again (the replay guard is in Redis, under the prefix)', async () => {
    const body = slashCommandBody({ text: 'create replayed --selector app=alpine --port 80', response_url: bot.slack.responseUrl('replayed') });
    const timestamp = Math.floor(Date.now() / 1000);
    const signature = slackSignature(SIGNING_SECRET, timestamp, body);
    expect((await postSigned(bot.eventsUrl, body, SIGNING_SECRET, { timestamp, signature })).status).toBe(200);
    await channelPost((t) => t.includes('replayed'));
    expect(svc('default', 'replayed')).toBeDefined();
    expect((await postSigned(bot.eventsUrl, body, SIGNING_SECRET, { timestamp, signature })).status).toBe(200);
    expect(bot.logs()).toContain('ignored a replayed Slack request');
    expect(bot.logs()).not.toContain(signature.slice(3));
    // A later command's reply comes; the replay's never does.
    await reply((await bot.command('list')).responseId);
    expect(bot.slack.calls.filter((c) => c.method === 'chat.postMessage' && String(c.body.text).includes('replayed'))).toHaveLength(1);
  });

  test('refuses a signed JSON body shaped as a slash command with 415', async () => {
    const fields = Object.fromEntries(new URLSearchParams(slashCommandBody({ text: 'create json --selector app=alpine --port 80', response_url: bot.slack.responseUrl('json') })));
    const body = JSON.stringify(fields);
    const timestamp = Math.floor(Date.now() / 1000);
    const res = await fetch(bot.eventsUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-slack-request-timestamp': String(timestamp), 'x-slack-signature': slackSignature(SIGNING_SECRET, timestamp, body) },
      body,
    });
    expect(res.status).toBe(415);
    expect(svc('default', 'json')).toBeUndefined();
  });

  test('health, readiness and metrics endpoints answer; other paths are 404', async () => {
    for (const path of ['/healthz', '/readyz', '/metrics']) {
      expect((await fetch(bot.eventsUrl.replace('/slack/events', path))).status).toBe(200);
    }
    expect((await fetch(bot.eventsUrl.replace('/slack/events', '/nothing'))).status).toBe(404);
  });
});

describe('the classic alpine-service walkthrough', () => {
  test('create posts the cluster IP and DNS name to the channel, mentioning the requester', async () => {
    await bot.command('create alpine-service --selector app=alpine --port 8080:80', { user_id: 'U1ALICE' });
    const post = await channelPost((t) => t.includes('alpine-service'));
    const created = svc('default', 'alpine-service');
    expect(created?.spec.selector).toEqual({ app: 'alpine' });
    expect(created?.spec.ports?.[0]).toMatchObject({ port: 8080, targetPort: 80, protocol: 'TCP' });
    expect(created?.metadata.labels).toMatchObject({ 'app.kubernetes.io/managed-by': 'svcbot' });
    const text = allText(post);
    expect(post.body.channel).toBe('C1');
    expect(text).toContain('<@U1ALICE>');
    expect(text).toContain(`${created?.spec.clusterIP}:8080`);
    expect(text).toContain('alpine-service.default.svc.cluster.local:8080');
    expect(text).toMatch(/inside the cluster only/);
  });

  test('type nodeport patches in place and posts every node address with the node port and the security-group reminder', async () => {
    const uidBefore = svc('default', 'alpine-service')?.metadata.uid;
    await bot.command('type alpine-service NodePort');
    const post = await channelPost((t) => t.includes('from ClusterIP to NodePort'));
    const after = svc('default', 'alpine-service');
    expect(after?.metadata.uid).toBe(uidBefore); // a patch, not delete-and-recreate
    const nodePort = after?.spec.ports?.[0]?.nodePort;
    expect(nodePort).toBeGreaterThanOrEqual(30000);
    const text = allText(post);
    for (const node of bot.sandbox.cluster.listNodes()) {
      const external = node.status?.addresses?.find((a) => a.type === 'ExternalIP')?.address;
      expect(text).toContain(`${external}:${nodePort}`);
    }
    expect(text).toMatch(/security group/);
  });

  test('list shows it like kubectl get svc, ephemerally', async () => {
    const res = await bot.command('list');
    const r = await reply(res.responseId);
    const nodePort = svc('default', 'alpine-service')?.spec.ports?.[0]?.nodePort;
    expect(r.body.response_type).toBe('ephemeral');
    expect(allText(r)).toContain(`8080:${nodePort}/TCP`);
    expect(allText(r)).toMatch(/NAME\s+TYPE\s+CLUSTER-IP\s+EXTERNAL-IP\s+PORT\(S\)\s+AGE/);
  });

  test('type lb waits for approval; approved by someone else, it is queued as a job: its progress message is updated in place to ready, and one endpoint reply in its thread mentions the requester once; describe then shows the ELB', async () => {
    const jobId = `provision.${bot.sandbox.info.clusterName}.default.alpine-service`;
    const id = await requestAndApprove('type alpine-service lb');
    // The request's thread says it was approved, and what came of it: the job.
    const outcome = await bot.slack.waitForCall((c) => c.method === 'chat.postMessage' && c.body.thread_ts !== undefined && String(c.body.text).includes(id));
    expect(allText(outcome)).toContain('<@U2BOB>');
    expect(allText(outcome)).toContain(jobId);

    // The job posts its progress message in the channel when it starts, then updates it in place.
    await channelPost((t) => t.includes('Load balancer for') && t.includes('default/alpine-service'));
    const ready = await waitFor(
      () => bot.slack.calls.find((c) => c.method === 'chat.update' && String(c.body.text).includes('default/alpine-service') && String(c.body.text).includes('Ready')),
      { what: 'the progress message to say ready', timeoutMs: 15_000 },
    );
    const progressTs = String(ready.body.ts);
    const hostname = svc('default', 'alpine-service')?.status?.loadBalancer?.ingress?.[0]?.hostname;
    expect(hostname).toBeDefined();
    expect(allText(ready)).toContain(hostname);
    const endpointPosts = await waitFor(() => {
      const posts = bot.slack.calls.filter((c) => c.method === 'chat.postMessage' && c.body.thread_ts === progressTs);
      return posts.length > 0 && posts;
    }, { what: 'the endpoint reply in the thread' });
    expect(endpointPosts).toHaveLength(1);
    const endpointText = String(endpointPosts[0]!.body.text);
    expect(endpointText.match(/<@U1ALICE>/g)).toHaveLength(1);
    expect(endpointText).toContain(`${hostname}:8080`);
    expect(svc('default', 'alpine-service')?.spec.type).toBe('LoadBalancer');

    const lbName = hostname!.split('-')[0]!;
    await waitFor(() => bot.sandbox.elb.instanceHealth(lbName).every((h) => h.state === 'InService'), { what: 'instances in service' });
    const res = await bot.command('describe alpine-service');
    const r = await reply(res.responseId);
    const text = allText(r);
    const nodePort = svc('default', 'alpine-service')?.spec.ports?.[0]?.nodePort;
    expect(text).toContain(hostname);
    expect(text).toContain(String(nodePort));
    expect(text).toMatch(/3 of 3 in service/);
    expect(text).toMatch(/TCP:\d+/); // health check target
    // The ready pods behind it: the two seeded alpine pods on target port 80.
    const kc = new k8s.KubeConfig();
    kc.loadFromString(bot.sandbox.adminKubeconfigYaml);
    const pods = await kc.makeApiClient(k8s.CoreV1Api).listNamespacedPod({ namespace: 'default', labelSelector: 'app=alpine' });
    expect(pods.items).toHaveLength(2);
    for (const pod of pods.items) expect(text).toContain(`${pod.status?.podIP}:80`);
    expect(text).toMatch(/EnsuredLoadBalancer/);
  });

  test('delete of the LoadBalancer Service waits for approval, then is a job: the Service and its ELB go, then "no further charges"', async () => {
    const id = await requestAndApprove('delete alpine-service');
    const outcome = await bot.slack.waitForCall((c) => c.method === 'chat.postMessage' && c.body.thread_ts !== undefined && String(c.body.text).includes(id));
    expect(allText(outcome)).toContain(`delete.${bot.sandbox.info.clusterName}.default.alpine-service`);
    await waitFor(
      () => bot.slack.calls.find((c) => c.method === 'chat.update' && String(c.body.text).includes('default/alpine-service') && String(c.body.text).includes('no further charges')),
      { what: 'the teardown to finish', timeoutMs: 15_000 },
    );
    expect(svc('default', 'alpine-service')).toBeUndefined();
    expect(bot.sandbox.elb.list().filter((lb) => lb.tags.get('kubernetes.io/service-name') === 'default/alpine-service')).toEqual([]);
  });
});

describe('bad input and cluster errors, in words a user can act on', () => {
  test('a bad command gets the problem, the usage line and a suggestion, ephemerally, and changes nothing', async () => {
    const before = bot.sandbox.cluster.listServices().length;
    const res = await bot.command('craete web --selector app=alpine --port 80');
    const r = await reply(res.responseId);
    expect(r.body.response_type).toBe('ephemeral');
    expect(allText(r)).toMatch(/create/);
    expect(bot.sandbox.cluster.listServices()).toHaveLength(before);
  });

  test('user text echoed back is escaped, so <!channel> can never ping anyone', async () => {
    const res = await bot.command('describe <!channel>');
    const r = await reply(res.responseId);
    expect(allText(r)).not.toContain('<!channel>');
    expect(allText(r)).toContain('&lt;!channel&gt;');
  });

  test('externalIPs are never accepted from chat', async () => {
    const res = await bot.command('create evil --selector app=alpine --port 80 --external-ip 1.2.3.4');
    const r = await reply(res.responseId);
    expect(allText(r)).toMatch(/CVE-2020-8554/);
    expect(svc('default', 'evil')).toBeUndefined();
  });

  test('409: creating an existing Service says to use type', async () => {
    await bot.command('create twice --selector app=alpine --port 80');
    await channelPost((t) => t.includes('twice'));
    const res = await bot.command('create twice --selector app=alpine --port 81');
    const r = await reply(res.responseId);
    expect(allText(r)).toMatch(/already exists/);
    expect(allText(r)).toMatch(/type/);
  });

  test('404: a missing Service is named with its namespace', async () => {
    const res = await bot.command('describe ghost -n kube-system');
    const r = await reply(res.responseId);
    expect(allText(r)).toMatch(/ghost/);
    expect(allText(r)).toMatch(/kube-system/);
  });

  test('a missing namespace is named', async () => {
    const res = await bot.command('create web --selector app=alpine --port 80 -n nowhere');
    const r = await reply(res.responseId);
    expect(allText(r)).toMatch(/nowhere/);
  });

  test('apiserver 500s are reported as a cluster problem with the cluster name, never a stack trace', async () => {
    bot.sandbox.faults.set({ kubeErrorEveryN: 1 });
    const res = await bot.command('list');
    const r = await reply(res.responseId);
    const text = allText(r);
    expect(text).toContain(bot.sandbox.info.clusterName);
    expect(text).not.toMatch(/\bat \S+ \(/); // no stack frames
  });

  test('403: the reply names the permission svcbot lacks (verb, resource, namespace) and nothing changes', async () => {
    bot.sandbox.faults.set({ deny: [{ verb: 'create', resource: 'services', namespace: 'default' }] });
    const res = await bot.command('create denied --selector app=alpine --port 80');
    const text = allText(await reply(res.responseId));
    expect(text).toMatch(/not allowed to create services in namespace `default`/);
    expect(text).toContain(bot.sandbox.info.clusterName);
    expect(svc('default', 'denied')).toBeUndefined();
  });

  test('--dry-run shows the manifest and creates nothing', async () => {
    const res = await bot.command('create preview --selector app=alpine --port http=8080:80 --port https=8443:443 --type lb --dry-run');
    const r = await reply(res.responseId);
    const text = allText(r);
    expect(text).toMatch(/kind: Service/);
    expect(text).toMatch(/type: LoadBalancer/);
    expect(svc('default', 'preview')).toBeUndefined();
  });

  test('expose takes the selector from the deployment', async () => {
    await bot.command('expose deployment/alpine --port 8080:80 --name alpine-exposed');
    await channelPost((t) => t.includes('alpine-exposed'));
    expect(svc('default', 'alpine-exposed')?.spec.selector).toEqual({ app: 'alpine' });
  });
});

describe('Slack refusing or limiting', () => {
  test('not_in_channel: the user is told, ephemerally, to /invite @svcbot', async () => {
    const remove = bot.slack.override((c) =>
      c.method === 'chat.postMessage' && c.body.channel === 'CPRIVATE' ? { body: { ok: false, error: 'not_in_channel' } } : undefined,
    );
    try {
      const res = await bot.command('create invited --selector app=alpine --port 80', { channel_id: 'CPRIVATE' });
      const r = await reply(res.responseId);
      expect(r.body.response_type).toBe('ephemeral');
      expect(allText(r)).toContain('/invite @svcbot');
      expect(allText(r)).toContain('invited');
    } finally {
      remove();
    }
  });

  test('429 with Retry-After is honoured, not turned into an error', async () => {
    let refused = 0;
    const remove = bot.slack.override((c) => {
      if (c.method === 'chat.postMessage' && String(c.body.text).includes('patient') && refused === 0) {
        refused += 1;
        return { status: 429, headers: { 'retry-after': '1' }, body: { ok: false, error: 'ratelimited' } };
      }
      return undefined;
    });
    try {
      await bot.command('create patient --selector app=alpine --port 80');
      const posts = await waitFor(() => {
        const p = bot.slack.calls.filter((c) => c.method === 'chat.postMessage' && String(c.body.text).includes('patient'));
        return p.length === 2 && p;
      }, { what: 'the retried post' });
      expect(posts[1]!.at - posts[0]!.at).toBeGreaterThanOrEqual(900);
      expect(refused).toBe(1);
    } finally {
      remove();
    }
  });
});

describe('the Kubernetes client sees what svcbot did', () => {
  test('a NodePort Service created from chat reads back through client-node', async () => {
    await bot.command('create np-check --selector app=alpine --port web=8080:http --type nodeport');
    await channelPost((t) => t.includes('np-check'));
    const kc = new k8s.KubeConfig();
    kc.loadFromString(bot.sandbox.adminKubeconfigYaml);
    const read = await kc.makeApiClient(k8s.CoreV1Api).readNamespacedService({ name: 'np-check', namespace: 'default' });
    expect(read.spec?.type).toBe('NodePort');
    expect(read.spec?.ports?.[0]).toMatchObject({ name: 'web', port: 8080, targetPort: 'http' });
  });
});

/**
 * Orphaned load balancers, end to end: load balancers made in the sandbox's classic and v2 stores as the
 * in-tree cloud provider and the AWS Load Balancer Controller tag them, `/svc orphans` and the report's
 * buttons as signed Slack requests, the deletion through approval checked in the sandbox and the audit
 * stream, and the scheduled report posted once per tick by two svcbots of one deployment. All of it twice:
 * on one Redis and on a local Redis Cluster (test/helpers/bot-redis.ts: the orphan state, the schedule's
 * queue and the audit stream on the cluster's masters).
 */
import { newRedisPrefix, startBot, startBotSandbox, type BotUnderTest } from '../helpers/bot.js';
import { onEachBotRedis } from '../helpers/bot-redis.js';
import { sandboxClients } from '../helpers/sandbox-clients.js';
import type { RecordedCall } from '../helpers/slack-stub.js';
import { startSlackStub } from '../helpers/slack-stub.js';
import { waitFor } from '../helpers/wait.js';
import type { AuditEntry } from '../../src/ports/audit.js';

const ALICE = 'U1ALICE';
const BOB = 'U2BOB';

interface Button {
  action_id: string;
  value: string;
  text: { text: string };
}

function allText(call: RecordedCall): string {
  return `${String(call.body.text)}\n${JSON.stringify(call.body.blocks ?? [])}`;
}

function buttonsOf(call: RecordedCall): Button[] {
  return ((call.body.blocks ?? []) as { type: string; elements?: Button[] }[]).filter((b) => b.type === 'actions').flatMap((b) => b.elements ?? []);
}

const owned = (service: string) => ({ 'kubernetes.io/cluster/sandbox': 'owned', 'kubernetes.io/service-name': service });
const LISTENER = { protocol: 'TCP', loadBalancerPort: 80, instanceProtocol: 'TCP', instancePort: 30080 };

onEachBotRedis((redis) => {
  describe('/svc orphans and its buttons', () => {
    let bot: BotUnderTest;
    let nlbArn: string;

    beforeAll(async () => {
      bot = await startBot({ redis: redis(), env: { ORPHAN_GRACE: '0s' } });
      const { sandbox } = bot;
      const zone = [`${sandbox.info.region}a`];
      sandbox.elb.create({ name: 'a0rphan0classic', listeners: [LISTENER], availabilityZones: zone, tags: owned('default/gone-web') });
      sandbox.elb.create({ name: 'a0shared0classic', listeners: [LISTENER], availabilityZones: zone, tags: { 'kubernetes.io/cluster/sandbox': 'shared', 'kubernetes.io/service-name': 'default/gone-shared' } });
      sandbox.elb.create({ name: 'a0lost0classic', listeners: [LISTENER], availabilityZones: zone, tags: { 'kubernetes.io/cluster/old-prod': 'owned', 'kubernetes.io/service-name': 'shop/cart' } });
      sandbox.elb.create({ name: 'bastion', listeners: [{ ...LISTENER, loadBalancerPort: 22, instancePort: 22 }], availabilityZones: zone });
      nlbArn = sandbox.elbv2.createLoadBalancer({ name: 'k8s-default-goneapi-1a2b', type: 'network', subnets: ['subnet-1'], tags: { 'elbv2.k8s.aws/cluster': 'sandbox', 'service.k8s.aws/stack': 'default/gone-api' } }).arn;
      // A LoadBalancer Service in use, with the load balancer the cloud controller made for it: not an orphan.
      await sandboxClients(sandbox).core.createNamespacedService({
        namespace: 'default',
        body: { apiVersion: 'v1', kind: 'Service', metadata: { name: 'live' }, spec: { type: 'LoadBalancer', selector: { app: 'alpine' }, ports: [{ port: 80, targetPort: 80 }] } },
      });
      await waitFor(() => sandbox.elb.list().some((lb) => lb.tags.get('kubernetes.io/service-name') === 'default/live'));
    });
    afterAll(() => bot.stop());

    const reply = (responseId: string) => bot.slack.waitForCall((c) => c.method === 'response_url' && c.responseId === responseId);

    async function say(text: string, user = ALICE): Promise<RecordedCall> {
      const res = await bot.command(text, { user_id: user, channel_id: 'C1' });
      expect(res.status).toBe(200);
      return reply(res.responseId);
    }

    async function press(actionId: string, value: string, user: string, messageTs?: string): Promise<RecordedCall> {
      const res = await bot.press(actionId, value, { user_id: user, channel_id: 'C1', ...(messageTs ? { message_ts: messageTs } : {}) });
      expect(res.status).toBe(200);
      return reply(res.responseId);
    }

    async function audit(): Promise<AuditEntry[]> {
      const rows = await redis().client.xrange(`${bot.queuePrefix}:audit`, '-', '+');
      return rows.map(([, fields]) => JSON.parse(fields[1]!) as AuditEntry);
    }

    test('the report: orphans of both APIs with cost and buttons, shared without, the unknown cluster apart, the untagged counted, the one in use left out', async () => {
      const report = await say('orphans');
      const text = allText(report);
      expect(report.body.response_type).toBe('ephemeral');
      expect(String(report.body.text)).toMatch(/^\*3 orphaned load balancers\* and 1 load balancer of unknown clusters: about \$\d+\.\d\d\/month/);
      expect(text).toContain('a0rphan0classic');
      expect(text).toContain('Service `default/gone-web` on cluster `sandbox`: its Service is gone');
      expect(text).toContain('k8s-default-goneapi-1a2b');
      expect(text).toContain('network (NLB)');
      expect(text).toContain('cluster `old-prod` unknown — 1 load balancer');
      expect(text).toContain('1 unmanaged load balancer (no cluster tag: not judged)');
      expect(text).not.toContain('default/live');
      const buttons = buttonsOf(report);
      // Delete / Snooze / Ignore for the two owned orphans; none for the shared one.
      expect(buttons.filter((b) => b.action_id === 'svc_orphan_delete').map((b) => JSON.parse(b.value) as string).sort()).toEqual(['us-east-1/a0rphan0classic', nlbArn].sort());
      expect(buttons).toHaveLength(6);
      expect(text).toMatch(/a0shared0classic.*Tagged `shared`: not the cluster’s to delete/s);
    });

    test('Delete: asks for approval; approved by someone else, the description goes to the audit log, the load balancer is deleted, "no further charges"', async () => {
      const waiting = await press('svc_orphan_delete', JSON.stringify('us-east-1/a0rphan0classic'), ALICE);
      const id = /Waiting for approval \(request `([0-9a-f]{8})`\)/.exec(String(waiting.body.text))?.[1];
      expect(id).toBeDefined();
      const post = await bot.slack.waitForCall((c) => c.method === 'chat.postMessage' && c.body.thread_ts === undefined && String(c.body.text).includes(`${id}`));
      expect(allText(post)).toContain('deletes the orphaned classic load balancer `a0rphan0classic`');
      expect(allText(post)).toContain('*Saves:*');
      expect(bot.sandbox.elb.get('a0rphan0classic')).toBeDefined();

      const refused = await press('svc_approve', id!, ALICE, String(post.ts));
      expect(String(refused.body.text)).toContain("someone else must approve it (rule four-eyes)");
      const approved = await press('svc_approve', id!, BOB, String(post.ts));
      expect(String(approved.body.text)).toContain(`Approved request \`${id}\``);
      const outcome = await bot.slack.waitForCall((c) => c.method === 'chat.postMessage' && c.body.thread_ts === post.ts);
      expect(allText(outcome)).toMatch(/deleted the orphaned load balancer `a0rphan0classic`/);
      expect(allText(outcome)).toContain('AWS no longer lists it: no further charges');
      expect(bot.sandbox.elb.get('a0rphan0classic')).toBeUndefined();

      const entries = (await audit()).filter((e) => e.requestId === id);
      const snapshot = entries.find((e) => e.snapshot !== undefined);
      expect(snapshot).toMatchObject({ userId: ALICE, cluster: 'sandbox', namespace: 'default', service: 'gone-web' });
      const description = snapshot!.snapshot!;
      if (description.kind !== 'classic') throw new Error(`a ${description.kind} load balancer's snapshot`);
      expect(description.listeners).toEqual([{ protocol: 'TCP', loadBalancerPort: 80, instanceProtocol: 'TCP', instancePort: 30080, policyNames: [] }]);
      expect(description.healthCheck?.target).toBeDefined();
      expect(description.availabilityZones).toEqual(['us-east-1a']);
      expect(description.tags['kubernetes.io/service-name']).toBe('default/gone-web');
      // The description is recorded before the deletion.
      expect(entries.indexOf(snapshot!)).toBeLessThan(entries.findIndex((e) => e.result.includes('no further charges')));
    });

    test('Snooze: out of the report for 7 days, counted as snoozed', async () => {
      const snoozed = await press('svc_orphan_snooze', JSON.stringify(nlbArn), BOB);
      expect(String(snoozed.body.text)).toMatch(/`k8s-default-goneapi-1a2b` is left out of orphan reports until .*\(7 days\)/);
      const report = allText(await say('orphans'));
      expect(report).not.toContain('k8s-default-goneapi-1a2b');
      expect(report).toContain('1 snoozed');
    });

    test('Ignore: the button asks for the reason; with one it is kept, listed by --ignored, and Un-ignore brings it back; never for a shared one', async () => {
      const hint = await press('svc_orphan_ignore', JSON.stringify('us-east-1/a0lost0classic'), ALICE);
      expect(String(hint.body.text)).toContain('`/svc orphan ignore us-east-1/a0lost0classic REASON`');
      const ignored = await say('orphan ignore us-east-1/a0lost0classic old-prod is being migrated by <!channel> & co');
      expect(String(ignored.body.text)).toMatch(/Reason kept: old-prod is being migrated by &lt;!channel&gt; &amp; co/);
      expect(allText(await say('orphans'))).not.toContain('a0lost0classic');
      const list = await say('orphans --ignored');
      expect(allText(list)).toContain('Ignored by <@U1ALICE>');
      const [unignore] = buttonsOf(list);
      expect(unignore).toMatchObject({ action_id: 'svc_orphan_unignore' });
      expect(String((await press('svc_orphan_unignore', unignore!.value, BOB)).body.text)).toBe('Load balancer `a0lost0classic` is back in orphan reports.');
      expect(allText(await say('orphans'))).toContain('a0lost0classic');

      const shared = await say('orphan ignore us-east-1/a0shared0classic not ours');
      expect(String(shared.body.text)).toMatch(/tagged `shared`/);
      // A forged button value that is no load balancer is dropped, never run.
      const forged = await bot.press('svc_orphan_delete', JSON.stringify('us-east-1/x --cluster other'), { user_id: ALICE, channel_id: 'C1' });
      expect(forged.status).toBe(200);
      await waitFor(() => bot.logs().includes('ignored a button press without a valid value or channel'));
    });

    test('a long report comes in pages: "Show more" shows the next one, never a cut list', async () => {
      const zone = [`${bot.sandbox.info.region}a`];
      const names = Array.from({ length: 11 }, (_, i) => `a0page${String(i).padStart(2, '0')}`);
      for (const name of names) bot.sandbox.elb.create({ name, listeners: [LISTENER], availabilityZones: zone, tags: owned(`paged/${name}`) });
      try {
        const first = await say('orphans --cluster sandbox');
        const more = buttonsOf(first).find((b) => b.action_id === 'svc_orphans_more');
        expect(more?.text.text).toMatch(/^Show more \(page 2 of 2\)$/);
        const shownFirst = names.filter((n) => allText(first).includes(n));
        const second = await press('svc_orphans_more', more!.value, BOB);
        const shownSecond = names.filter((n) => allText(second).includes(n));
        expect(String(second.body.text)).toMatch(/orphaned load balancers\* in cluster `sandbox`/);
        expect(buttonsOf(second).some((b) => b.action_id === 'svc_orphans_more')).toBe(false);
        expect([...shownFirst, ...shownSecond].sort()).toEqual(names);
      } finally {
        for (const name of names) bot.sandbox.elb.delete(name);
      }
    });

    test('an unreachable cluster is named, its load balancers not judged; a throttled ELB API slows the scan down, it still completes', async () => {
      bot.sandbox.faults.set({ deny: [{ verb: 'list', resource: 'services' }] });
      try {
        const text = allText(await say('orphans'));
        expect(text).toMatch(/Not in this report \(not judged, never called orphans\): cluster `sandbox`/);
        expect(text).not.toContain('k8s-default');
        expect(text).toContain('a0lost0classic');
      } finally {
        bot.sandbox.faults.set({ deny: [] });
      }
      bot.sandbox.faults.set({ elbThrottleRatePerSecond: 4 });
      try {
        // The scan may take long enough for "Scanning…" to come first: the report is the answer after it.
        const res = await bot.command('orphans', { user_id: ALICE, channel_id: 'C1' });
        const answer = await bot.slack.waitForCall((c) => c.method === 'response_url' && c.responseId === res.responseId && !String(c.body.text).startsWith(':hourglass_flowing_sand: Scanning'), 20_000);
        const text = allText(answer);
        expect(text).not.toContain('Not in this report');
        expect(text).toContain('a0lost0classic');
      } finally {
        bot.sandbox.faults.set({ elbThrottleRatePerSecond: 0 });
      }
    });
  });

  describe('the scheduled report', () => {
    test('two svcbots of one deployment post one report per tick in the channel', async () => {
      const sandbox = await startBotSandbox();
      const slack = await startSlackStub();
      const redisPrefix = newRedisPrefix();
      sandbox.elb.create({ name: 'a0rphan0sched', listeners: [LISTENER], availabilityZones: [`${sandbox.info.region}a`], tags: owned('default/gone') });
      const env = { ORPHAN_GRACE: '0s', ORPHAN_REPORT_CRON: '* * * * * *', ORPHAN_REPORT_CHANNEL: 'C0FINOPS' };
      const replica = () => startBot({ redis: redis(), env, use: { sandbox, slack }, redisPrefix, keepKeys: true });
      const bots = [await replica(), await replica()];
      let stopped = false;
      try {
        const reports = () => slack.calls.filter((c) => c.method === 'chat.postMessage' && c.body.channel === 'C0FINOPS');
        await waitFor(() => reports().length >= 3, { timeoutMs: 15_000 });
        // Stopped, the bots post no more and have logged every report they posted (a running tick is waited for).
        for (const b of bots) await b.stop();
        stopped = true;
        const posted = bots.flatMap((b) => [...b.logs().matchAll(/"dueAt":"([^"]+)"[^\n]*scheduled orphan report posted/g)].map((m) => m[1]));
        expect(new Set(posted).size).toBe(posted.length);
        expect(reports()).toHaveLength(posted.length);
        expect(String(reports()[0]!.body.text)).toMatch(/^\*1 orphaned load balancer\*/);
        expect(String(reports()[1]!.body.text)).toContain('Nothing new since the last report.');
      } finally {
        if (!stopped) for (const b of bots) await b.stop();
        await redis().removeKeys(redisPrefix);
        await slack.close();
        await sandbox.close();
      }
    });
  });
});

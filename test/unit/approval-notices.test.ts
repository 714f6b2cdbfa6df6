/**
 * The approval notices over the Replies port: where a request is posted (the approval channel, or where
 * the command came from; never to the requester alone), its message updated in place, and where the
 * requester is told how it ended; the audit channel.
 */
import { auditChannel, makeApprovalNotices } from '../../handlers/approval-notices.js';
import type { ApprovalRequest } from '../../src/domain/approvals.js';
import { BotError } from '../../src/domain/errors.js';
import type { ChannelMessages, MessageRef } from '../../src/ports/replies.js';
import type { Message } from '../../src/render/blocks.js';

interface Sent {
  op: 'post' | 'update';
  channel: string;
  threadTs?: string;
  fallback?: string;
  ts?: string;
  message: Message;
}

function recordingReplies(opts: { refuse?: BotError; fallbackOnly?: boolean } = {}): ChannelMessages & { sent: Sent[] } {
  const sent: Sent[] = [];
  let n = 0;
  return {
    sent,
    post(channel, message, o = {}) {
      if (opts.refuse) return Promise.reject(opts.refuse);
      sent.push({ op: 'post', channel, message, ...(o.threadTs ? { threadTs: o.threadTs } : {}), ...(o.fallbackResponseUrl ? { fallback: o.fallbackResponseUrl } : {}) });
      if (opts.fallbackOnly) return Promise.resolve(undefined);
      n += 1;
      return Promise.resolve({ channel, ts: `100.${n}` });
    },
    update(ref: MessageRef, message) {
      sent.push({ op: 'update', channel: ref.channel, ts: ref.ts, message });
      return Promise.resolve();
    },
    findPosted: () => Promise.resolve(undefined),
  };
}

const REQUEST: ApprovalRequest = {
  id: '3f9c2a1b',
  status: 'pending',
  commandText: '/svc type web lb',
  command: { kind: 'type', name: 'web', type: 'LoadBalancer', scope: { namespace: 'default' } },
  change: { kind: 'type', cluster: 'prod', namespace: 'default', name: 'web', fromType: 'ClusterIP', toType: 'LoadBalancer', ports: ['80/TCP'] },
  why: 'creates a load balancer',
  requester: { userId: 'U0ALICE', channelId: 'C0DEV', responseUrl: 'https://hooks.slack.test/r/1' },
  resourceVersion: '41',
  createdAt: Date.parse('2026-12-06T10:00:00Z'),
  expiresAt: Date.parse('2026-12-06T11:00:00Z'),
};

const hasButtons = (m: Message) => m.blocks.some((b) => b.type === 'actions');

describe('approval notices', () => {
  test('a request is posted where the command came from, with its buttons, and never to the requester alone', async () => {
    const replies = recordingReplies();
    const notices = makeApprovalNotices({ replies, commandName: '/svc' });
    expect(await notices.post(REQUEST)).toEqual({ channel: 'C0DEV', ts: '100.1' });
    expect(replies.sent).toHaveLength(1);
    expect(replies.sent[0]).toMatchObject({ op: 'post', channel: 'C0DEV' });
    expect(replies.sent[0]!.fallback).toBeUndefined();
    expect(hasButtons(replies.sent[0]!.message)).toBe(true);
  });

  test('with an approval channel, it is posted there', async () => {
    const replies = recordingReplies();
    await makeApprovalNotices({ replies, commandName: '/svc', approvalChannel: 'C0APPROVE' }).post(REQUEST);
    expect(replies.sent.map((s) => s.channel)).toEqual(['C0APPROVE']);
  });

  test('a request that could only reach the requester alone is refused (svcbot not in the channel)', async () => {
    const notices = makeApprovalNotices({ replies: recordingReplies({ fallbackOnly: true }), commandName: '/svc' });
    await expect(notices.post(REQUEST)).rejects.toMatchObject({ code: 'slack_not_in_channel' });
    const refused = new BotError('slack_not_in_channel', 'svcbot is not in <#C0DEV>.');
    await expect(makeApprovalNotices({ replies: recordingReplies({ refuse: refused }), commandName: '/svc' }).post(REQUEST)).rejects.toBe(refused);
  });

  test('a decided request replaces its message in place, without buttons; one never posted is left alone', async () => {
    const replies = recordingReplies();
    const notices = makeApprovalNotices({ replies, commandName: '/svc' });
    const decided: ApprovalRequest = { ...REQUEST, status: 'rejected', decidedBy: 'U0BOB', decidedAt: REQUEST.createdAt + 60_000, message: { channel: 'C0DEV', ts: '100.1' } };
    await notices.show(decided);
    expect(replies.sent).toEqual([expect.objectContaining({ op: 'update', channel: 'C0DEV', ts: '100.1' })]);
    expect(hasButtons(replies.sent[0]!.message)).toBe(false);
    const { message: _posted, ...neverPosted } = decided;
    await notices.show(neverPosted);
    expect(replies.sent).toHaveLength(1);
  });

  test('the requester is told in the request\'s thread, and where they asked when that is another channel', async () => {
    const replies = recordingReplies();
    const notices = makeApprovalNotices({ replies, commandName: '/svc', approvalChannel: 'C0APPROVE' });
    const rejected: ApprovalRequest = { ...REQUEST, status: 'rejected', decidedBy: 'U0BOB', reason: 'not today', message: { channel: 'C0APPROVE', ts: '100.7' } };
    await notices.tell(rejected);
    expect(replies.sent.map((s) => [s.channel, s.threadTs, s.fallback])).toEqual([
      ['C0APPROVE', '100.7', undefined],
      ['C0DEV', undefined, 'https://hooks.slack.test/r/1'],
    ]);
    for (const s of replies.sent) expect(s.message.text).toContain('<@U0ALICE>');
    for (const s of replies.sent) expect(s.message.text).toContain('not today');
  });

  test('an approved request\'s thread reply carries what the change answered', async () => {
    const replies = recordingReplies();
    const notices = makeApprovalNotices({ replies, commandName: '/svc' });
    const approved: ApprovalRequest = { ...REQUEST, status: 'approved', decidedBy: 'U0BOB', message: { channel: 'C0DEV', ts: '100.1' } };
    await notices.tell(approved, {
      kind: 'ran',
      result: { kind: 'queued', result: { jobId: 'provision.prod.default.web', operation: 'provision', cluster: 'prod', namespace: 'default', name: 'web', duplicate: false } },
    });
    expect(replies.sent).toHaveLength(1);
    expect(replies.sent[0]).toMatchObject({ channel: 'C0DEV', threadTs: '100.1' });
    expect(JSON.stringify(replies.sent[0]!.message)).toContain('provision.prod.default.web');
    expect(replies.sent[0]!.message.text).toContain('<@U0BOB>');
  });

  test('the audit channel gets each entry as a message, naming the user without pinging them', async () => {
    const replies = recordingReplies();
    await auditChannel(replies, 'C0AUDIT')({ at: REQUEST.createdAt, action: 'approved', userId: 'U0BOB', userName: 'bob', result: 'approved <!channel>', requestId: REQUEST.id });
    expect(replies.sent).toHaveLength(1);
    expect(replies.sent[0]!.channel).toBe('C0AUDIT');
    const text = JSON.stringify(replies.sent[0]!.message);
    expect(text).toContain('bob');
    expect(text).not.toContain('<@U0BOB>');
    expect(text).not.toContain('<!channel>');
  });
});

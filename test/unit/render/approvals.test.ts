import { describe, expect, it } from '@jest/globals';
import type { DecisionResult } from '../../../src/domain/approval-decisions.js';
import type { ApprovalRequest, ApprovalStatus, ChangeSummary } from '../../../src/domain/approvals.js';
import { BotError } from '../../../src/domain/errors.js';
import type { ApprovedRun } from '../../../src/ports/approvals.js';
import { ACTION_IDS, parseRequestActionValue } from '../../../src/render/actions.js';
import { renderApprovalOutcome, renderApprovalRequest, renderApprovalRequested, renderDecision, renderPending } from '../../../src/render/approvals.js';
import { LIMITS, blockKitViolations, context, reply, section, type ActionsBlock, type Message, type Reply } from '../../../src/render/blocks.js';
import { renderToText } from '../../../src/render/text.js';
import { EVIL, NOW, asReply, blockLines, everything, outsideCode, slackConstructs } from './fixtures.js';

const MIN = 60_000;
const ID = '3f9c2a1b';
const ALICE = 'U1ALICE';
const BOB = 'U2BOB';

const LB_CREATE: ChangeSummary = { kind: 'create', cluster: 'prod', namespace: 'default', name: 'web', toType: 'LoadBalancer', ports: ['80:8080/TCP'] };
const COST = { region: 'us-east-1', hourlyUsd: 0.025, monthlyUsd: 18.25 };

/** A request for a load balancer, asked 5 minutes before NOW, expiring 55 minutes after. */
function request(overrides: Partial<ApprovalRequest> = {}): ApprovalRequest {
  return {
    id: ID,
    status: 'pending',
    commandText: '/svc create web -p 80:8080 --type lb',
    command: { kind: 'create', name: 'web', selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080, protocol: 'TCP' }], type: 'LoadBalancer', scope: { namespace: 'default' }, dryRun: false },
    change: LB_CREATE,
    why: 'creates a load balancer',
    cost: COST,
    requester: { userId: ALICE, channelId: 'C0DEV' },
    createdAt: NOW.getTime() - 5 * MIN,
    expiresAt: NOW.getTime() + 55 * MIN,
    ...overrides,
  };
}

/** The request as decided `minutesAgo` before NOW. */
function decided(status: Exclude<ApprovalStatus, 'pending'>, overrides: Partial<ApprovalRequest> = {}, minutesAgo = 12): ApprovalRequest {
  const at = NOW.getTime() - minutesAgo * MIN;
  if (status === 'expired') return request({ status, decidedAt: at, ...overrides });
  return request({ status, decidedBy: status === 'withdrawn' ? ALICE : BOB, decidedAt: at, ...overrides });
}

const DELETE_LB: ChangeSummary = { kind: 'delete', cluster: 'prod', namespace: 'shop', name: 'cart', fromType: 'LoadBalancer', ports: ['443/TCP'] };
const TYPE_TO_LB: ChangeSummary = { kind: 'type', cluster: 'prod', namespace: 'shop', name: 'cart', fromType: 'NodePort', toType: 'LoadBalancer', ports: ['80/TCP'] };

function buttons(m: Message): ActionsBlock['elements'] {
  return m.blocks.flatMap((b) => (b.type === 'actions' ? b.elements : []));
}

const STATUSES: Exclude<ApprovalStatus, 'pending'>[] = ['approved', 'rejected', 'expired', 'withdrawn'];

describe('request buttons: action IDs and values', () => {
  it('has an action ID for each decision', () => {
    expect(ACTION_IDS).toMatchObject({ approve: 'svc_approve', reject: 'svc_reject', withdraw: 'svc_withdraw' });
  });

  it.each(['3f9c2a1b', '00000000', 'ffffffff'])('reads the request ID %j', (value) => {
    expect(parseRequestActionValue(value)).toBe(value);
  });

  it.each(['', '3F9C2A1B', '3f9c2a1', '3f9c2a1b0', ' 3f9c2a1b', '3f9c2a1b\n', '3f9c2a1g', '{"id":"3f9c2a1b"}', '3f9c2a1b extra'])('refuses %j', (value) => {
    expect(parseRequestActionValue(value)).toBeUndefined();
  });
});

describe('renderApprovalRequest: pending', () => {
  const m = renderApprovalRequest(request(), { now: NOW });

  it('says who asked what, what will happen, why, its cost and expiry; then the buttons', () => {
    expect(blockKitViolations(asReply(m))).toEqual([]);
    expect(m.blocks.map((b) => b.type)).toEqual(['section', 'section', 'actions', 'context']);
    expect(blockLines(m).slice(0, 2)).toEqual([
      ':raised_hand: *Approval needed* \u2014 request `3f9c2a1b`',
      [
        '<@U1ALICE> asked at 11:55 UTC: `/svc create web -p 80:8080 --type lb`',
        '*What:* creates LoadBalancer Service `web` in namespace `default` on cluster `prod` (port `80:8080/TCP`)',
        '*Why it needs approval:* creates a load balancer',
        '*Cost:* about $0.025/h, ~$18.25/month in us-east-1; data processed is billed on top',
        '*Expires:* in 55 min, at 12:55 UTC',
      ].join('\n'),
    ]);
  });

  it('Approve (primary) says in its dialog what runs and that it runs at once', () => {
    const approve = buttons(m)[0];
    expect(approve).toMatchObject({ action_id: 'svc_approve', value: ID, style: 'primary', text: { text: 'Approve' } });
    expect(approve?.confirm?.title.text).toBe('Approve this change?');
    expect(approve?.confirm?.text.text).toBe('Creates a load balancer for default/web on cluster prod (about $18.25/month). It runs as soon as you confirm.');
    expect(approve?.confirm?.confirm.text).toBe('Approve');
  });

  it('Reject (danger) says the requester is told and how to give a reason', () => {
    const reject = buttons(m)[1];
    expect(reject).toMatchObject({ action_id: 'svc_reject', value: ID, style: 'danger', text: { text: 'Reject' } });
    expect(reject?.confirm?.title.text).toBe('Reject this request?');
    expect(reject?.confirm?.text.text).toContain('the requester is told');
    expect(reject?.confirm?.text.text).toContain('/svc reject 3f9c2a1b REASON');
    expect(reject?.confirm?.style).toBe('danger');
  });

  it('Withdraw (no style) asks first; that only the requester may use it is said beside the buttons, not on it', () => {
    const withdraw = buttons(m)[2];
    expect(withdraw).toMatchObject({ action_id: 'svc_withdraw', value: ID, text: { text: 'Withdraw' } });
    expect(withdraw?.style).toBeUndefined();
    expect(withdraw?.confirm?.title.text).toBe('Withdraw your request?');
    expect(blockLines(m)[2]).toBe('Only <@U1ALICE> can withdraw it. Approvers can also type `/svc approve 3f9c2a1b` or `/svc reject 3f9c2a1b REASON`.');
  });

  it('every button carries the request ID as its value, which reads back', () => {
    expect(buttons(m).map((b) => parseRequestActionValue(b.value))).toEqual([ID, ID, ID]);
  });

  it('the fallback text is readable alone: who, what, why, cost, expiry, how to decide', () => {
    expect(m.text.split('\n')).toEqual([...blockLines(m).slice(0, 1), ...(blockLines(m)[1] ?? '').split('\n'), blockLines(m)[2]]);
  });

  it('uses the configured command name', () => {
    const lb = renderApprovalRequest(request(), { now: NOW, commandName: '/lb' });
    expect(everything(lb)).toContain('/lb reject 3f9c2a1b REASON');
    expect(everything(lb)).not.toContain('/svc approve');
  });

  it('a delete says which Service it deletes, and no cost line without a cost', () => {
    const del = renderApprovalRequest(request({ change: DELETE_LB, cost: undefined, why: 'deletes a LoadBalancer Service (and its load balancer)' }), { now: NOW });
    expect(m.text).toContain('*Cost:*');
    expect(del.text).toContain('*What:* deletes the LoadBalancer Service `cart` in namespace `shop` on cluster `prod` (port `443/TCP`)');
    expect(del.text).not.toContain('*Cost:*');
    expect(buttons(del)[0]?.confirm?.text.text).toBe('Deletes the LoadBalancer Service shop/cart on cluster prod and its load balancer. It runs as soon as you confirm.');
    const nodePort = renderApprovalRequest(request({ change: { ...DELETE_LB, fromType: 'NodePort' }, cost: undefined }), { now: NOW });
    expect(buttons(nodePort)[0]?.confirm?.text.text).toBe('Deletes the NodePort Service shop/cart on cluster prod. It runs as soon as you confirm.');
  });

  it('a type change says from which type to which', () => {
    const type = renderApprovalRequest(request({ change: TYPE_TO_LB }), { now: NOW });
    expect(type.text).toContain('*What:* changes Service `cart` in namespace `shop` on cluster `prod` from NodePort to LoadBalancer (port `80/TCP`)');
    expect(buttons(type)[0]?.confirm?.text.text).toBe(
      'Creates a load balancer for shop/cart on cluster prod (type NodePort to LoadBalancer, about $18.25/month). It runs as soon as you confirm.',
    );
  });

  it('lists many ports up to ten, then how many more', () => {
    const ports = Array.from({ length: 14 }, (_, i) => `${8000 + i}/TCP`);
    const many = renderApprovalRequest(request({ change: { ...LB_CREATE, ports } }), { now: NOW });
    expect(many.text).toContain('`8009/TCP` … and 4 more)');
    expect(many.text).not.toContain('8010');
  });

  it('an expiry on another day gives its date; one past due says so', () => {
    const tomorrow = renderApprovalRequest(request({ expiresAt: NOW.getTime() + 24 * 60 * MIN }), { now: NOW });
    expect(tomorrow.text).toContain('*Expires:* in 24 h, at 2025-06-02 12:00 UTC');
    const due = renderApprovalRequest(request({ expiresAt: NOW.getTime() - MIN }), { now: NOW });
    expect(due.text).toContain('*Expires:* now (it was due at 11:59 UTC)');
  });

  it('the time left is counted up to the minute: an hour\'s request shown a moment later expires in 60 min', () => {
    const fresh = renderApprovalRequest(request({ expiresAt: NOW.getTime() + 60 * MIN - 5 }), { now: NOW });
    expect(fresh.text).toContain('*Expires:* in 60 min');
    const last = renderApprovalRequest(request({ expiresAt: NOW.getTime() + 30_000 }), { now: NOW });
    expect(last.text).toContain('*Expires:* in 1 min');
  });

  it('in the console, the three buttons are numbered choices that ask first', () => {
    const out = renderToText(asReply(m));
    expect(out.text).toContain('[1] Approve   [2] Reject   [3] Withdraw');
    expect(out.text).toContain('\u270b Approval needed');
    expect(out.choices).toEqual([
      { n: 1, actionId: 'svc_approve', value: ID, label: 'Approve', confirm: 'Creates a load balancer for default/web on cluster prod (about $18.25/month). It runs as soon as you confirm.' },
      { n: 2, actionId: 'svc_reject', value: ID, label: 'Reject', confirm: expect.stringContaining('/svc reject 3f9c2a1b REASON') },
      { n: 3, actionId: 'svc_withdraw', value: ID, label: 'Withdraw', confirm: expect.stringContaining('Nothing will be changed') },
    ]);
  });
});

describe('renderApprovalRequest: decided', () => {
  it.each([
    ['approved', ':white_check_mark: Approved by <@U2BOB> at 11:48 UTC', 'The change runs as <@U1ALICE>; how it went is said in this message\u2019s thread.'],
    ['rejected', ':no_entry: Rejected by <@U2BOB> at 11:48 UTC \u2014 use the staging cluster', 'Nothing was changed.'],
    ['expired', ':hourglass: Expired at 11:48 UTC without a decision', 'Nothing was changed.'],
    ['withdrawn', ':leftwards_arrow_with_curved_arrow: Withdrawn by <@U1ALICE> at 11:48 UTC', 'Nothing was changed.'],
  ] as const)('%s: the same facts, a status line, no buttons', (status, line, after) => {
    const m = renderApprovalRequest(decided(status, { reason: 'use the staging cluster' }), { now: NOW });
    expect(blockKitViolations(asReply(m))).toEqual([]);
    expect(m.blocks.map((b) => b.type)).toEqual(['section', 'section', 'section', 'context']);
    expect(buttons(m)).toEqual([]);
    expect(renderToText(asReply(m)).choices).toEqual([]);
    const [title, facts, statusText, afterText] = blockLines(m);
    expect(title).toBe('*Approval request* `3f9c2a1b`');
    expect(facts).toContain('<@U1ALICE> asked at 11:55 UTC: `/svc create web -p 80:8080 --type lb`');
    expect(facts).toContain('*What:* creates LoadBalancer Service `web`');
    expect(facts).toContain('*Cost:* about $0.025/h');
    expect(facts).not.toContain('Expires');
    expect(statusText).toBe(line);
    expect(afterText).toBe(after);
    // Readable alone: the status first, then the facts.
    expect(m.text.split('\n')[0]).toBe(`${line} \u2014 request \`3f9c2a1b\``);
    expect(m.text).toContain('*What:* creates LoadBalancer Service `web`');
  });

  it('a rejection without a reason says none was given', () => {
    expect(blockLines(renderApprovalRequest(decided('rejected'), { now: NOW }))[2]).toBe(':no_entry: Rejected by <@U2BOB> at 11:48 UTC \u2014 no reason given');
    expect(blockLines(renderApprovalRequest(decided('rejected', { reason: '   ' }), { now: NOW }))[2]).toMatch(/no reason given$/);
  });

  it('a decision on another day gives its date', () => {
    const m = renderApprovalRequest(decided('approved', {}, 24 * 60), { now: NOW });
    expect(blockLines(m)[2]).toBe(':white_check_mark: Approved by <@U2BOB> at 2025-05-31 12:00 UTC');
  });

  it('an expiry without a recorded decision time uses the expiry time', () => {
    const m = renderApprovalRequest(request({ status: 'expired', expiresAt: NOW.getTime() - 2 * MIN }), { now: NOW });
    expect(blockLines(m)[2]).toBe(':hourglass: Expired at 11:58 UTC without a decision');
  });
});

describe('renderApprovalRequest: within Block Kit limits and escaped', () => {
  const longCommand = `/svc create ${'x'.repeat(3990)}`;
  const evilChange: ChangeSummary = { kind: 'type', cluster: EVIL.cluster, namespace: EVIL.namespace, name: EVIL.name, fromType: '<!here>', toType: 'LoadBalancer', ports: ['<!channel>', '*bold*'] };
  const evil = (status: ApprovalStatus): ApprovalRequest =>
    request({
      status,
      commandText: `/svc create ${EVIL.text} *bold* \`tick\``,
      change: evilChange,
      why: EVIL.text,
      cost: { region: '<!channel>', hourlyUsd: 0.025, monthlyUsd: 18.25 },
      reason: `${EVIL.text} *bold* <@U123>`,
      ...(status === 'pending' ? {} : { decidedBy: BOB, decidedAt: NOW.getTime() - MIN }),
    });

  it.each<ApprovalStatus>(['pending', ...STATUSES])('%s: a 4,000-character command, long names and reason stay valid; the button dialog keeps its last sentence', (status) => {
    const long = 'n'.repeat(300);
    const m = renderApprovalRequest(
      request({
        status,
        commandText: longCommand,
        change: { ...LB_CREATE, cluster: long, namespace: long, name: long, ports: Array.from({ length: 200 }, () => `${long}/TCP`) },
        reason: 'r&'.repeat(500),
        why: 'w'.repeat(2000),
        decidedBy: BOB,
        decidedAt: NOW.getTime(),
      }),
      { now: NOW },
    );
    expect(blockKitViolations(asReply(m))).toEqual([]);
    expect(blockLines(m)[0]).toContain('*Approval');
    for (const b of buttons(m)) expect(b.confirm?.text.text.length).toBeLessThanOrEqual(LIMITS.confirmText);
    if (status === 'pending') {
      expect(buttons(m)[0]?.confirm?.text.text).toMatch(/\u2026 It runs as soon as you confirm\.$/);
    }
  });

  it.each<ApprovalStatus>(['pending', ...STATUSES])('%s: Slack markup in every echoed text is shown, never acted on; only the real mentions are mentions', (status) => {
    const m = renderApprovalRequest(evil(status), { now: NOW });
    const expected = {
      pending: ['<@U1ALICE>', '<@U1ALICE>'],
      approved: ['<@U1ALICE>', '<@U1ALICE>', '<@U2BOB>'],
      rejected: ['<@U1ALICE>', '<@U2BOB>'],
      expired: ['<@U1ALICE>'],
      withdrawn: ['<@U1ALICE>', '<@U2BOB>'],
    }[status];
    expect(slackConstructs(blockLines(m).join('\n')).sort()).toEqual(expected);
    expect(slackConstructs(m.text).sort()).toEqual(expected);
    expect(outsideCode(m)).not.toContain('*bold*');
    expect(everything(m)).not.toContain('<!channel>');
    expect(everything(m)).not.toContain('<!here');
    expect(everything(m)).not.toContain('<@U999>');
    expect(m.text).toContain('&lt;@U999&gt;&amp;co');
  });

  it('names in the Approve dialog are escaped plain text', () => {
    const dialog = buttons(renderApprovalRequest(evil('pending'), { now: NOW }))[0]?.confirm?.text.text ?? '';
    expect(dialog).toContain('&lt;!here|here&gt;/&lt;@U999&gt;&amp;co on cluster &lt;!channel&gt;');
  });

  it('a requester or decider that is not a Slack user ID is named, not mentioned', () => {
    const m = renderApprovalRequest(decided('approved', { requester: { userId: '<!channel>', channelId: 'C1' }, decidedBy: 'alice' }), { now: NOW });
    expect(slackConstructs(everything(m))).toEqual([]);
    expect(m.text).toContain('Approved by alice at');
    expect(m.text).toContain('&lt;!channel&gt; asked at');
  });
});

describe('renderApprovalRequested', () => {
  it('tells the requester it waits, where it was posted, how to take it back and until when', () => {
    const r = renderApprovalRequested(request(), { approvalChannel: 'C0APPROVE' });
    expect(r.responseType).toBe('ephemeral');
    expect(blockKitViolations(r)).toEqual([]);
    expect(blockLines(r)).toEqual([
      ':hourglass_flowing_sand: Waiting for approval (request `3f9c2a1b`): creates LoadBalancer Service `web` in namespace `default` on cluster `prod`, about $18.25/month.\n' +
        'The request is posted in <#C0APPROVE>, where approvers decide; it needs approval because it creates a load balancer.',
      '`/svc withdraw 3f9c2a1b` takes it back. It expires in 60 min (at 12:55 UTC) if nobody decides.',
    ]);
    expect(r.text).toBe(blockLines(r).join('\n'));
  });

  it('asked again while the same change waits: says which request, who asked and when; nothing new was made', () => {
    const waiting = request({ createdAt: NOW.getTime() - 5 * MIN });
    const mine = renderApprovalRequested(waiting, { alreadyWaiting: { askedBy: ALICE, now: NOW } });
    expect(blockKitViolations(mine)).toEqual([]);
    expect(mine.text).toContain('This change is already waiting for approval: request `3f9c2a1b` (you asked 5 min ago)');
    expect(mine.text).toContain('Nothing new was made.');
    expect(mine.text).toContain('`/svc withdraw 3f9c2a1b` takes it back');
    const theirs = renderApprovalRequested(waiting, { alreadyWaiting: { askedBy: BOB, now: NOW } });
    expect(theirs.text).toContain(`(<@${ALICE}> asked 5 min ago)`);
    expect(theirs.text).not.toContain('withdraw');
    expect(theirs.text).toContain('`/svc approvals` lists what is waiting');
  });

  it('says "this channel" when the request was posted where it was asked', () => {
    for (const r of [renderApprovalRequested(request()), renderApprovalRequested(request(), { approvalChannel: 'C0DEV' })]) {
      expect(r.text).toContain('The request is posted in this channel, where approvers decide');
      expect(r.text).not.toContain('<#');
    }
  });

  it("uses the request message's channel when no approval channel is given", () => {
    const r = renderApprovalRequested(request({ message: { channel: 'G0PRIVATE', ts: '1.2' } }));
    expect(r.text).toContain('posted in <#G0PRIVATE>');
  });

  it.each(['console', '<!channel>', 'C0<!here>', 'D0DIRECT'])('links no channel from the invalid ID %j', (channel) => {
    const r = renderApprovalRequested(request(), { approvalChannel: channel });
    expect(r.text).toContain('The request is posted in the approval channel, where approvers decide');
    expect(slackConstructs(everything(r))).toEqual([]);
  });

  it('uses the configured command name; a request without cost says none', () => {
    const r = renderApprovalRequested(request({ cost: undefined, change: DELETE_LB, why: 'deletes a LoadBalancer Service (and its load balancer)' }), { commandName: '/k8s' });
    expect(r.text).toContain('Waiting for approval (request `3f9c2a1b`): deletes the LoadBalancer Service `cart` in namespace `shop` on cluster `prod`.');
    expect(r.text).toContain('`/k8s withdraw 3f9c2a1b` takes it back.');
    expect(r.text).not.toContain('$');
  });

  it('escapes names and the reason for approval', () => {
    const r = renderApprovalRequested(request({ change: { ...LB_CREATE, name: EVIL.name, namespace: EVIL.namespace, cluster: EVIL.cluster }, why: EVIL.text }));
    expect(slackConstructs(everything(r))).toEqual([]);
  });
});

describe('renderDecision', () => {
  const opts = { now: NOW };
  const ran: ApprovedRun = { kind: 'ran', result: { kind: 'queued', result: { jobId: 'provision.prod.default.web', operation: 'provision', cluster: 'prod', namespace: 'default', name: 'web', duplicate: false } } };

  function lines(r: Reply): string[] {
    expect(r.responseType).toBe('ephemeral');
    expect(blockKitViolations(r)).toEqual([]);
    expect(r.text).toBe(blockLines(r).join('\n'));
    return blockLines(r);
  }

  it('approved and ran (or ran with no report): the change runs now', () => {
    for (const run of [ran, undefined]) {
      const result: DecisionResult = { kind: 'decided', request: decided('approved', {}, 0), ...(run ? { run } : {}) };
      expect(lines(renderDecision('approve', result, opts))).toEqual([':white_check_mark: Approved request `3f9c2a1b`: the change runs now (see the request\u2019s thread).']);
    }
  });

  it('approved but not run: why, escaped, and that the requester is told', () => {
    const run: ApprovedRun = { kind: 'not-run', error: new BotError('stale_request', `Service web changed since the request ${EVIL.text}.`) };
    const r = renderDecision('approve', { kind: 'decided', request: decided('approved'), run }, opts);
    expect(lines(r)).toEqual([
      ':warning: Approved request `3f9c2a1b`, but the change did not run: Service web changed since the request boom &lt;!everyone&gt; &lt;https://evil.example|click&gt; &amp; more.',
      '<@U1ALICE> is told in the request\u2019s thread.',
    ]);
    // Once in the blocks, once in the fallback text.
    expect(slackConstructs(everything(r))).toEqual(['<@U1ALICE>', '<@U1ALICE>']);
  });

  it('approved but failed: the reference to the log', () => {
    const r = renderDecision('approve', { kind: 'decided', request: decided('approved'), run: { kind: 'failed', ref: 'a1b2c3d4' } }, opts);
    expect(lines(r)).toEqual([
      ':boom: Approved request `3f9c2a1b`, but something went wrong running the change (ref: `a1b2c3d4`). The details are in svcbot\u2019s log under that reference.',
      '<@U1ALICE> is told in the request\u2019s thread.',
    ]);
  });

  it('rejected: the requester is told (with the reason, escaped)', () => {
    expect(lines(renderDecision('reject', { kind: 'decided', request: decided('rejected') }, opts))).toEqual([':no_entry: Rejected request `3f9c2a1b`; <@U1ALICE> is told.']);
    const r = renderDecision('reject', { kind: 'decided', request: decided('rejected', { reason: 'use *staging* <!channel>' }) }, opts);
    expect(lines(r)).toEqual([':no_entry: Rejected request `3f9c2a1b`; <@U1ALICE> is told, with your reason: `use *staging* &lt;!channel&gt;`.']);
  });

  it('withdrawn: nothing was changed', () => {
    expect(lines(renderDecision('withdraw', { kind: 'decided', request: decided('withdrawn') }, opts))).toEqual([
      ':leftwards_arrow_with_curved_arrow: Withdrew request `3f9c2a1b`. Nothing was changed.',
    ]);
  });

  it.each([
    ['approved', 'Request `3f9c2a1b` was already approved by <@U2BOB> at 11:48 UTC (12 min ago).'],
    ['rejected', 'Request `3f9c2a1b` was already rejected by <@U2BOB> at 11:48 UTC (12 min ago): too big.'],
    ['expired', 'Request `3f9c2a1b` already expired at 11:48 UTC (12 min ago) without a decision.'],
    ['withdrawn', 'Request `3f9c2a1b` was already withdrawn by <@U1ALICE> at 11:48 UTC (12 min ago).'],
  ] as const)('already %s: who decided, when, how long ago; nothing more done', (status, line) => {
    for (const verb of ['approve', 'reject', 'withdraw'] as const) {
      const r = renderDecision(verb, { kind: 'already', request: decided(status, { reason: 'too big' }) }, opts);
      expect(lines(r)).toEqual([line, 'Nothing more was done.']);
    }
  });

  it('already decided moments ago, or days ago', () => {
    expect(lines(renderDecision('approve', { kind: 'already', request: decided('approved', {}, 0) }, opts))[0]).toContain('at 12:00 UTC (just now)');
    expect(lines(renderDecision('approve', { kind: 'already', request: decided('approved', {}, 3 * 24 * 60) }, opts))[0]).toContain('at 2025-05-29 12:00 UTC (3 days ago)');
  });

  it('refused: the reason, and that nothing was changed', () => {
    const r = renderDecision('withdraw', { kind: 'refused', request: request(), reason: 'Only the person who asked can withdraw a request.' }, opts);
    expect(lines(r)).toEqual([':no_entry_sign: Only the person who asked can withdraw a request. Nothing was changed.', 'Request `3f9c2a1b`']);
    const noStop = renderDecision('approve', { kind: 'refused', request: request(), reason: `refused by rule ${EVIL.text}` }, opts);
    expect(lines(noStop)[0]).toBe(':no_entry_sign: refused by rule boom &lt;!everyone&gt; &lt;https://evil.example|click&gt; &amp; more. Nothing was changed.');
    expect(slackConstructs(everything(noStop))).toEqual([]);
  });
});

describe('renderApprovalOutcome (the thread reply to the requester)', () => {
  const queuedReply = reply('ephemeral', 'Queued the load balancer for `web` as job `provision.prod.default.web`.\n`/svc jobs` shows where it stands.', [
    section('Queued the load balancer for `web` as job `provision.prod.default.web`.'),
    context('`/svc jobs` shows where it stands.'),
  ]);

  it('approved and ran: who approved, then what the command answered', () => {
    const m = renderApprovalOutcome(decided('approved'), { kind: 'ran', result: { kind: 'help' } }, queuedReply);
    expect(blockKitViolations(asReply(m))).toEqual([]);
    expect(blockLines(m)[0]).toBe('<@U1ALICE> your request `3f9c2a1b` was approved by <@U2BOB>:');
    expect(m.blocks.slice(1)).toEqual(queuedReply.blocks);
    expect(m.text).toBe(`<@U1ALICE> your request \`3f9c2a1b\` was approved by <@U2BOB>:\n${queuedReply.text}`);
  });

  it("approved with a result of more blocks than a message holds: within 50, the rest noted", () => {
    const big = reply('in_channel', 'big', Array.from({ length: 50 }, (_, i) => section(`part ${i}`)));
    const m = renderApprovalOutcome(decided('approved'), { kind: 'ran', result: { kind: 'help' } }, big);
    expect(m.blocks).toHaveLength(LIMITS.blocks);
    expect(blockKitViolations(asReply(m))).toEqual([]);
    expect(blockLines(m)[0]).toContain('was approved by <@U2BOB>:');
    expect(blockLines(m).at(-1)).toBe('_… and 2 more blocks not shown_');
  });

  it('approved without a rendered result: a sentence of its own', () => {
    expect(renderApprovalOutcome(decided('approved')).text).toBe('<@U1ALICE> your request `3f9c2a1b` was approved by <@U2BOB>.');
  });

  it('approved but not run: why (escaped)', () => {
    const m = renderApprovalOutcome(decided('approved'), { kind: 'not-run', error: new BotError('stale_request', 'The Service <web> changed since the request.') });
    expect(m.text).toBe(':warning: <@U1ALICE> your request `3f9c2a1b` was approved by <@U2BOB>, but it did not run: The Service &lt;web&gt; changed since the request.');
  });

  it('approved but failed: the log reference', () => {
    const m = renderApprovalOutcome(decided('approved'), { kind: 'failed', ref: 'a1b2c3d4' });
    expect(m.text).toBe(':boom: <@U1ALICE> your request `3f9c2a1b` was approved by <@U2BOB>, but something went wrong (ref: `a1b2c3d4`).');
  });

  it('rejected: by whom and why, or that no reason was given', () => {
    expect(renderApprovalOutcome(decided('rejected', { reason: 'use the staging cluster' })).text).toBe(
      '<@U1ALICE> your request `3f9c2a1b` was rejected by <@U2BOB>: use the staging cluster',
    );
    expect(renderApprovalOutcome(decided('rejected')).text).toBe('<@U1ALICE> your request `3f9c2a1b` was rejected by <@U2BOB>: (no reason given)');
  });

  it('expired: after how long, nothing changed, ask again', () => {
    const m = renderApprovalOutcome(request({ status: 'expired', createdAt: NOW.getTime() - 60 * MIN, expiresAt: NOW.getTime() }));
    expect(m.text).toBe('<@U1ALICE> your request `3f9c2a1b` expired after 60 min without a decision. Nothing was changed; ask again if it is still needed.');
  });

  it('withdrawn: nothing changed', () => {
    expect(renderApprovalOutcome(decided('withdrawn')).text).toBe('<@U1ALICE> your request `3f9c2a1b` was withdrawn by <@U1ALICE>. Nothing was changed.');
  });

  it('a requester who is not a Slack user ID is addressed without a mention', () => {
    const m = renderApprovalOutcome(decided('rejected', { requester: { userId: '<!channel>', channelId: 'C1' }, reason: `${EVIL.text} *bold*` }));
    expect(m.text).toMatch(/^Your request `3f9c2a1b` was rejected by <@U2BOB>: `/);
    expect(slackConstructs(everything(m))).toEqual(['<@U2BOB>', '<@U2BOB>']);
    expect(outsideCode(m)).not.toContain('*bold*');
  });

  it.each(STATUSES)('%s: a long reason and a long result stay within the limits', (status) => {
    const longReply = reply('in_channel', 'x'.repeat(5000), [section('y'.repeat(5000))]);
    const m = renderApprovalOutcome(decided(status, { reason: '<!channel> '.repeat(100) }), { kind: 'ran', result: { kind: 'help' } }, longReply);
    expect(blockKitViolations(asReply(m))).toEqual([]);
    expect(slackConstructs(everything(m)).every((c) => c === '<@U1ALICE>' || c === '<@U2BOB>')).toBe(true);
  });
});

describe('renderPending (/svc approvals)', () => {
  it('none waiting (of a cluster, if asked)', () => {
    const none = renderPending({ requests: [], now: NOW });
    expect(none.text).toBe('No approval requests are waiting.');
    expect(blockKitViolations(none)).toEqual([]);
    expect(renderPending({ requests: [], cluster: 'prod', now: NOW }).text).toBe('No approval requests are waiting for cluster `prod`.');
  });

  it('one line per request: ID, what, who, age, expiry; then how to decide', () => {
    const del = request({ id: '0badf00d', change: DELETE_LB, cost: undefined, requester: { userId: BOB, channelId: 'C1' }, createdAt: NOW.getTime() - 30 * MIN, expiresAt: NOW.getTime() + 30 * MIN });
    const r = renderPending({ requests: [request(), del], cluster: 'prod', now: NOW }, { commandName: '/lb' });
    expect(r.responseType).toBe('ephemeral');
    expect(blockKitViolations(r)).toEqual([]);
    expect(blockLines(r)).toEqual([
      '*2 approval requests waiting* for cluster `prod`:',
      '\u2022 `3f9c2a1b` creates LoadBalancer Service `web` in namespace `default` on cluster `prod` (~$18.25/month) \u2014 <@U1ALICE>, 5 min ago; expires in 55 min, at 12:55 UTC',
      '\u2022 `0badf00d` deletes the LoadBalancer Service `cart` in namespace `shop` on cluster `prod` \u2014 <@U2BOB>, 30 min ago; expires in 30 min, at 12:30 UTC',
      '`/lb approve ID` or the buttons; `/lb reject ID REASON` rejects with a reason.',
    ]);
    expect(r.text).toBe(blockLines(r).join('\n'));
  });

  it('each request carries its own Approve and Reject buttons, named by its ID', () => {
    const del = request({ id: '0badf00d', change: DELETE_LB, cost: undefined });
    const r = renderPending({ requests: [request(), del], now: NOW });
    expect(buttons(asReply(r)).map((b) => [b.action_id, b.value, b.text.text])).toEqual([
      ['svc_approve', '3f9c2a1b', 'Approve 3f9c2a1b'],
      ['svc_reject', '3f9c2a1b', 'Reject 3f9c2a1b'],
      ['svc_approve', '0badf00d', 'Approve 0badf00d'],
      ['svc_reject', '0badf00d', 'Reject 0badf00d'],
    ]);
    // Approving from the list asks first, naming what it would do.
    expect(JSON.stringify(buttons(asReply(r))[2])).toContain('Deletes the LoadBalancer Service shop/cart on cluster prod');
  });

  it('buttons for the oldest 10 only; the rest as lines', () => {
    const requests = Array.from({ length: 12 }, (_, i) => request({ id: i.toString(16).padStart(8, '0') }));
    const r = renderPending({ requests, now: NOW });
    expect(buttons(asReply(r))).toHaveLength(20);
    expect(buttons(asReply(r)).at(-1)?.value).toBe('00000009');
    expect(blockLines(r).flatMap((l) => l.split('\n')).filter((l) => l.startsWith('\u2022 '))).toHaveLength(12);
  });

  it("uses the result's time unless told another", () => {
    const later = new Date(NOW.getTime() + 10 * MIN);
    expect(renderPending({ requests: [request()], now: NOW }, { now: later }).text).toContain('15 min ago; expires in 45 min');
  });

  it('500 requests with long names: within Block Kit limits, the rest counted', () => {
    const long = 'n'.repeat(63);
    const requests = Array.from({ length: 500 }, (_, i) => request({ id: i.toString(16).padStart(8, '0'), change: { ...LB_CREATE, name: long, namespace: long, cluster: long } }));
    const r = renderPending({ requests, now: NOW });
    expect(blockKitViolations(r)).toEqual([]);
    const shown = blockLines(r).flatMap((l) => l.split('\n')).filter((l) => l.startsWith('\u2022 ')).length;
    expect(blockLines(r).join('\n')).toContain(`… and ${500 - shown} more requests`);
    const shownInText = r.text.split('\n').filter((l) => l.startsWith('\u2022 ')).length;
    expect(r.text).toContain(`… and ${500 - shownInText} more requests`);
    expect(r.text).toMatch(/rejects with a reason\.$/);
  });

  it('escapes every name; mentions only the requesters', () => {
    const r = renderPending({
      requests: [request({ change: { ...LB_CREATE, name: EVIL.name, namespace: EVIL.namespace, cluster: EVIL.cluster }, requester: { userId: '<!channel>', channelId: 'C1' } }), request()],
      cluster: EVIL.cluster,
      now: NOW,
    });
    expect(slackConstructs(everything(r))).toEqual(['<@U1ALICE>', '<@U1ALICE>']);
  });
});

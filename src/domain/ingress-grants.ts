/**
 * `/svc allow`: a Service opened to one source range for a while, through the approval flow, and closed
 * again by itself when the time is up — the tutorial's hand-run `authorize-security-group-ingress`, which
 * people forget to revoke.
 *
 * What is opened: a NodePort Service's node ports in the nodes' security group (the one group all Ready
 * nodes share; of several, the one tagged `kubernetes.io/cluster/…`), or a LoadBalancer Service's listener
 * ports in its load balancer's own security group. A ClusterIP Service has nothing outside the cluster.
 *
 * The policy is checked where the change is made (here), at the request and again when the approved
 * request runs: who may `allow` where, the duration's bounds, and ranges that let everyone in
 * (`policy.allow.worldOpen`). The grant is kept first, then its expiry scheduled (a delayed job whose id
 * is the grant's: however many workers, and across restarts, it closes the grant once), then each rule
 * authorized. A rule EC2 says was there already (`InvalidPermission.Duplicate`) is not the grant's to
 * revoke unless svcbot made it for another grant; the store counts the grants holding each rule svcbot
 * made, and the last one to end revokes it (`InvalidPermission.NotFound` counts as revoked). Every step
 * that decides is one atomic step of the store (src/ports/ingress-grants.ts).
 */
import { randomBytes } from 'node:crypto';
import type { Access } from './access.js';
import type { ApprovalRequests } from './approval-requests.js';
import { approvalNeeded, type ApprovalRequest, type ChangeSummary } from './approvals.js';
import type { AuditTrail } from './audit-trail.js';
import type { AllowCommand } from './command.js';
import { BotError } from './errors.js';
import { isWorldOpen, parseCidr } from './grammar/cidr.js';
import type { GrantRule, IngressGrant } from './ingress-grants-model.js';
import { instanceIdOf, nodePortsOf, type SecurityGroupView } from './node-port-access.js';
import type { Requester } from './operations.js';
import type { OperationResult } from './results.js';
import type { ServiceView } from './views.js';
import type { RetryBudget } from '../ports/cluster.js';
import type { ClusterRegistry, ClusterTarget } from '../ports/clusters.js';
import type { GrantExpiry, GrantStore } from '../ports/ingress-grants.js';
import type { Logger } from '../ports/logger.js';

export type AllowResult =
  /** A grant: asked for approval, or opened. */
  | { kind: 'operation'; result: OperationResult }
  | { kind: 'grants'; grants: IngressGrant[]; cluster?: string; now: number }
  | { kind: 'revoked'; grant: IngressGrant; already: boolean };

/** Tells the requester (the request's thread, or their channel) that a grant was closed. */
export interface GrantNotices {
  closed(grant: IngressGrant): Promise<void>;
}

export interface IngressGrantsDeps {
  clusters: ClusterRegistry;
  store: GrantStore;
  expiry: GrantExpiry;
  access: Pick<Access, 'check' | 'policy'>;
  audit: Pick<AuditTrail, 'record'>;
  approvals: Pick<ApprovalRequests, 'request'>;
  notices: GrantNotices;
  logger: Logger;
  now?: () => number;
  newId?: () => string;
  wait?: (ms: number) => Promise<void>;
}

/** How long a rule stays locked for one grant's authorize or revoke (a dead process's lock lapses after it). */
const RULE_LOCK_MS = 30_000;
/** How long one close may take before another process may take it over. */
const CLOSE_LEASE_MS = 60_000;
/** How long a grant waits for another grant's authorize or revoke of the same rule. */
const BUSY_WAIT_MS = 10_000;

const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function newGrantId(): string {
  return randomBytes(4).toString('hex');
}

/** `tcp/30080`. */
function ruleWords(rule: Pick<GrantRule, 'protocol' | 'port'>): string {
  return `${rule.protocol}/${rule.port}`;
}

/** What EC2 keeps on the rule, so whoever looks at the group sees whose it is (EC2's allowed characters only). */
function ruleDescription(grant: IngressGrant): string {
  return `svcbot grant ${grant.id} ${grant.namespace}/${grant.service} until ${new Date(grant.expiresAt).toISOString()}`.replace(/[^a-zA-Z0-9. _\-:/()#,@[\]+=&;{}!$*]/g, '');
}

/** The group all Ready nodes share (of several, the cluster's tagged one), or a refusal in words. */
function nodesGroup(instances: { instanceId: string; groupIds: string[] }[], groups: readonly SecurityGroupView[], service: string): SecurityGroupView {
  const [first, ...rest] = instances;
  const common = (first?.groupIds ?? []).filter((id) => rest.every((i) => i.groupIds.includes(id)));
  const views = common.flatMap((id) => groups.filter((g) => g.groupId === id));
  if (views.length === 1) return views[0]!;
  const tagged = views.filter((g) => Object.keys(g.tags ?? {}).some((k) => k.startsWith('kubernetes.io/cluster/')));
  if (tagged.length === 1) return tagged[0]!;
  if (views.length === 0) {
    throw new BotError('invalid', `The nodes of \`${service}\` share no security group: svcbot does not know where to open its node ports. Nothing was changed.`);
  }
  throw new BotError(
    'invalid',
    `The nodes share several security groups (${views.map((g) => `\`${g.groupId}\``).join(', ')}) and ${tagged.length === 0 ? 'none' : 'more than one'} is tagged \`kubernetes.io/cluster/…\`: svcbot does not guess which to open. Nothing was changed.`,
  );
}

export function makeIngressGrants(deps: IngressGrantsDeps) {
  const { clusters, store, expiry, access, audit, approvals, notices, logger, now = Date.now, newId = newGrantId, wait = pause } = deps;
  const log = logger.child({ component: 'ingress-grants' });

  function ec2Of(target: ClusterTarget) {
    const { ingressRules, nodeSecurityGroups } = target;
    if (!ingressRules || !nodeSecurityGroups) {
      throw new BotError('invalid', `svcbot has no EC2 access for cluster \`${target.cluster.name}\` (no region or client): it cannot open ports there.`);
    }
    return { ingressRules, nodeSecurityGroups };
  }

  /** The policy's word on the range and the duration (at the request and again when it runs). */
  function checkGrant(cidr: string, durationMs: number | undefined): number {
    const { allow } = access.policy;
    if (isWorldOpen(parseCidr(cidr)) && !allow.worldOpen) {
      throw new BotError(
        'not_allowed',
        `Opening a port to everyone (${cidr}) is refused: the policy does not allow it (policy.allow.worldOpen). Give the range that needs it, e.g. your office's or your address with /32.`,
      );
    }
    const ms = durationMs ?? allow.defaultDurationMs;
    if (ms > allow.maxDurationMs) {
      throw new BotError('invalid', `--for is longer than the policy allows (at most ${durationText(allow.maxDurationMs)}, policy.allow.maxDuration). Nothing was changed.`);
    }
    if (ms < allow.minDurationMs) {
      throw new BotError('invalid', `--for is shorter than the policy allows (at least ${durationText(allow.minDurationMs)}, policy.allow.minDuration). Nothing was changed.`);
    }
    return ms;
  }

  /** Which rules the Service's opening is: its node ports in the nodes' group, or its load balancer's listeners in the load balancer's group. */
  async function rulesFor(target: ClusterTarget, service: ServiceView): Promise<{ target: IngressGrant['target']; rules: Omit<GrantRule, 'cidr'>[] }> {
    const { nodeSecurityGroups } = ec2Of(target);
    const name = `${service.namespace}/${service.name}`;
    if (service.type === 'NodePort') {
      const ports = nodePortsOf(service.ports);
      if (ports.length === 0) throw new BotError('invalid', `Service \`${name}\` has no node port yet: try again in a moment.`);
      const nodes = (await target.cluster.listNodes()).filter((n) => n.ready);
      const ids = [...new Set(nodes.flatMap((n) => instanceIdOf(n.providerID) ?? []))];
      if (ids.length === 0) throw new BotError('invalid', 'No Ready node with an EC2 instance (`aws:///ZONE/i-…` providerID) to open node ports on. Nothing was changed.');
      const found = await nodeSecurityGroups.groupsOfInstances(ids);
      const group = nodesGroup(found.instances, found.groups, name);
      return {
        target: { kind: 'node-ports' },
        rules: ports.map((p) => ({ groupId: group.groupId, ...(group.groupName === undefined ? {} : { groupName: group.groupName }), protocol: p.protocol.toLowerCase() as GrantRule['protocol'], port: p.port })),
      };
    }
    if (service.type === 'LoadBalancer') {
      const hostname = service.loadBalancerHostnames[0];
      if (hostname === undefined) throw new BotError('invalid', `Service \`${name}\` has no load balancer address yet: try again once \`describe\` shows one. Nothing was changed.`);
      const lb = await target.loadBalancers.findForService({ namespace: service.namespace, name: service.name, hostname });
      if (!lb) throw new BotError('invalid', `No classic ELB tagged for \`${name}\` answers to ${hostname}: svcbot does not know which load balancer to open. Nothing was changed.`);
      const groupId = lb.securityGroups?.[0];
      if (groupId === undefined) throw new BotError('invalid', `Load balancer \`${lb.name}\` has no security group: there is nothing svcbot can open. Nothing was changed.`);
      const ports = [...new Set(lb.listeners.map((l) => l.loadBalancerPort))].sort((a, b) => a - b);
      if (ports.length === 0) throw new BotError('invalid', `Load balancer \`${lb.name}\` has no listeners: nothing to open. Nothing was changed.`);
      return { target: { kind: 'load-balancer', name: lb.name }, rules: ports.map((port) => ({ groupId, protocol: 'tcp', port })) };
    }
    throw new BotError(
      'invalid',
      `\`${name}\` is a ${service.type} Service: it has no address outside the cluster, so there is nothing to open. Make it a NodePort or LoadBalancer Service first (\`type ${service.name} nodeport\`).`,
    );
  }

  /** Claims `rule` for this grant, waiting a little while another grant authorizes or revokes it. */
  async function claim(grantId: string, index: number, rule: GrantRule): Promise<void> {
    const deadline = now() + BUSY_WAIT_MS;
    while ((await store.claimRule(grantId, index, rule, now(), RULE_LOCK_MS)) === 'busy') {
      if (now() > deadline) {
        throw new BotError('invalid', `Another grant is opening or closing ${ruleWords(rule)} from ${rule.cidr} in \`${rule.groupId}\` right now: try again in a moment. Nothing was changed.`, { transient: true });
      }
      await wait(250);
    }
  }

  /** Ends the grant's hold on each of its rules: a rule it was the last holder of, and svcbot made, is revoked. */
  async function releaseRules(grant: IngressGrant): Promise<void> {
    const { ingressRules } = ec2Of(clusters.get(grant.cluster));
    for (const rule of grant.rules) {
      const deadline = now() + BUSY_WAIT_MS;
      for (;;) {
        const release = await store.releaseRule(grant.id, rule, now(), RULE_LOCK_MS);
        if (release === 'keep') {
          if (rule.unsettled === true) {
            // Its process stopped between EC2's answer and recording it: the rule may be there, and
            // svcbot cannot tell whether it made it. Never revoked on a guess; said loudly instead.
            log.warn({ grant: grant.id, rule: `${rule.groupId} ${ruleWords(rule)} ${rule.cidr}` }, 'a grant closed without knowing whether it opened this rule: check the group');
          }
          break;
        }
        if (release === 'revoke') {
          const answer = await ingressRules.revoke(rule);
          log.info({ grant: grant.id, rule: `${rule.groupId} ${ruleWords(rule)} ${rule.cidr}`, answer }, 'revoked a rule');
          await store.finishRelease(grant.id, rule);
          break;
        }
        if (now() > deadline) throw new BotError('invalid', `${ruleWords(rule)} in \`${rule.groupId}\` is locked by another grant: closing grant ${grant.id} again later.`, { transient: true });
        await wait(250);
      }
    }
  }

  /**
   * Closes a grant: each rule it holds released (revoked when it was the last holder of a rule svcbot
   * made), then closed — once, by whoever claimed it (`closer`). The requester hears of it, unless it
   * never opened (`failed`).
   */
  async function close(id: string, reason: 'expired' | 'revoked' | 'failed', by: string, closer: string): Promise<{ grant: IngressGrant; already: boolean }> {
    const claimed = await store.beginClose(id, { closer, reason, by, at: now(), leaseMs: CLOSE_LEASE_MS });
    if (claimed.outcome === 'missing') throw new BotError('not_found', `There is no grant ${id}: \`allow --list\` shows the openings in force.`);
    if (claimed.outcome === 'closed') return { grant: claimed.grant, already: true };
    if (claimed.outcome === 'other') {
      throw new BotError('invalid', `Grant ${id} is being closed right now (${claimed.grant.closeReason ?? 'closing'}): \`allow --list\` shows when it is gone.`, { transient: true });
    }
    const { grant } = claimed;
    await releaseRules(grant);
    const closedAt = now();
    const done = await store.finishClose(grant.id, closer, closedAt);
    const closed: IngressGrant = { ...grant, status: 'closed', closedAt, closeReason: grant.closeReason ?? reason, closedBy: grant.closedBy ?? by };
    if (done && closed.closeReason !== 'failed') {
      await audit.record({
        action: 'change',
        userId: closed.closeReason === 'revoked' ? (closed.closedBy ?? by) : closed.requestedBy,
        cluster: closed.cluster,
        namespace: closed.namespace,
        service: closed.service,
        result: `${closed.closeReason === 'expired' ? 'expired' : 'revoked'}: closed grant ${closed.id} (${closed.rules.map(ruleWords).join(', ')} from ${closed.cidr} in ${[...new Set(closed.rules.map((r) => r.groupId))].join(', ')})`,
      });
      await notices.closed(closed).catch((err: unknown) => log.warn({ err, grant: closed.id }, 'could not tell that a grant was closed'));
    }
    return { grant: closed, already: !done };
  }

  /**
   * Keeps the grant, schedules its expiry, authorizes each rule not yet settled; undoes it all if one
   * fails. `fresh`: false when the grant was open already (an approved run resumed after it finished).
   */
  async function open(draft: IngressGrant): Promise<{ grant: IngressGrant; fresh: boolean }> {
    const { grant } = await store.create(draft);
    if (grant.status === 'closing' || grant.status === 'closed') {
      throw new BotError('invalid', `Grant ${grant.id} was closed (${grant.closeReason ?? 'closed'}) before it finished opening: ask again.`);
    }
    if (grant.status === 'open') return { grant, fresh: false };
    const { ingressRules } = ec2Of(clusters.get(grant.cluster));
    try {
      // First: from here on, a crash of this process still closes it at its time.
      await expiry.schedule(grant.id, grant.expiresAt);
      for (const [i, rule] of grant.rules.entries()) {
        if (rule.owned !== undefined) continue;
        // A resumed run: an authorize that never settled may have added the rule; asked again, EC2 says
        // duplicate and the grant would not own a rule it may have made. Not guessed: it is left, said.
        if (rule.unsettled === true) throw new BotError('invalid', `Grant ${grant.id} was interrupted while it opened ${ruleWords(rule)} in \`${rule.groupId}\`: svcbot cannot tell whether it made that rule. Closing it; ask again.`);
        await claim(grant.id, i, rule);
        const result = await ingressRules.authorize(rule, ruleDescription(grant));
        grant.rules[i] = { ...rule, owned: await store.settleRule(grant.id, i, rule, result) };
      }
    } catch (err) {
      await close(grant.id, 'failed', grant.requestedBy, `open:${grant.id}`).catch((closeErr: unknown) =>
        log.error({ err: closeErr, grant: grant.id }, 'could not undo a grant that failed to open; its expiry closes it'),
      );
      await expiry.cancel(grant.id).catch(() => undefined);
      throw err;
    }
    const openedAt = now();
    if (!(await store.markOpen(grant.id, openedAt))) {
      // Revoked while it opened: a rule it settled after the revoke released its rules is released here.
      await releaseRules(grant);
      throw new BotError('invalid', `Grant ${grant.id} was revoked while it opened: nothing stays open.`);
    }
    return { grant: { ...grant, status: 'open', openedAt }, fresh: true };
  }

  async function grantCommand(command: Extract<AllowCommand, { action: 'grant' }>, requester: Requester, opts: { approved?: ApprovalRequest; budget?: RetryBudget }): Promise<OperationResult> {
    const { scope, name } = command;
    const target = clusters.get(scope.cluster, opts.budget);
    const cluster = target.cluster.name;
    await access.check(requester, { subcommand: 'allow', cluster, namespace: scope.namespace }, { service: name, ...(opts.approved ? { requestId: opts.approved.id } : {}) });
    const durationMs = checkGrant(command.cidr, opts.approved?.change.ingress?.durationMs ?? command.durationMs);
    const service = await target.cluster.getService(scope.namespace, name);
    if (opts.approved?.resourceVersion !== undefined && opts.approved.resourceVersion !== service.resourceVersion) {
      throw new BotError('stale_request', `Service \`${name}\` changed since the request — ask again. Nothing was opened.`);
    }
    const { target: where, rules } = await rulesFor(target, service);
    const unique = [...new Map(rules.map((r) => [`${r.groupId}/${r.protocol}/${r.port}`, { ...r, cidr: command.cidr }])).values()];
    const why = opts.approved ? undefined : approvalNeeded(command, service, access.policy.approval.needs);
    if (why !== undefined) {
      const change: ChangeSummary = {
        kind: 'allow',
        cluster,
        namespace: scope.namespace,
        name,
        fromType: service.type,
        ports: unique.map(ruleWords),
        ingress: {
          cidr: command.cidr,
          durationMs,
          target: where.kind,
          ...(where.kind === 'load-balancer' ? { loadBalancer: where.name } : {}),
          rules: unique.map((r) => ({ groupId: r.groupId, ...(r.groupName === undefined ? {} : { groupName: r.groupName }), protocol: r.protocol, port: r.port })),
        },
      };
      const { request, alreadyWaiting } = await approvals.request({ command, change, why, resourceVersion: service.resourceVersion }, requester);
      return alreadyWaiting ? { kind: 'approval-requested', request, alreadyWaiting } : { kind: 'approval-requested', request };
    }
    const at = now();
    const approved = opts.approved;
    const { grant, fresh } = await open({
      id: approved?.id ?? newId(),
      status: 'opening',
      cluster,
      namespace: scope.namespace,
      service: name,
      target: where,
      cidr: command.cidr,
      rules: unique,
      requestedBy: requester.userId,
      ...(approved?.decidedBy === undefined ? {} : { approvedBy: approved.decidedBy }),
      channelId: requester.channelId ?? approved?.requester.channelId ?? '',
      ...(approved?.message === undefined ? {} : { thread: approved.message }),
      commandText: requester.commandText ?? '',
      createdAt: at,
      expiresAt: at + durationMs,
    });
    const owned = grant.rules.filter((r) => r.owned === true).length;
    if (!fresh) return { kind: 'ingress-opened', grant };
    await audit.record({
      action: 'change',
      userId: requester.userId,
      ...(requester.commandText === undefined ? {} : { command: requester.commandText }),
      cluster,
      namespace: scope.namespace,
      service: name,
      result:
        `opened grant ${grant.id}: ${grant.rules.map(ruleWords).join(', ')} from ${grant.cidr} in ${[...new Set(grant.rules.map((r) => r.groupId))].join(', ')} ` +
        `until ${new Date(grant.expiresAt).toISOString()}${owned < grant.rules.length ? ` (${grant.rules.length - owned} rule(s) were there already and stay)` : ''}`,
      ...(approved ? { requestId: approved.id } : {}),
    });
    return { kind: 'ingress-opened', grant };
  }

  return {
    /** `/svc allow …` for `requester` (an approved request's run: with `approved`). */
    async run(command: AllowCommand, requester: Requester, opts: { approved?: ApprovalRequest; budget?: RetryBudget } = {}): Promise<AllowResult> {
      switch (command.action) {
        case 'grant':
          return { kind: 'operation', result: await grantCommand(command, requester, opts) };
        case 'list': {
          // Every configured cluster's openings, or one cluster's (an unknown name is said as such).
          const cluster = command.cluster === undefined ? undefined : clusters.get(command.cluster).cluster.name;
          const grants = (await store.listActive()).filter((g) => cluster === undefined || g.cluster === cluster);
          return { kind: 'grants', grants, ...(cluster === undefined ? {} : { cluster }), now: now() };
        }
        case 'revoke': {
          const grant = await store.get(command.id);
          if (!grant) throw new BotError('not_found', `There is no grant ${command.id}: \`allow --list\` shows the openings in force.`);
          await access.check(requester, { subcommand: 'allow', cluster: grant.cluster, namespace: grant.namespace }, { service: grant.service });
          const closed = await close(grant.id, 'revoked', requester.userId, `revoke:${newGrantId()}`);
          if (!closed.already) await expiry.cancel(grant.id).catch((err: unknown) => log.warn({ err, grant: grant.id }, 'could not remove a revoked grant\'s expiry job (it will find the grant closed)'));
          return { kind: 'revoked', grant: closed.grant, already: closed.already };
        }
      }
    },

    /** The expiry job's work: closes the grant (once, whichever worker runs it; a closed one is left alone). */
    async expire(grantId: string): Promise<void> {
      const { already } = await close(grantId, 'expired', 'svcbot', 'expiry');
      if (already) log.info({ grant: grantId }, 'grant already closed before its expiry');
    },
  };
}

export type IngressGrants = ReturnType<typeof makeIngressGrants>;

/** `2h`, `30m`, `1h30m`, `45s`. */
function durationText(ms: number): string {
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const s = Math.round((ms % 60_000) / 1000);
  return `${h > 0 ? `${h}h` : ''}${m > 0 ? `${m}m` : ''}${s > 0 || ms < 60_000 ? `${s}s` : ''}`;
}

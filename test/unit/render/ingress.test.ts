/** `/svc allow`'s messages: what was opened and until when, the list, a revocation, the close (and a rule svcbot could not account for). */
import type { IngressGrant } from '../../../src/domain/ingress-grants-model.js';
import { blockKitViolations } from '../../../src/render/blocks.js';
import { renderGrantClosed, renderGrantList, renderGrantOpened, renderGrantRevoked } from '../../../src/render/ingress.js';

const now = new Date('2026-12-07T10:00:00Z');
const grant: IngressGrant = {
  id: '1a2b3c4d',
  status: 'open',
  cluster: 'prod',
  namespace: 'shop',
  service: 'web',
  target: { kind: 'node-ports' },
  cidr: '203.0.113.0/24',
  rules: [
    { groupId: 'sg-0abc', groupName: 'k8s <nodes> & *bold*', protocol: 'tcp', port: 30080, cidr: '203.0.113.0/24', owned: true },
    { groupId: 'sg-0abc', groupName: 'k8s <nodes> & *bold*', protocol: 'tcp', port: 30443, cidr: '203.0.113.0/24', owned: false },
  ],
  requestedBy: 'U1ALICE',
  approvedBy: 'U2BOB',
  channelId: 'C1',
  commandText: '/svc allow web --from 203.0.113.0/24',
  createdAt: now.getTime(),
  expiresAt: now.getTime() + 2 * 3_600_000,
};

test('opened: which rules, in which group (its name escaped), until when, the one that was there already, and how to close it', () => {
  const reply = renderGrantOpened(grant, { now });
  expect(reply.text).toContain(':unlock: Opened the node ports of `web` in namespace `shop` on cluster `prod` to `203.0.113.0/24`: `tcp/30080`, `tcp/30443` in `sg-0abc` (`k8s &lt;nodes&gt; &amp; *bold*`).');
  expect(reply.text).toContain('It closes by itself at 12:00 UTC (in 2 h). Grant `1a2b3c4d`.');
  expect(reply.text).toContain('`tcp/30443` from `203.0.113.0/24` was open already (by hand or another grant): svcbot leaves that rule as it is when this grant ends.');
  expect(reply.text).toContain('`/svc allow --revoke 1a2b3c4d` closes it now');
  expect(blockKitViolations(reply)).toEqual([]);
});

test('the list, an empty list, a revocation and a second one', () => {
  const list = renderGrantList([grant], { now });
  expect(list.text).toContain('`1a2b3c4d` `shop/web` on `prod`');
  expect(list.text).toContain('asked by <@U1ALICE>, approved by <@U2BOB>');
  expect(renderGrantList([], { now, cluster: 'prod' }).text).toBe('No openings in force on cluster `prod`. `/svc allow NAME --from CIDR` opens one.');
  expect(renderGrantRevoked(grant, false, { now }).text).toContain(':lock: Closed grant `1a2b3c4d`');
  expect(renderGrantRevoked({ ...grant, status: 'closed', closedAt: now.getTime(), closeReason: 'expired' }, true, { now }).text).toBe('Grant `1a2b3c4d` was closed already at 10:00 UTC (expired). Nothing was changed.');
});

test('closed: why (its time, or who revoked it), and a rule svcbot could not account for is said, not guessed', () => {
  const expired = renderGrantClosed({ ...grant, status: 'closed', closeReason: 'expired', closedAt: now.getTime() }, { now });
  expect(expired.text).toContain('its time was up, 10:00 UTC');
  expect(expired.text).toContain(':lock: Closed: the node ports of `web` in namespace `shop` on cluster `prod` are no longer open to');
  const lbExpired = renderGrantClosed({ ...grant, target: { kind: 'load-balancer', name: 'a1b2' }, status: 'closed', closeReason: 'expired', closedAt: now.getTime() }, { now });
  expect(lbExpired.text).toContain(':lock: Closed: load balancer `a1b2` of `web` in namespace `shop` on cluster `prod` is no longer open to');
  expect(expired.text).not.toContain(':warning:');
  const revoked = renderGrantClosed({ ...grant, status: 'closed', closeReason: 'revoked', closedBy: 'U3CAROL', closedAt: now.getTime() }, { now });
  expect(revoked.text).toContain('revoked by <@U3CAROL>');
  const unsure = renderGrantClosed({ ...grant, status: 'closed', closeReason: 'expired', rules: [{ ...grant.rules[0]!, owned: undefined, unsettled: true }] }, { now });
  expect(unsure.text).toContain(":warning: svcbot stopped while it opened `tcp/30080` in `sg-0abc` and cannot tell whether it made that rule, so it left it alone: check the group (svcbot's rules say `svcbot grant 1a2b3c4d`).");
});

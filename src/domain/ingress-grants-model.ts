/**
 * A grant of `/svc allow`: a Service's ports opened to one source range for a while — which rules in
 * which security groups, who asked and who approved, until when, and which of the rules it owns (made, or
 * shares with another grant that made it: revoked when the last of them ends) or merely found there.
 */
import type { IngressRuleRef } from '../ports/ingress-rules.js';

export type GrantStatus = 'opening' | 'open' | 'closing' | 'closed';

export interface GrantRule extends IngressRuleRef {
  groupName?: string;
  /** Whether the grant owns it: undefined until its authorize is settled. */
  owned?: boolean;
  /** Its authorize was started and never settled (the process stopped): whether EC2 added it is unknown. */
  unsettled?: true;
}

export interface IngressGrant {
  /** 8 hex digits; the approval request's id when it was approved. */
  id: string;
  status: GrantStatus;
  cluster: string;
  namespace: string;
  service: string;
  /** Node ports in the nodes' groups, or listener ports in the load balancer's. */
  target: { kind: 'node-ports' } | { kind: 'load-balancer'; name: string };
  cidr: string;
  rules: GrantRule[];
  requestedBy: string;
  approvedBy?: string;
  /** Where the requester asked, and the approval request's message (its thread hears of the close). */
  channelId: string;
  thread?: { channel: string; ts: string };
  commandText: string;
  createdAt: number;
  openedAt?: number;
  expiresAt: number;
  closedAt?: number;
  closedBy?: string;
  closeReason?: 'expired' | 'revoked' | 'failed';
}

/** The key of one rule, as the store counts its holders: `sg-1/tcp/30080/203.0.113.0/24`. */
export function ruleKey(rule: IngressRuleRef): string {
  return `${rule.groupId}/${rule.protocol}/${rule.port}/${rule.cidr}`;
}

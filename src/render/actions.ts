/**
 * The buttons svcbot's replies carry: their action IDs and the value they send back. The interaction
 * handlers match on `ACTION_IDS` and read the value with `parseServiceActionValue` (a Service's buttons)
 * or `parseRequestActionValue` (an approval request's buttons).
 */
import { LIMITS, type ButtonSpec } from './blocks.js';
import { escapeMrkdwn } from './mrkdwn.js';

export const ACTION_IDS = {
  /** Show `describe` for the Service in the value. */
  describe: 'svc_describe',
  /** Delete the Service in the value (the button asks for confirmation first). */
  delete: 'svc_delete',
  /** Approve the approval request whose ID is the value (the button asks for confirmation first). */
  approve: 'svc_approve',
  /** Reject the approval request in the value, without a reason. */
  reject: 'svc_reject',
  /** Withdraw the approval request in the value (its requester only: the domain checks who pressed it). */
  withdraw: 'svc_withdraw',
  /** Ask for approval to delete the orphaned load balancer whose key (ARN, or region/name) is the value. */
  orphanDelete: 'svc_orphan_delete',
  /** Leave the orphaned load balancer in the value out of reports for 7 days. */
  orphanSnooze: 'svc_orphan_snooze',
  /** Leave the orphaned load balancer in the value out of reports until un-ignored. */
  orphanIgnore: 'svc_orphan_ignore',
  /** Take the ignored load balancer in the value back into reports. */
  orphanUnignore: 'svc_orphan_unignore',
  /** The next page of an orphan report; the value is its query. */
  orphansMore: 'svc_orphans_more',
} as const;

/** Which Service a button acts on. */
export interface ServiceRef {
  cluster: string;
  namespace: string;
  name: string;
}

/** JSON, with `<`, `>` and `&` as \u escapes so that not even a button's hidden value holds Slack markup. */
export function markupFreeJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026');
}

/** What a button's JSON value holds, or undefined when it is too long for a button or not JSON. */
export function parseButtonJson(value: string): unknown {
  if (value.length > LIMITS.buttonValue) return undefined;
  try {
    return JSON.parse(value) as unknown;
  } catch {
    return undefined;
  }
}

/** A Service's buttons' value: its reference, as markup-free JSON. */
export function serviceActionValue(ref: ServiceRef): string {
  return markupFreeJson({ cluster: ref.cluster, namespace: ref.namespace, name: ref.name });
}

/** The ServiceRef in a button's value, or undefined when the value is not one of ours. */
export function parseServiceActionValue(value: string): ServiceRef | undefined {
  const parsed = parseButtonJson(value);
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const { cluster, namespace, name } = parsed as Record<string, unknown>;
  if (typeof cluster !== 'string' || typeof namespace !== 'string' || typeof name !== 'string') return undefined;
  if (namespace === '' || name === '') return undefined;
  return { cluster, namespace, name };
}

export function describeButton(ref: ServiceRef): ButtonSpec {
  return { actionId: ACTION_IDS.describe, value: serviceActionValue(ref), label: 'Details' };
}

export function deleteButton(ref: ServiceRef): ButtonSpec {
  return {
    actionId: ACTION_IDS.delete,
    value: serviceActionValue(ref),
    label: 'Delete',
    style: 'danger',
    confirm: {
      title: 'Delete this Service?',
      text: `Delete Service ${ref.name} in namespace ${ref.namespace} on cluster ${ref.cluster}? Anything using its addresses stops working.`,
      confirm: 'Delete',
      deny: 'Keep it',
    },
  };
}

/** The approval request ID in a button's value (8 hex digits), or undefined when the value is not one. */
export function parseRequestActionValue(value: string): string | undefined {
  return /^[0-9a-f]{8}$/.test(value) ? value : undefined;
}

/**
 * A confirm dialog's text: `subject` then `tail`, the subject shortened (with `…`) when the whole, once
 * escaped as the dialog's plain text is, would pass Slack's limit — so that the tail is never the part cut.
 */
function confirmText(subject: string, tail: string): string {
  const fits = (text: string): boolean => escapeMrkdwn(text).length <= LIMITS.confirmText;
  const whole = `${subject} ${tail}`;
  if (fits(whole)) return whole;
  let keep = Math.min(subject.length, LIMITS.confirmText - tail.length - 2);
  while (keep > 0 && !fits(`${subject.slice(0, keep)}… ${tail}`)) keep--;
  return `${subject.slice(0, keep)}… ${tail}`;
}

/**
 * Approve, after a dialog that says what will happen: `effect` is plain (unescaped) text such as
 * "Creates a load balancer for default/web on cluster prod (about $18.25/month)."
 */
export function approveButton(requestId: string, effect: string): ButtonSpec {
  return {
    actionId: ACTION_IDS.approve,
    value: requestId,
    label: 'Approve',
    style: 'primary',
    confirm: { title: 'Approve this change?', text: confirmText(effect, 'It runs as soon as you confirm.'), confirm: 'Approve', deny: 'Cancel' },
  };
}

/** Reject without a reason, after a dialog that says the requester is told and how to give a reason. */
export function rejectButton(requestId: string, commandName: string): ButtonSpec {
  return {
    actionId: ACTION_IDS.reject,
    value: requestId,
    label: 'Reject',
    style: 'danger',
    confirm: {
      title: 'Reject this request?',
      text: confirmText('Nothing will be changed, and the requester is told their request was rejected.', `To give a reason, cancel and type ${commandName} reject ${requestId} REASON instead.`),
      confirm: 'Reject',
      deny: 'Cancel',
    },
  };
}

/** Withdraw (the requester's own button; who may press it is said next to the buttons, not on it). */
export function withdrawButton(requestId: string): ButtonSpec {
  return {
    actionId: ACTION_IDS.withdraw,
    value: requestId,
    label: 'Withdraw',
    confirm: {
      title: 'Withdraw your request?',
      text: 'Nothing will be changed, and the request can no longer be approved. Ask again if you need the change later.',
      confirm: 'Withdraw',
      deny: 'Keep it',
    },
  };
}

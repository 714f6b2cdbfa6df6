/**
 * The buttons svcbot's replies carry: their action IDs and the value they send back. The interaction
 * handlers match on `ACTION_IDS` and read the value with `parseServiceActionValue`.
 */
import { LIMITS, type ButtonSpec } from './blocks.js';

export const ACTION_IDS = {
  /** Show `describe` for the Service in the value. */
  describe: 'svc_describe',
  /** Delete the Service in the value (the button asks for confirmation first). */
  delete: 'svc_delete',
} as const;

/** Which Service a button acts on. */
export interface ServiceRef {
  cluster: string;
  namespace: string;
  name: string;
}

/** JSON, with `<`, `>` and `&` as \u escapes so that not even a button's hidden value holds Slack markup. */
export function serviceActionValue(ref: ServiceRef): string {
  return JSON.stringify({ cluster: ref.cluster, namespace: ref.namespace, name: ref.name })
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026');
}

/** The ServiceRef in a button's value, or undefined when the value is not one of ours. */
export function parseServiceActionValue(value: string): ServiceRef | undefined {
  if (value.length > LIMITS.buttonValue) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    return undefined;
  }
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

/**
 * Errors of the simulated apiserver. Every failure the HTTP layer answers is a `KubeApiError`
 * carrying the meta/v1 `Status` body the real kube-apiserver would send (same code, reason,
 * message wording and details), so clients branch on them exactly as they do against a cluster.
 */
import type { Status, StatusCause } from './types.js';

export type StatusReason =
  | 'BadRequest'
  | 'NotFound'
  | 'AlreadyExists'
  | 'Conflict'
  | 'Invalid'
  | 'Forbidden'
  | 'MethodNotAllowed'
  | 'UnsupportedMediaType'
  | 'NotAcceptable'
  | 'RequestEntityTooLarge'
  | 'Expired'
  | 'Gone'
  | 'InternalError'
  | 'ServiceUnavailable'
  | 'Timeout';

export class KubeApiError extends Error {
  readonly status: Status;

  constructor(code: number, reason: StatusReason | '', message: string, details?: Status['details']) {
    super(message);
    this.name = new.target.name;
    this.status = {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message,
      ...(reason ? { reason } : {}),
      ...(details ? { details } : {}),
      code,
    };
  }

  get code(): number {
    return this.status.code;
  }

  get reason(): string | undefined {
    return this.status.reason;
  }
}

/** A resource as the apiserver names it in messages: `services`, `deployments.apps`. */
export interface GroupResource {
  group: string;
  resource: string;
}

function qualifiedResource(gr: GroupResource): string {
  return gr.group ? `${gr.resource}.${gr.group}` : gr.resource;
}

function resourceDetails(gr: GroupResource, name: string): Status['details'] {
  // The apiserver puts the resource (not the kind) in details.kind for these errors; empty fields are omitted.
  return { ...(name ? { name } : {}), ...(gr.group ? { group: gr.group } : {}), kind: gr.resource };
}

export function notFound(gr: GroupResource, name: string): KubeApiError {
  return new KubeApiError(404, 'NotFound', `${qualifiedResource(gr)} "${name}" not found`, resourceDetails(gr, name));
}

export function alreadyExists(gr: GroupResource, name: string): KubeApiError {
  return new KubeApiError(409, 'AlreadyExists', `${qualifiedResource(gr)} "${name}" already exists`, resourceDetails(gr, name));
}

const OPTIMISTIC_LOCK_MESSAGE = 'the object has been modified; please apply your changes to the latest version and try again';

export function conflict(gr: GroupResource, name: string, why: string = OPTIMISTIC_LOCK_MESSAGE): KubeApiError {
  return new KubeApiError(
    409,
    'Conflict',
    `Operation cannot be fulfilled on ${qualifiedResource(gr)} "${name}": ${why}`,
    resourceDetails(gr, name),
  );
}

export function forbidden(gr: GroupResource, name: string, why: string): KubeApiError {
  const what = name ? `${qualifiedResource(gr)} "${name}"` : qualifiedResource(gr);
  return new KubeApiError(403, 'Forbidden', `${what} is forbidden: ${why}`, resourceDetails(gr, name));
}

export function badRequest(message: string): KubeApiError {
  return new KubeApiError(400, 'BadRequest', message);
}

export function methodNotAllowed(): KubeApiError {
  return new KubeApiError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource', {});
}

export function resourceNotFound(): KubeApiError {
  return new KubeApiError(404, 'NotFound', 'the server could not find the requested resource', {});
}

export function unsupportedMediaType(contentType: string, accepted: string[]): KubeApiError {
  return new KubeApiError(
    415,
    'UnsupportedMediaType',
    `the body of the request was in an unknown format - accepted media types include: ${accepted.join(', ')}`,
    { causes: [{ reason: 'UnsupportedMediaType', message: contentType }] },
  );
}

export function internalError(message: string): KubeApiError {
  return new KubeApiError(500, 'InternalError', `Internal error occurred: ${message}`, { causes: [{ message }] });
}

/** 503 ServiceUnavailable: what a proxy to a Service with no ready endpoint gets. */
export function serviceUnavailable(message: string): KubeApiError {
  return new KubeApiError(503, 'ServiceUnavailable', message);
}

/** 410 with reason Expired: what a watch from a compacted resourceVersion gets. */
export function expired(message: string): KubeApiError {
  return new KubeApiError(410, 'Expired', message);
}

/* ------------------------------------------------------------------------ field errors (422) */

type FieldErrorType = 'Invalid' | 'Required' | 'Duplicate' | 'NotSupported' | 'Forbidden' | 'TooLong' | 'NotFound';

const CAUSE_REASON: Record<FieldErrorType, string> = {
  Invalid: 'FieldValueInvalid',
  Required: 'FieldValueRequired',
  Duplicate: 'FieldValueDuplicate',
  NotSupported: 'FieldValueNotSupported',
  Forbidden: 'FieldValueForbidden',
  TooLong: 'FieldValueTooLong',
  NotFound: 'FieldValueNotFound',
};

/**
 * A raw Go-syntax rendering for values that are not plain strings or numbers (the apiserver prints
 * those with `%#v`, e.g. `[]string{"10.100.0.1"}`).
 */
export class GoValue {
  constructor(readonly text: string) {}
}

export type FieldValue = string | number | boolean | null | GoValue;

export interface FieldError {
  type: FieldErrorType;
  field: string;
  value?: FieldValue;
  detail?: string;
  /** For NotSupported: the accepted values. */
  supported?: string[];
}

function renderValue(value: FieldValue | undefined): string {
  if (value === undefined || value === null) return 'null';
  if (value instanceof GoValue) return value.text;
  if (typeof value === 'string') return JSON.stringify(value);
  return String(value);
}

/** The part of a field error after `field: ` (what the apiserver puts in `causes[].message`). */
function fieldErrorBody(e: FieldError): string {
  switch (e.type) {
    case 'Required':
      return e.detail ? `Required value: ${e.detail}` : 'Required value';
    case 'Forbidden':
      return e.detail ? `Forbidden: ${e.detail}` : 'Forbidden';
    case 'TooLong':
      return `Too long: ${e.detail ?? ''}`.trimEnd();
    case 'NotFound':
      return `Not found: ${renderValue(e.value)}`;
    case 'Duplicate':
      return `Duplicate value: ${renderValue(e.value)}`;
    case 'NotSupported': {
      let s = `Unsupported value: ${renderValue(e.value)}`;
      if (e.supported?.length) s += `: supported values: ${e.supported.map((v) => JSON.stringify(v)).join(', ')}`;
      return s;
    }
    case 'Invalid':
      return e.detail ? `Invalid value: ${renderValue(e.value)}: ${e.detail}` : `Invalid value: ${renderValue(e.value)}`;
  }
}

function fieldErrorString(e: FieldError): string {
  return `${e.field}: ${fieldErrorBody(e)}`;
}

export const fieldErrors = {
  invalid: (field: string, value: FieldValue, detail: string): FieldError => ({ type: 'Invalid', field, value, detail }),
  required: (field: string, detail = ''): FieldError => ({ type: 'Required', field, detail }),
  duplicate: (field: string, value: FieldValue): FieldError => ({ type: 'Duplicate', field, value }),
  notSupported: (field: string, value: FieldValue, supported: string[]): FieldError => ({
    type: 'NotSupported',
    field,
    value,
    supported,
  }),
  forbidden: (field: string, detail: string): FieldError => ({ type: 'Forbidden', field, detail }),
  tooLong: (field: string, max: number): FieldError => ({ type: 'TooLong', field, detail: `may not be more than ${max} bytes` }),
};

/**
 * 422 Invalid, worded as `Service "x" is invalid: <cause>` or, with several causes,
 * `Service "x" is invalid: [<cause>, <cause>]`; `details.causes` lists every one.
 */
export function invalid(kind: { group: string; kind: string }, name: string, errors: FieldError[]): KubeApiError {
  const causes: StatusCause[] = errors.map((e) => ({ reason: CAUSE_REASON[e.type], message: fieldErrorBody(e), field: e.field }));
  // Like the apiserver's aggregate error, repeated messages are reported once.
  const messages = [...new Set(errors.map(fieldErrorString))];
  const qualifiedKind = kind.group ? `${kind.kind}.${kind.group}` : kind.kind;
  let message = `${qualifiedKind} "${name}" is invalid`;
  if (messages.length === 1) message += `: ${messages[0]}`;
  else if (messages.length > 1) message += `: [${messages.join(', ')}]`;
  return new KubeApiError(422, 'Invalid', message, {
    name,
    ...(kind.group ? { group: kind.group } : {}),
    kind: kind.kind,
    causes,
  });
}

/**
 * What an AWS SDK error is, for every adapter that talks to AWS: its name, whether trying again can help
 * (throttling, 5xx and 429, network failures — never a bug), whether AWS refused for rate, and whether it
 * refused for want of a permission.
 */
const THROTTLED = new Set(['Throttling', 'ThrottlingException', 'RequestLimitExceeded']);
const TRANSIENT = new Set([...THROTTLED, 'ServiceUnavailable', 'InternalFailure']);
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);
const NETWORK_NAMES = new Set(['TimeoutError', 'RequestTimeout', 'RequestTimeoutException']);

/** The error's AWS code (`Throttling`, `LoadBalancerNotFound`…), or its name; '' when it has neither. */
export function errorName(err: unknown): string {
  const e = err as { name?: unknown; Code?: unknown };
  return typeof e?.Code === 'string' ? e.Code : typeof e?.name === 'string' ? e.name : '';
}

/** The classic ELB API says the load balancer does not exist (the SDK's name for it, or the API's code). */
export function isClassicLoadBalancerNotFound(err: unknown): boolean {
  return ['AccessPointNotFoundException', 'LoadBalancerNotFound'].includes(errorName(err));
}

/** AWS refused for want of a permission (IAM): the caller's policy lacks the action. */
export function isAwsAccessDenied(err: unknown): boolean {
  return ['AccessDenied', 'AccessDeniedException', 'UnauthorizedOperation'].includes(errorName(err));
}

/** AWS refused for rate. */
export function isThrottledAwsError(err: unknown): boolean {
  return THROTTLED.has(errorName(err));
}

/** True for AWS failures worth retrying: throttling, 5xx and 429, network errors — never a bug. */
export function isTransientAwsError(err: unknown): boolean {
  const status = (err as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
  const code = (err as { code?: unknown })?.code;
  return (
    TRANSIENT.has(errorName(err)) ||
    NETWORK_NAMES.has(errorName(err)) ||
    (status !== undefined && (status >= 500 || status === 429)) ||
    (typeof code === 'string' && NETWORK_CODES.has(code))
  );
}

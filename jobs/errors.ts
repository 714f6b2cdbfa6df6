/**
 * Transient or permanent: transient failures (5xx, throttling, network) are thrown as they are so BullMQ
 * retries them with backoff; permanent ones (403, 422, a bad request) become UnrecoverableError.
 */
import { isTransientAwsError } from '../src/adapters/elb.js';
import { isTransientKubernetesError } from '../src/adapters/kubernetes-errors.js';
import { BotError } from '../src/domain/errors.js';

/**
 * "Do not retry": BullMQ's Worker fails a job at once on an error named `UnrecoverableError` (it checks
 * the name as well as the class), so jobs/ need not import BullMQ.
 */
export class UnrecoverableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'UnrecoverableError';
  }
}

/** "Parked, not failed": BullMQ's Worker leaves a job alone on an error named `DelayedError` (after moveToDelayed). */
export class DelayedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DelayedError';
  }
}

/** An error that is worth retrying later. */
export class TransientJobError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

export function isTransientJobError(err: unknown): boolean {
  if (err instanceof TransientJobError) return true;
  if (err instanceof Error && err.name === 'UnrecoverableError') return false;
  if (isTransientKubernetesError(err) || isTransientAwsError(err)) return true;
  if (err instanceof BotError) {
    return err.code === 'aws_error' && isTransientAwsError(err.cause);
  }
  // Slack Web API: rate limits and HTTP failures are worth a retry; a platform error ("invalid_auth") is not.
  const slackCode = (err as { code?: unknown })?.code;
  if (slackCode === 'slack_webapi_platform_error') return false;
  if (typeof slackCode === 'string' && slackCode.startsWith('slack_webapi_')) return true;
  // Anything else is unexpected: retried (bounded by the job's attempts), and logged.
  return !(err instanceof TypeError || err instanceof RangeError || err instanceof SyntaxError);
}

/** The words to show a user for a failure. */
export function failureReason(err: unknown): string {
  if (err instanceof BotError) return err.userMessage;
  if (err instanceof Error) return err.message;
  return String(err);
}

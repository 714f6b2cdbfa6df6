/**
 * Typed errors. Every error a user can act on is a BotError with a stable `code` and a `userMessage`
 * (plain text, safe to show in Slack after escaping); anything else is a bug, shown to the user only as
 * "something went wrong (ref: ID)" with the details logged.
 */
export type ErrorCode =
  | 'usage'
  | 'not_found'
  | 'already_exists'
  | 'invalid'
  | 'forbidden'
  /** svcbot's own policy refuses it (not Kubernetes' RBAC): the message names the rule. */
  | 'not_allowed'
  /** An approved change whose Service changed after the request: nobody approved what it is now. */
  | 'stale_request'
  | 'conflict'
  | 'cluster_unreachable'
  | 'unknown_cluster'
  | 'aws_error'
  | 'queue_unavailable'
  | 'slack_not_in_channel'
  | 'slack_error';

export interface BotErrorOptions {
  cause?: unknown;
  /**
   * Worth trying again later (a 5xx, throttling, a network failure): set by the adapter that translates
   * the SDK's error, which is the one place that knows. Jobs retry transient failures with backoff and
   * fail at once on the others.
   */
  transient?: boolean;
  /**
   * The service refused for rate (AWS `Throttling`): slow down and try again — a job waits for it, as it
   * waits for AWS, instead of spending one of its attempts. Implies transient.
   */
  throttled?: boolean;
}

export class BotError extends Error {
  /** See BotErrorOptions.transient. */
  readonly transient: boolean;
  /** See BotErrorOptions.throttled. */
  readonly throttled: boolean;

  constructor(
    readonly code: ErrorCode,
    /** What the user is told, in plain text (escape before putting it in mrkdwn). */
    readonly userMessage: string,
    options: BotErrorOptions = {},
  ) {
    super(userMessage, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.throttled = options.throttled ?? false;
    this.transient = (options.transient ?? false) || this.throttled;
  }
}

/** A command the user typed that can't be run as typed: the problem, the usage line, maybe a suggestion. */
export class UsageError extends BotError {
  constructor(
    readonly problem: string,
    /** Usage line of the subcommand concerned, if known. */
    readonly usage?: string,
    /** A close match ("did you mean …"), if one exists. */
    readonly suggestion?: string,
  ) {
    super('usage', problem);
  }
}

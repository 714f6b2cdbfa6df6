/**
 * Where commands and button presses come from: Slack (HTTP or Socket Mode) or the console. svcbot
 * registers its listeners here (handlers/); the transport acknowledges each request itself, before the
 * listener runs (Slack wants an answer within 3 seconds), and answers go through the Replies port.
 */

/** A slash command as the transport received it (already verified as coming from the chat platform). */
export interface CommandRequest {
  /** The text after the command, as typed. */
  text: string;
  userId: string;
  channelId: string;
  /** Where the user can be answered alone (Slack's response_url); absent in the console. */
  responseUrl?: string;
}

/** A button pressed on one of svcbot's messages. */
export interface ButtonPress {
  actionId: string;
  /** The button's value, as svcbot rendered it (to be checked: a client can send anything). */
  value: string;
  userId: string;
  /** Absent when the message is not in a channel (Slack sends no channel then). */
  channelId?: string;
  responseUrl?: string;
}

export interface ChatTransport {
  /** Runs `listener` for every `command` (e.g. `/svc`) after acknowledging it. */
  onCommand(command: string, listener: (request: CommandRequest) => Promise<void>): void;
  /** Runs `listener` for every press of a button with `actionId`, after acknowledging it. */
  onButton(actionId: string, listener: (press: ButtonPress) => Promise<void>): void;
  /**
   * Starts taking requests; resolves with the web port, if there is one: where Slack's requests arrive and
   * the probes are served (HTTP mode), or the probes alone (Socket Mode).
   */
  start(): Promise<{ port?: number }>;
  /** Stops taking requests, then waits (bounded) for the listeners of requests already acknowledged to finish. */
  stop(): Promise<void>;
}

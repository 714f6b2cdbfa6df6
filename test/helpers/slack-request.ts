/** Builds slash-command and interaction requests exactly as Slack sends them: form-encoded and signed. */
import { createHmac } from 'node:crypto';

export function slackSignature(signingSecret: string, timestamp: number, body: string): string {
  return `v0=${createHmac('sha256', signingSecret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
}

export interface SlashCommandFields {
  command?: string;
  text: string;
  user_id?: string;
  user_name?: string;
  channel_id?: string;
  channel_name?: string;
  team_id?: string;
  response_url: string;
  trigger_id?: string;
}

/** A slash command's fields as Slack sends them, but for the text and response_url (HTTP form or Socket Mode payload). */
export const SLASH_COMMAND_DEFAULTS = {
  token: 'deprecated-verification-token',
  team_id: 'T1',
  team_domain: 'test',
  channel_id: 'C1',
  channel_name: 'ops',
  user_id: 'U1',
  user_name: 'alice',
  command: '/svc',
  api_app_id: 'A1',
  trigger_id: '1.2.3',
} as const;

export function slashCommandBody(fields: SlashCommandFields): string {
  return new URLSearchParams({ ...SLASH_COMMAND_DEFAULTS, ...fields }).toString();
}

/** POSTs a signed body to svcbot's Slack endpoint; `timestamp`/`signature` can be forged for negative tests. */
export async function postSigned(
  url: string,
  body: string,
  signingSecret: string,
  opts: { timestamp?: number; signature?: string } = {},
): Promise<{ status: number; text: string; ms: number }> {
  const timestamp = opts.timestamp ?? Math.floor(Date.now() / 1000);
  const started = performance.now();
  const res = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-slack-request-timestamp': String(timestamp),
      'x-slack-signature': opts.signature ?? slackSignature(signingSecret, timestamp, body),
    },
    body,
  });
  const text = await res.text();
  return { status: res.status, text, ms: performance.now() - started };
}

export interface ButtonPressFields {
  action_id: string;
  value: string;
  user_id: string;
  channel_id?: string;
  /** The message the button is on. */
  message_ts?: string;
  response_url: string;
}

/** A `block_actions` interaction payload, form-encoded, as Slack sends a button press. */
export function blockActionsBody(fields: ButtonPressFields): string {
  const channel = fields.channel_id ?? 'C1';
  const payload = {
    type: 'block_actions',
    user: { id: fields.user_id, username: fields.user_id.toLowerCase(), team_id: 'T1' },
    api_app_id: 'A1',
    token: 'deprecated',
    container: { type: 'message', message_ts: fields.message_ts ?? '1.2', channel_id: channel, is_ephemeral: false },
    trigger_id: '1.2.3',
    team: { id: 'T1', domain: 'test' },
    channel: { id: channel, name: 'ops' },
    response_url: fields.response_url,
    actions: [{ type: 'button', action_id: fields.action_id, block_id: 'b1', value: fields.value, text: { type: 'plain_text', text: 'x' }, action_ts: '1.3' }],
  };
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}

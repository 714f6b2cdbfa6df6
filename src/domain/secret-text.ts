/**
 * Secrets inside free text. The logger redacts secrets by the key they sit under; this finds them by
 * their shape wherever they are, for the places where a key says nothing: a value pasted into the wrong
 * setting (`SLACK_API_URL=xoxb-…`) echoed by a configuration error, an error message that quotes a URL
 * with a token in it, a stack trace. Only shapes that an ordinary identifier cannot have are masked, so
 * that names, IDs and hashes in log lines stay readable:
 * - Slack tokens: `xoxb-`, `xoxp-`, `xoxa-`, `xoxo-`, `xoxs-`, `xoxr-`, `xoxe-` (and `xoxe.xoxb-`
 *   refresh-token forms), app-level `xapp-`; Slack request signatures `v0=` + 64 hex digits;
 * - AWS access key IDs (`AKIA…`, `ASIA…`: 20 upper-case letters and digits) and secret access keys
 *   (40 characters of base64 with upper case, lower case and a digit; a hex hash, which has no upper
 *   case, is not one).
 * The type prefix stays (`xoxb-[redacted]`): it tells the reader which kind of token went where, and
 * Slack's own documentation prints it. A 32-hex-digit Slack signing secret looks like any other hex
 * name (a Kubernetes load balancer's name is `a` + 31 hex digits), so only `looksLikeSecret`, which
 * judges a whole configuration value, counts it.
 */

export const MASK = '[redacted]';

const SLACK_TOKEN = /\b((?:xoxe\.)?xox[abeoprs]-|xapp-)[A-Za-z0-9-]+/g;
const SLACK_SIGNATURE = /\bv0=[0-9a-f]{64}\b/g;
const AWS_ACCESS_KEY_ID = /\b(AKIA|ASIA|AIDA|AROA|ANPA|ABIA|ACCA)[A-Z0-9]{16}\b/g;
const AWS_SECRET_KEY_CANDIDATE = /(?<![A-Za-z0-9/+])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])/g;
const SIGNING_SECRET = /^[0-9a-f]{32}$/;

function looksLikeAwsSecretKey(s: string): boolean {
  return /[A-Z]/.test(s) && /[a-z]/.test(s) && /[0-9]/.test(s);
}

/** `text` with every Slack token, Slack signature and AWS key in it masked (prefixes kept). */
export function maskSecrets(text: string): string {
  // A quick test first: nearly every line has none, and this runs on every log line.
  if (!/xox|xapp-|v0=|A[BCIKNRS][A-Z]{2}[A-Z0-9]{16}|[A-Za-z0-9/+]{40}/.test(text)) return text;
  return text
    .replace(SLACK_TOKEN, (_m, prefix: string) => `${prefix}${MASK}`)
    .replace(SLACK_SIGNATURE, `v0=${MASK}`)
    .replace(AWS_ACCESS_KEY_ID, (_m, prefix: string) => `${prefix}${MASK}`)
    .replace(AWS_SECRET_KEY_CANDIDATE, (m) => (looksLikeAwsSecretKey(m) ? MASK : m));
}

/**
 * Whether a configuration value holds something shaped like a secret: one that `maskSecrets` masks, or
 * a whole value of 32 hex digits (a Slack signing secret).
 */
export function looksLikeSecret(value: string): boolean {
  return SIGNING_SECRET.test(value.trim()) || maskSecrets(value) !== value;
}

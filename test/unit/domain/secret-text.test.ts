import { MASK, looksLikeSecret, maskSecrets } from '../../../src/domain/secret-text.js';

// Made-up values of the real shapes (none of them is or was a real credential).
const BOT = 'xoxb-1234567890-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx';
const USER = 'xoxp-1234567890-1234567890-1234567890123-0123456789abcdef0123456789abcdef';
const APP = 'xapp-1-A0123456789-1234567890123-0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcd';
const REFRESH = 'xoxe.xoxb-1-MS0yLTEyMzQ1Njc4OTAtMTIzNDU2Nzg5MDEyMy0';
const KEY_ID = 'AKIAIOSFODNN7EXAMPLE';
const SECRET_KEY = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const SIGNATURE = `v0=${'a1'.repeat(32)}`;

describe('maskSecrets', () => {
  it.each([
    ['a bot token', `token ${BOT} here`, `token xoxb-${MASK} here`],
    ['a user token', USER, `xoxp-${MASK}`],
    ['an app-level token', `"${APP}"`, `"xapp-${MASK}"`],
    ['a refresh token', REFRESH, `xoxe.xoxb-${MASK}`],
    ['a token pasted into a URL setting', `ftp://${BOT}`, `ftp://xoxb-${MASK}`],
    ['an AWS access key ID', `key=${KEY_ID},`, `key=AKIA${MASK},`],
    ['an AWS secret access key', `secret: ${SECRET_KEY}.`, `secret: ${MASK}.`],
    ['a Slack request signature', `sig ${SIGNATURE}`, `sig v0=${MASK}`],
    ['several in one JSON line', JSON.stringify({ msg: `${BOT} and ${KEY_ID}` }), JSON.stringify({ msg: `xoxb-${MASK} and AKIA${MASK}` })],
  ])('masks %s, keeping its kind', (_what, text, masked) => {
    expect(maskSecrets(text)).toBe(masked);
  });

  it.each([
    ['an ELB name (a + 31 hex digits)', 'a0123456789abcdef0123456789abcde'],
    ['a git-style hex hash of 40 digits', '0123456789abcdef0123456789abcdef01234567'],
    ['a Kubernetes UID', '3f0c1e2d-4b5a-6978-8a9b-0c1d2e3f4a5b'],
    ['a long lower-case name', 'alpine-service-with-a-rather-long-name-in-a-namespace'],
    ['an ELB DNS name', 'a0123456789abcdef0123456789abcde-1234567890.us-east-1.elb.amazonaws.com'],
    ['a word that starts like a token', 'xoxo hugs and the xbox-360'],
    ['an ordinary log line', '{"level":30,"msg":"job done","jobId":"lb-provision:prod:default:web:17"}'],
  ])('leaves %s alone', (_what, text) => {
    expect(maskSecrets(text)).toBe(text);
  });
});

describe('looksLikeSecret', () => {
  it.each([BOT, `ftp://${BOT}`, KEY_ID, SECRET_KEY, '0123456789abcdef0123456789abcdef', ' 0123456789abcdef0123456789abcdef\n'])('%j does', (value) => {
    expect(looksLikeSecret(value)).toBe(true);
  });

  it.each(['https://slack.com/api/', 'redis://localhost:6379', '15 minutes', 'prod', 'a0123456789abcdef0123456789abcde-1.elb.amazonaws.com'])('%j does not', (value) => {
    expect(looksLikeSecret(value)).toBe(false);
  });
});

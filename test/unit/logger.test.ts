import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { DescribeLoadBalancersCommand, ElasticLoadBalancingClient } from '@aws-sdk/client-elastic-load-balancing';
import { webApi } from '@slack/bolt';
import { loadConfig } from '../../src/config/index.js';
import { createLogger, REDACTED } from '../../src/logger.js';

/** An in-memory pino destination. */
function memory() {
  const lines: string[] = [];
  return {
    lines,
    destination: { write: (line: string) => void lines.push(line) },
    records: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>),
    text: () => lines.join(''),
  };
}

function logOnce(obj: object) {
  const out = memory();
  createLogger({ level: 'info', destination: out.destination }).info(obj, 'test');
  expect(out.lines).toHaveLength(1);
  return { text: out.text(), record: out.records()[0]! };
}

describe('createLogger redaction', () => {
  const cases: [what: string, obj: object, kept: string[]][] = [
    ['a top-level token', { token: 'SECRET-1', requestId: 'r1' }, ['r1']],
    ['a slash-command payload (legacy verification token)', { body: { token: 'SECRET-1', command: '/svc', text: 'list' } }, ['/svc', 'list']],
    ['Bolt context tokens', { context: { botToken: 'xoxb-SECRET-1', userToken: 'xoxp-SECRET-2', teamId: 'T1' } }, ['T1']],
    ['a WebClient', { client: { token: 'xoxb-SECRET-1', slackApiUrl: 'https://slack.com/api/' } }, ['https://slack.com/api/']],
    ['app and signing secrets', { slack: { appToken: 'xapp-SECRET-1', signingSecret: 'SECRET-2', command: '/svc' } }, ['/svc']],
    [
      'incoming request headers',
      {
        req: {
          method: 'POST',
          headers: { authorization: 'Bearer SECRET-1', 'x-slack-signature': 'v0=SECRET-2', 'x-slack-request-timestamp': '1700000000', cookie: 'sid=SECRET-3' },
        },
      },
      ['POST', '1700000000'],
    ],
    ['top-level headers', { headers: { Authorization: 'Bearer SECRET-1', 'content-type': 'application/json' } }, ['application/json']],
    [
      'AWS credentials',
      { aws: { credentials: { accessKeyId: 'AKIASECRET1', secretAccessKey: 'SECRET-2', sessionToken: 'SECRET-3' }, region: 'us-east-1' } },
      ['us-east-1'],
    ],
    ['an outgoing signed AWS request', { request: { headers: { authorization: 'AWS4-HMAC-SHA256 SECRET-1', 'x-amz-security-token': 'SECRET-2', host: 'elb' } } }, ['elb']],
    ['a password', { redis: { password: 'SECRET-1', host: 'redis' } }, ['redis']],
    [
      'a kubeconfig',
      { kubeconfig: { users: [{ name: 'admin', user: { token: 'SECRET-1', password: 'SECRET-2', 'client-key-data': 'SECRET-3' } }] } },
      ['admin'],
    ],
    [
      'an HTTP-client (axios-style) error',
      {
        err: Object.assign(new Error('Request failed with status code 500'), {
          config: { url: 'https://slack.com/api/chat.postMessage', headers: { Authorization: 'Bearer xoxb-SECRET-1' } },
          request: { _header: 'POST /api/chat.postMessage HTTP/1.1\r\nAuthorization: Bearer xoxb-SECRET-2\r\n' },
        }),
      },
      ['Request failed with status code 500', 'https://slack.com/api/chat.postMessage'],
    ],
    [
      'a wrapped HTTP-client error (Slack WebAPIRequestError.original)',
      {
        err: Object.assign(new Error('A request error occurred: socket hang up'), {
          code: 'slack_webapi_request_error',
          original: Object.assign(new Error('socket hang up'), {
            config: { headers: { authorization: 'Bearer xoxb-SECRET-1' } },
            request: { _header: 'Authorization: Bearer xoxb-SECRET-2' },
          }),
        }),
      },
      ['slack_webapi_request_error', 'socket hang up'],
    ],
  ];

  it.each(cases)('hides %s and keeps the rest', (_what, obj, kept) => {
    const { text } = logOnce(obj);
    expect(text).not.toMatch(/SECRET/);
    expect(text).toContain(REDACTED);
    for (const value of kept) expect(text).toContain(JSON.stringify(value).slice(1, -1));
  });

  it('hides the secrets of a config dump and keeps the rest', () => {
    const config = loadConfig(
      {
        SLACK_BOT_TOKEN: 'xoxb-SECRET-1',
        SLACK_SIGNING_SECRET: 'SECRET-2',
        SLACK_APP_TOKEN: 'xapp-SECRET-3',
        REDIS_URL: 'redis://svcbot:SECRET-4@redis.internal:6379/0',
        CLUSTER_NAME: 'prod',
      },
      () => '',
    );
    const { text, record } = logOnce({ config });
    expect(text).not.toMatch(/SECRET/);
    const logged = record.config as { slack: Record<string, unknown>; redisUrl: string; port: number; clusters: { name: string }[] };
    expect(logged.slack).toMatchObject({ botToken: REDACTED, signingSecret: REDACTED, appToken: REDACTED, command: '/svc', socketMode: true });
    expect(logged.redisUrl).toBe(`redis://svcbot:${REDACTED}@redis.internal:6379/0`);
    expect(logged.port).toBe(3000);
    expect(logged.clusters[0]!.name).toBe('prod');
  });

  it('leaves unset secrets unset', () => {
    const { record } = logOnce({ slack: { botToken: 'xoxb-SECRET-1', appToken: undefined, command: '/svc' } });
    expect(record.slack).toEqual({ botToken: REDACTED, command: '/svc' });
  });

  it('leaves a Redis URL without a password alone', () => {
    expect(logOnce({ redisUrl: 'redis://127.0.0.1:6379' }).record.redisUrl).toBe('redis://127.0.0.1:6379');
  });

  it('does not change the logged object', () => {
    const obj = { token: 'SECRET-1' };
    logOnce(obj);
    expect(obj.token).toBe('SECRET-1');
  });

  it('serializes errors under err and error', () => {
    const { record } = logOnce({ err: new TypeError('boom'), error: new RangeError('bang') });
    expect(record.err).toMatchObject({ type: 'TypeError', message: 'boom', stack: expect.stringContaining('TypeError: boom') as unknown });
    expect(record.error).toMatchObject({ type: 'RangeError', message: 'bang' });
  });

  it('keeps secrets out of child loggers bindings too', () => {
    const out = memory();
    const child = createLogger({ level: 'info', destination: out.destination }).child({ requestId: 'r1', token: 'SECRET-1' });
    child.info({ service: 'web' }, 'hello');
    expect(out.text()).not.toMatch(/SECRET/);
    expect(out.records()[0]).toMatchObject({ requestId: 'r1', service: 'web', msg: 'hello' });
  });

  it('masks secrets by their shape where no key names them: in messages, error texts and stacks', () => {
    const out = memory();
    const logger = createLogger({ level: 'info', destination: out.destination });
    const bot = 'xoxb-1234567890-1234567890123-AbCdEfGhIjKlMnOp';
    logger.warn({ url: `https://hooks.example/${bot}` }, `cannot reach ftp://${bot}`);
    logger.error({ err: new Error('AWS said: AKIAIOSFODNN7EXAMPLE / wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY') }, 'failed');
    const pretty = memory();
    createLogger({ level: 'info', pretty: true, destination: pretty.destination }).info(`token ${bot}`);
    expect(out.text() + pretty.text()).not.toMatch(/AbCdEfGh|IOSFODNN7|wJalrXUtnFEMI/);
    const [warn, error] = out.records();
    expect(warn).toMatchObject({ msg: 'cannot reach ftp://xoxb-[redacted]', url: 'https://hooks.example/xoxb-[redacted]' });
    expect(error).toMatchObject({ err: { message: 'AWS said: AKIA[redacted] / [redacted]' } });
    expect(pretty.text()).toContain('token xoxb-[redacted]');
  });
});

describe('createLogger', () => {
  it('writes JSON lines at or above its level, with ISO timestamps', () => {
    const out = memory();
    const logger = createLogger({ level: 'warn', destination: out.destination });
    logger.info('hidden');
    logger.warn({ n: 1 }, 'shown');
    expect(out.records()).toEqual([expect.objectContaining({ level: 40, n: 1, msg: 'shown', time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) as unknown })]);
  });

  it('writes human-readable lines when pretty, still redacted', () => {
    const out = memory();
    createLogger({ level: 'info', pretty: true, destination: out.destination }).info({ token: 'SECRET-1', service: 'web' }, 'created');
    const text = out.text();
    expect(text).toMatch(/INFO.*created/);
    expect(text).toContain('service: "web"');
    expect(text).not.toMatch(/SECRET/);
    expect(() => JSON.parse(text) as unknown).toThrow();
  });
});

describe('redaction of real SDK objects', () => {
  let server: http.Server;
  let base: string;
  const seen: http.IncomingHttpHeaders[] = [];

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      seen.push(req.headers);
      if (req.url?.startsWith('/api/')) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ ok: false, error: 'invalid_auth' }));
      } else {
        res.writeHead(403, { 'content-type': 'text/xml' });
        res.end(
          '<ErrorResponse><Error><Type>Sender</Type><Code>InvalidClientTokenId</Code><Message>The security token included in the request is invalid.</Message></Error><RequestId>r-1</RequestId></ErrorResponse>',
        );
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('hides the token of a Slack WebClient and its platform error', async () => {
    const client = new webApi.WebClient('xoxb-SECRET-1', { slackApiUrl: `${base}/api/`, retryConfig: { retries: 0 } });
    const err = await client.auth.test().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ code: 'slack_webapi_platform_error' });
    const { text } = logOnce({ err, client });
    expect(text).not.toMatch(/SECRET/);
    expect(text).toContain('invalid_auth');
    expect(seen.at(-1)?.authorization).toBe('Bearer xoxb-SECRET-1');
  });

  it('hides the signature and session token of a signed AWS request, and AWS errors carry none', async () => {
    const out = memory();
    const logger = createLogger({ level: 'debug', destination: out.destination });
    const client = new ElasticLoadBalancingClient({
      region: 'us-east-1',
      endpoint: base,
      maxAttempts: 1,
      credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'SECRET-KEY-1', sessionToken: 'SECRET-SESSION-2' },
    });
    // What a debugging middleware would log: the signed request.
    client.middlewareStack.add(
      (next) => async (args) => {
        logger.debug({ request: args.request }, 'ELB request');
        return next(args);
      },
      { step: 'deserialize', name: 'logRequest' },
    );
    const err = await client.send(new DescribeLoadBalancersCommand({})).then(
      () => undefined,
      (e: unknown) => e,
    );
    logger.error({ err }, 'ELB call failed');
    const text = out.text();
    expect(seen.at(-1)?.['x-amz-security-token']).toBe('SECRET-SESSION-2');
    expect(text).toContain('ELB request');
    expect(text).toContain('InvalidClientTokenId');
    expect(text).not.toMatch(/SECRET/);
    client.destroy();
  });
});

/**
 * svcbot's Bolt receiver (HTTP mode): its own `http.Server` with Slack's events endpoint and a small
 * route table (health, later readiness and metrics), guarded so that requests not from Slack cost little:
 *
 * - the server cuts slow clients (headers, whole-request and keep-alive timeouts, checked every second)
 *   and closes at once a connection beyond the per-address cap;
 * - `POST <events path>`: the content type (form or JSON), the declared length (the body cap) and the
 *   signature headers (well-formed, timestamp within 5 minutes either way) are checked before the body
 *   is read; bodies are read a few at a time (turns) and never past the cap; then the signature (HMAC,
 *   constant-time), then the body's kind for its content type, then the replay guard (a request already
 *   taken is answered 200 and dropped) — and only then is the request handed to Bolt, acknowledged as
 *   Bolt's own HTTPReceiver does (`processBeforeResponse: false`, `ssl_check`, `url_verification`);
 * - any other method or path: the route's handler, or 404 — no body is read.
 * A request refused before its body was read is answered with `Connection: close`, and its body is not read.
 */
import { HTTPModuleFunctions, HTTPResponseAck, type App, type Logger as BoltLogger, type Receiver, type ReceiverEvent } from '@slack/bolt';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { HttpConfig } from '../../config/index.js';
import type { Logger } from '../../ports/logger.js';
import type { ReplayGuard } from '../../ports/replay-guard.js';
import type { Metrics } from '../../ports/metrics.js';
import { declaredLength, parseSlackBody, readBody, slackContentType, type SlackContentType } from './body.js';
import { createTurns, limitConnectionsPerAddress } from './connection-limits.js';
import { msLeftInWindow, signatureHeaders, signatureMatches } from './signature.js';
import { closeGracefully } from '../http-close.js';

/** A route next to Slack's endpoint (health, readiness, metrics): answered without reading a body. */
export interface HttpRoute {
  method: 'GET';
  path: string;
  handler(req: IncomingMessage, res: ServerResponse): void;
}

export interface SlackReceiverOptions {
  signingSecret: string;
  /** Where Slack POSTs commands, interactions and events. */
  eventsPath: string;
  routes: readonly HttpRoute[];
  limits: HttpConfig;
  replayGuard: ReplayGuard;
  logger: Logger;
  /** Bolt's logger, for Bolt's ack. */
  boltLogger: BoltLogger;
  /** A request no listener acknowledges within this long is answered 404 (ms). */
  unhandledRequestTimeoutMs: number;
  /** Where the acknowledgement latency of each request handed to Bolt is measured (default: nowhere). */
  metrics?: Pick<Metrics, 'acknowledged'>;
  /** How long a request waits for a turn to have its body read, before 503 (ms). Default 1000. */
  turnWaitMs?: number;
  now?: () => number;
}

/** Unsigned bodies read at all: only Slack's `ssl_check=1&token=…`, which is not signed (as Bolt allows). */
const SSL_CHECK_MAX_BYTES = 512;

/** Requests that may wait for a turn per turn (beyond it: 503 at once). */
const WAITING_PER_TURN = 4;

/**
 * Bodies declared at most this long (what Slack sends: a command is about 500 bytes, a button press a few
 * KiB) take turns of their own, four times as many as the large ones', so that large or chunked bodies
 * cannot hold up ordinary requests (they cost at most 64 × 64 KiB = 4 MiB at the default 16).
 */
const SMALL_BODY_BYTES = 64 * 1024;
const SMALL_TURNS_PER_TURN = 4;

export function createSlackReceiver(options: SlackReceiverOptions): Receiver {
  const { limits, logger, boltLogger: boltLog } = options;
  const log = logger.child({ component: 'slack-receiver' });
  const now = options.now ?? Date.now;
  const large = limits.maxUnverifiedBodies;
  const small = large * SMALL_TURNS_PER_TURN;
  const turns = { large: createTurns(large, large * WAITING_PER_TURN), small: createTurns(small, small * WAITING_PER_TURN) };
  const turnWaitMs = options.turnWaitMs ?? 1000;
  let app: App | undefined;
  let server: Server | undefined;

  /** Answers without a body; `close` when the request's body was not read (the connection is closed, the body left unread). */
  function answer(res: ServerResponse, status: number, close: boolean, headers: Record<string, string> = {}): void {
    if (res.headersSent) return;
    res.writeHead(status, close ? { ...headers, connection: 'close' } : headers);
    res.end();
  }

  async function slackRequest(req: IncomingMessage, res: ServerResponse, arrivedAt: number): Promise<void> {
    const type = slackContentType(req.headers['content-type']);
    if (type === undefined) {
      log.debug({ contentType: req.headers['content-type'] }, 'refused a Slack request: not a content type Slack sends');
      return answer(res, 415, true);
    }
    const length = declaredLength(req);
    if (Number.isNaN(length)) return answer(res, 400, true);
    if (length !== undefined && length > limits.bodyLimitBytes) {
      log.debug({ contentLength: length, limit: limits.bodyLimitBytes }, 'refused a Slack request: body over the limit');
      return answer(res, 413, true);
    }
    const headers = signatureHeaders(req.headers, now());
    if (!headers.ok) {
      if (headers.reason === 'missing' && type === 'form' && length !== undefined && length <= SSL_CHECK_MAX_BYTES) {
        return sslCheck(req, res, length);
      }
      log.debug({ reason: headers.reason }, 'refused a Slack request: signature headers');
      return answer(res, 401, true);
    }
    const body = await readWithTurn(req, res, limits.bodyLimitBytes);
    if (body === undefined) return;
    if (!signatureMatches(options.signingSecret, headers.headers, body)) {
      log.debug('refused a Slack request: wrong signature');
      return answer(res, 401, false);
    }
    await dispatch(req, res, type, body, headers.headers, arrivedAt);
  }

  /**
   * The body, read in a turn (of the small bodies' when its declared length is small); undefined when it
   * was answered already (503, 413) or the client went away.
   */
  async function readWithTurn(req: IncomingMessage, res: ServerResponse, limit: number): Promise<Buffer | undefined> {
    const length = declaredLength(req);
    const lane = length !== undefined && length <= SMALL_BODY_BYTES ? turns.small : turns.large;
    const release = await lane.take(turnWaitMs, () => log.debug('a body waits for its turn to be read'));
    if (release === undefined) {
      log.debug('refused a Slack request: too many bodies being read');
      answer(res, 503, true, { 'retry-after': '1' });
      return undefined;
    }
    try {
      if (req.socket.destroyed) return undefined;
      const read = await readBody(req, limit);
      if (read.ok) return read.body;
      if (read.reason === 'too_large') {
        log.debug({ limit }, 'refused a Slack request: body over the limit');
        answer(res, 413, true);
      }
      return undefined;
    } finally {
      release();
    }
  }

  /** An unsigned small form: Slack's `ssl_check`, answered 200; anything else 401. */
  async function sslCheck(req: IncomingMessage, res: ServerResponse, length: number): Promise<void> {
    const body = await readWithTurn(req, res, length);
    if (body === undefined) return;
    const parsed = parseSlackBody('form', body);
    if (parsed.kind === 'ssl_check') return HTTPModuleFunctions.buildSSLCheckResponse(res);
    log.debug('refused a Slack request: no signature headers');
    return answer(res, 401, false);
  }

  async function dispatch(req: IncomingMessage, res: ServerResponse, type: SlackContentType, raw: Buffer, signed: { timestamp: number; signature: string }, arrivedAt: number): Promise<void> {
    const parsed = parseSlackBody(type, raw);
    switch (parsed.kind) {
      case 'malformed':
        log.debug({ problem: parsed.problem }, 'refused a Slack request: malformed body');
        return answer(res, 400, false);
      case 'wrong_type':
        log.debug({ problem: parsed.problem, contentType: type }, 'refused a Slack request: not a kind Slack sends with its content type');
        return answer(res, 415, false);
      case 'ssl_check':
        return HTTPModuleFunctions.buildSSLCheckResponse(res);
      case 'url_verification':
        return HTTPModuleFunctions.buildUrlVerificationResponse(res, { challenge: parsed.challenge });
      case 'dispatch':
        break;
    }
    const first = await options.replayGuard.firstSeen(signed.signature, msLeftInWindow(signed.timestamp, now()));
    if (!first) {
      log.warn({ timestamp: signed.timestamp, contentType: type, retryNum: req.headers['x-slack-retry-num'] }, 'ignored a replayed Slack request (its signature was taken already)');
      return answer(res, 200, false);
    }
    const body = parsed.body;
    // From the request's first byte to the last of its answer: what Slack's 3 seconds count.
    res.once('finish', () => options.metrics?.acknowledged((performance.now() - arrivedAt) / 1000));
    const ack = new HTTPResponseAck({
      logger: boltLog,
      processBeforeResponse: false,
      unhandledRequestTimeoutMillis: options.unhandledRequestTimeoutMs,
      httpRequest: req,
      httpRequestBody: body,
      httpResponse: res,
    });
    const event: ReceiverEvent = {
      body,
      ack: ack.bind(),
      retryNum: HTTPModuleFunctions.extractRetryNumFromHTTPRequest(req),
      retryReason: HTTPModuleFunctions.extractRetryReasonFromHTTPRequest(req),
      customProperties: {},
    };
    try {
      await app?.processEvent(event);
    } catch (error) {
      // As Bolt's HTTPReceiver: after an ack nothing more is sent; before it, 500 (401 for an authorization error).
      const acknowledged = await HTTPModuleFunctions.defaultProcessEventErrorHandler({
        error: error as Error,
        logger: boltLog,
        request: req,
        response: res,
        storedResponse: undefined,
      });
      if (acknowledged) ack.ack();
    }
  }

  function onRequest(req: IncomingMessage, res: ServerResponse): void {
    const path = (req.url ?? '/').split('?', 1)[0];
    if (req.method === 'POST' && path === options.eventsPath) {
      slackRequest(req, res, performance.now()).catch((err: unknown) => {
        log.error({ err }, 'the Slack receiver failed on a request');
        answer(res, 500, true);
      });
      return;
    }
    const route = options.routes.find((r) => r.path === path && r.method === req.method);
    if (route) {
      route.handler(req, res);
      return;
    }
    const hasBody = req.headers['transfer-encoding'] !== undefined || (declaredLength(req) ?? 0) !== 0;
    answer(res, 404, hasBody);
  }

  return {
    init(bolt: App) {
      app = bolt;
    },
    start(port: number): Promise<Server> {
      if (server) return Promise.reject(new Error('the Slack receiver is already started'));
      const created = createServer(
        {
          headersTimeout: limits.headersTimeoutMs,
          requestTimeout: limits.requestTimeoutMs,
          keepAliveTimeout: limits.keepAliveTimeoutMs,
          // How often Node looks for requests past their timeouts (its default, 30 s, would let a slow client hold on far longer).
          connectionsCheckingInterval: Math.min(1000, Math.max(100, Math.floor(limits.headersTimeoutMs / 4))),
        },
        onRequest,
      );
      server = created;
      limitConnectionsPerAddress(created, limits.maxConnectionsPerClient, (address) => log.debug({ address }, 'closed a connection: too many from one address'));
      return new Promise((resolve, reject) => {
        created.once('error', reject);
        created.listen(port, () => {
          created.off('error', reject);
          resolve(created);
        });
      });
    },
    stop(): Promise<void> {
      const running = server;
      server = undefined;
      if (!running) return Promise.resolve();
      // In-flight requests get a moment to be answered; then every connection is closed.
      return closeGracefully(running, 1000);
    },
  };
}

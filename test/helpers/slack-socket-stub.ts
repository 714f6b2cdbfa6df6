/**
 * A local stand-in for Slack's Socket Mode, over the Web API stand-in (slack-stub.ts): `apps.connections.open`,
 * called with the app token (`xapp-…`) as Bearer, answers a `ws://127.0.0.1:PORT/link/…` URL; the WebSocket
 * server there greets each connection with `hello` (as Slack does, and as @slack/socket-mode waits for
 * before it counts as connected), pings it now and then, answers its pings (ws does), asks it to go
 * (`disconnect`, as Slack does before recycling a connection; the client then connects anew), and delivers the
 * envelopes a test sends — `slash_commands` and `interactive` (block_actions) — recording each
 * acknowledgement (`{envelope_id, payload}` sent back). Anything else `apps.connections.open` is called
 * with is refused as Slack refuses it (`not_allowed_token_type` for a bot token, `invalid_auth` otherwise).
 */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import type { SlackStub } from './slack-stub.js';
import { SLASH_COMMAND_DEFAULTS } from './slack-request.js';

interface SocketAck {
  envelope_id: string;
  /** What the app sent back with the ack (`{}` for a bare ack). */
  payload: Record<string, unknown>;
  at: number;
}

interface SlashCommandEnvelopeFields {
  text: string;
  response_url: string;
  user_id?: string;
  channel_id?: string;
}

interface ButtonEnvelopeFields {
  action_id: string;
  value: string;
  user_id: string;
  response_url: string;
  channel_id?: string;
  message_ts?: string;
}

export interface SlackSocketStub {
  /** The app token every accepted `apps.connections.open` call was made with (`Bearer xapp-…`). */
  readonly opened: string[];
  /** The acknowledgements received so far. */
  readonly acks: SocketAck[];
  /** How many sockets are open now. */
  connections(): number;
  /** Resolves when a socket is open and greeted (at once if one is). */
  connected(timeoutMs?: number): Promise<void>;
  /** Resolves when no socket is open (at once if none is). */
  allClosed(timeoutMs?: number): Promise<void>;
  /**
   * From now on reads nothing more from the open sockets, so a close frame the app sends is never
   * answered (a Slack that does not finish the close handshake).
   */
  stallReads(): void;
  /** Sends `{"type":"disconnect","reason":…}` on every open socket, as Slack does before recycling a connection. */
  disconnect(reason?: string): void;
  /** Delivers `/svc TEXT` as a `slash_commands` envelope; resolves with its ack. */
  slashCommand(fields: SlashCommandEnvelopeFields, timeoutMs?: number): Promise<SocketAck>;
  /** Delivers a button press as an `interactive` (block_actions) envelope; resolves with its ack. */
  pressButton(fields: ButtonEnvelopeFields, timeoutMs?: number): Promise<SocketAck>;
  /** Stops answering `apps.connections.open` and closes the WebSocket server (and any socket still open). */
  close(): Promise<void>;
}

/** What Slack sends first on a new connection (the client is connected once it has it). */
function hello(connections: number): string {
  return JSON.stringify({
    type: 'hello',
    num_connections: connections,
    debug_info: { host: 'applink-stub', build_number: 1, approximate_connection_time: 18060 },
    connection_info: { app_id: 'A1' },
  });
}

export async function startSlackSocketStub(slack: SlackStub, opts: { pingIntervalMs?: number } = {}): Promise<SlackSocketStub> {
  const pingIntervalMs = opts.pingIntervalMs ?? 5000;
  // The HTTP server is ours (not ws's) so that each WebSocket's TCP socket is at hand (stallReads).
  const wss = new WebSocketServer({ noServer: true });
  const tcp = new Map<WebSocket, Socket>();
  const server = createServer((_req, res) => {
    res.writeHead(426);
    res.end();
  });
  server.on('upgrade', (req, socket: Socket, head) => {
    wss.handleUpgrade(req, socket, head, (ws) => {
      tcp.set(ws, socket);
      wss.emit('connection', ws, req);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const wsUrl = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/link/`;
  const sockets = new Set<WebSocket>();
  const opened: string[] = [];
  const acks: SocketAck[] = [];
  const changed = new Set<() => void>();
  const notify = () => {
    for (const fn of [...changed]) fn();
  };

  /** Resolves when `probe` is true, checked now and at each change; rejects after `timeoutMs`. */
  function when<T>(probe: () => T | undefined, what: string, timeoutMs: number): Promise<T> {
    const now = probe();
    if (now !== undefined) return Promise.resolve(now);
    return new Promise((resolve, reject) => {
      const check = () => {
        const value = probe();
        if (value === undefined) return;
        changed.delete(check);
        clearTimeout(timer);
        resolve(value);
      };
      const timer = setTimeout(() => {
        changed.delete(check);
        reject(new Error(`Socket Mode stand-in: no ${what} within ${timeoutMs} ms (${sockets.size} socket(s) open, ${acks.length} ack(s))`));
      }, timeoutMs);
      changed.add(check);
    });
  }

  const removeOverride = slack.override((call) => {
    if (call.method !== 'apps.connections.open') return undefined;
    const token = /^Bearer (.*)$/.exec(call.authorization ?? '')?.[1] ?? '';
    if (!token.startsWith('xapp-')) return { body: { ok: false, error: token.startsWith('xoxb-') ? 'not_allowed_token_type' : 'invalid_auth' } };
    opened.push(token);
    return { body: { ok: true, url: `${wsUrl}?ticket=${randomUUID()}&app_id=A1` } };
  });

  wss.on('connection', (socket) => {
    sockets.add(socket);
    // Slack pings its clients; @slack/socket-mode closes a socket whose pings stop (after the first one).
    const pinger = setInterval(() => socket.ping(), pingIntervalMs);
    pinger.unref();
    socket.on('message', (data, isBinary) => {
      if (isBinary) return;
      let message: unknown;
      try {
        message = JSON.parse((Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(new Uint8Array(data))).toString('utf8'));
      } catch {
        return;
      }
      const { envelope_id: id, payload } = message as { envelope_id?: unknown; payload?: unknown };
      if (typeof id !== 'string') return;
      acks.push({ envelope_id: id, payload: typeof payload === 'object' && payload !== null ? (payload as Record<string, unknown>) : {}, at: Date.now() });
      notify();
    });
    socket.on('close', () => {
      clearInterval(pinger);
      sockets.delete(socket);
      tcp.delete(socket);
      notify();
    });
    socket.send(hello(sockets.size), () => notify());
  });

  const openSocket = () => [...sockets].find((s) => s.readyState === s.OPEN);

  async function deliver(envelope: { envelope_id: string; type: string; payload: unknown; accepts_response_payload: boolean }, timeoutMs: number): Promise<SocketAck> {
    const socket = await when(openSocket, 'open socket', timeoutMs);
    socket.send(JSON.stringify(envelope));
    return when(() => acks.find((a) => a.envelope_id === envelope.envelope_id), `ack of envelope ${envelope.envelope_id}`, timeoutMs);
  }

  return {
    opened,
    acks,
    connections: () => sockets.size,
    connected: (timeoutMs = 10_000) => when(() => (openSocket() ? true : undefined), 'open socket', timeoutMs).then(() => undefined),
    allClosed: (timeoutMs = 10_000) => when(() => (sockets.size === 0 ? true : undefined), 'close of every socket', timeoutMs).then(() => undefined),
    stallReads() {
      for (const socket of sockets) tcp.get(socket)?.pause();
    },
    disconnect(reason = 'refresh_requested') {
      const message = JSON.stringify({ type: 'disconnect', reason, debug_info: { host: 'applink-stub' } });
      for (const socket of sockets) socket.send(message);
    },
    slashCommand(fields, timeoutMs = 10_000) {
      const payload = { ...SLASH_COMMAND_DEFAULTS, is_enterprise_install: 'false', ...fields };
      return deliver({ envelope_id: randomUUID(), type: 'slash_commands', payload, accepts_response_payload: true }, timeoutMs);
    },
    pressButton(fields, timeoutMs = 10_000) {
      const channel = fields.channel_id ?? 'C1';
      const payload = {
        type: 'block_actions',
        user: { id: fields.user_id, username: fields.user_id.toLowerCase(), team_id: 'T1' },
        api_app_id: 'A1',
        token: 'deprecated-verification-token',
        container: { type: 'message', message_ts: fields.message_ts ?? '1.2', channel_id: channel, is_ephemeral: false },
        trigger_id: '1.2.3',
        team: { id: 'T1', domain: 'test' },
        is_enterprise_install: false,
        channel: { id: channel, name: 'ops' },
        response_url: fields.response_url,
        actions: [{ type: 'button', action_id: fields.action_id, block_id: 'b1', value: fields.value, text: { type: 'plain_text', text: 'x' }, action_ts: '1.3' }],
      };
      return deliver({ envelope_id: randomUUID(), type: 'interactive', payload, accepts_response_payload: false }, timeoutMs);
    },
    async close() {
      removeOverride();
      for (const socket of sockets) socket.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

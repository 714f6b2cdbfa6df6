/**
 * The ChatTransport port over a Bolt app: slash commands and button presses (`block_actions`) are
 * acknowledged at once, then handed to svcbot's listeners. Bolt verifies each request's signature (HTTP
 * mode) before any of this runs. In Socket Mode, where Slack's requests come over the socket, the probe
 * routes are served on the web port by svcbot's own health server, started before the socket and closed
 * after it.
 */
import type { App, BlockButtonAction, SocketModeReceiver } from '@slack/bolt';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ChatTransport } from '../../ports/chat.js';
import type { Logger } from '../../ports/logger.js';
import type { ProbeServer } from '../../ports/health.js';

/** Lets the event loop read the requests already waiting (and ack them) before a listener starts working. */
const giveWay = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Socket Mode: Bolt's receiver, and the server of the probe routes on the web port. */
export interface SocketModeParts {
  receiver: SocketModeReceiver;
  probes: ProbeServer;
}

/** How long stop waits for Slack's side of the close handshake (the Socket Mode client itself would wait 30 s). */
const SOCKET_CLOSE_WAIT_MS = 2000;

/**
 * Stops Bolt's Socket Mode receiver and resolves once its socket is closed (the receiver's own stop sends
 * the close frame but does not wait for the handshake); after SOCKET_CLOSE_WAIT_MS without Slack's answer,
 * the socket is cut (the client's second disconnect does that): svcbot must be gone within seconds of
 * SIGTERM, and a peer that does not answer has nothing more to say.
 */
async function stopSocket(app: App, receiver: SocketModeReceiver, logger: Logger): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const closed = new Promise<boolean>((resolve) => {
    receiver.client.once('disconnected', () => resolve(true));
    timer = setTimeout(() => resolve(false), SOCKET_CLOSE_WAIT_MS);
    timer.unref();
  });
  await app.stop();
  const done = await closed;
  clearTimeout(timer);
  if (done) return;
  logger.warn({ waitedMs: SOCKET_CLOSE_WAIT_MS }, 'Slack did not finish closing the Socket Mode connection; cutting it');
  await receiver.client.disconnect();
}

/**
 * How long stop waits for the commands and button presses already acknowledged to finish (their replies
 * posted): Slack was told "received", so dropping them on SIGTERM would lose a command silently. Within
 * svcbot's own 10 s bound on stopping.
 */
const IN_FLIGHT_WAIT_MS = 5000;

export function createSlackTransport(app: App, { port, socketMode, logger }: { port: number; socketMode?: SocketModeParts; logger: Logger }): ChatTransport {
  /** Listeners running for requests already acknowledged. */
  const inFlight = new Set<Promise<void>>();
  const tracked = async (run: Promise<void>): Promise<void> => {
    inFlight.add(run);
    try {
      await run;
    } finally {
      inFlight.delete(run);
    }
  };
  /** Waits (bounded) for the acknowledged requests' listeners to finish, once no new request can arrive. */
  async function finishInFlight(): Promise<void> {
    if (inFlight.size === 0) return;
    let timer: NodeJS.Timeout | undefined;
    const finished = await Promise.race([
      Promise.allSettled([...inFlight]).then(() => true),
      new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), IN_FLIGHT_WAIT_MS))),
    ]);
    clearTimeout(timer);
    if (!finished) logger.warn({ running: inFlight.size, waitedMs: IN_FLIGHT_WAIT_MS }, 'stopping with acknowledged Slack requests still running');
  }
  return {
    onCommand(command, listener) {
      app.command(command, async ({ ack, command: body }) => {
        await ack();
        // Without this, everything up to the command's first I/O (parsing, rendering, building API
        // requests) runs straight after the ack, ahead of the requests already waiting to be read, and
        // delays their acks (bench/ack measures it).
        await tracked(giveWay().then(() => listener({ text: body.text, userId: body.user_id, channelId: body.channel_id, responseUrl: body.response_url })));
      });
    },
    onButton(actionId, listener) {
      app.action<BlockButtonAction>(actionId, async ({ ack, body, action }) => {
        await ack();
        const channelId = body.channel?.id;
        await tracked(
          giveWay().then(() =>
            listener({
              actionId,
              value: action.value ?? '',
              userId: body.user.id,
              ...(channelId ? { channelId } : {}),
              responseUrl: body.response_url,
            }),
          ),
        );
      });
    },
    async start() {
      if (socketMode) {
        // The probes first: a pod that is still connecting to Slack is alive (and says whether it is ready).
        const probesPort = await socketMode.probes.start();
        try {
          await app.start();
        } catch (err) {
          await socketMode.probes.stop();
          throw err;
        }
        logger.debug({ port: probesPort }, 'Slack Socket Mode connected; /healthz, /readyz and /metrics served on the web port');
        return { port: probesPort };
      }
      const started: unknown = await app.start(port);
      const address = (started as Server).address() as AddressInfo;
      logger.debug({ port: address.port }, 'Slack HTTP receiver listening');
      return { port: address.port };
    },
    async stop() {
      if (!socketMode) {
        await app.stop();
        await finishInFlight();
        return;
      }
      await stopSocket(app, socketMode.receiver, logger);
      await finishInFlight();
      await socketMode.probes.stop();
    },
  };
}

/**
 * A small HTTP server of the health routes alone, for a process without Slack's HTTP receiver: `svcbot
 * worker` (on HEALTH_PORT) and the web side in Socket Mode (on PORT); anything else is 404. It reads no
 * request bodies, cuts slow clients, and closes promptly on stop: idle connections at once, busy ones
 * after a moment.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { HttpRoute } from '../slack/receiver.js';
import { closeGracefully } from '../http-close.js';

export interface HealthServer {
  /** Listens on `port` (0 = any free port); resolves with the port. */
  start(): Promise<number>;
  stop(): Promise<void>;
}

export function createHealthServer({ port, routes }: { port: number; routes: readonly HttpRoute[] }): HealthServer {
  let server: Server | undefined;
  return {
    start() {
      if (server) return Promise.reject(new Error('the health server is already started'));
      const created = createServer({ headersTimeout: 5000, requestTimeout: 10_000, keepAliveTimeout: 5000, connectionsCheckingInterval: 1000 }, (req, res) => {
        const path = (req.url ?? '/').split('?', 1)[0];
        const route = routes.find((r) => r.path === path && r.method === req.method);
        if (route) return route.handler(req, res);
        res.writeHead(404, { connection: 'close' });
        res.end();
      });
      server = created;
      return new Promise((resolve, reject) => {
        created.once('error', reject);
        created.listen(port, () => {
          created.off('error', reject);
          resolve((created.address() as AddressInfo).port);
        });
      });
    },
    stop() {
      const running = server;
      server = undefined;
      if (!running) return Promise.resolve();
      return closeGracefully(running, 500);
    },
  };
}

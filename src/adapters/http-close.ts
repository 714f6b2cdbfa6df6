/** Stopping an HTTP server svcbot runs (Slack's receiver, the worker's health port) without hanging on a client. */
import type { Server } from 'node:http';

/**
 * Stops taking connections, lets requests in flight be answered for `graceMs`, then closes every
 * connection; resolves once the server is closed.
 */
export function closeGracefully(server: Server, graceMs: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => server.closeAllConnections(), graceMs);
    timer.unref();
    server.close(() => {
      clearTimeout(timer);
      resolve();
    });
    server.closeIdleConnections();
  });
}

/** The benchmarks' own HTTP servers (stand-ins, counters): listening on loopback, and closing at once. */
import type http from 'node:http';
import type { AddressInfo } from 'node:net';

/** Listens on an ephemeral loopback port; resolves with it. */
export function listen(server: http.Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/** Stops listening and drops the keep-alive connections. */
export function closeServer(server: http.Server): Promise<void> {
  return new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

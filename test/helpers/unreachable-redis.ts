/**
 * For tests that a component closes cleanly with Redis unreachable: a "Redis" that drops every
 * connection (its clients keep reconnecting), and the timers and TCP handles alive in the process, to
 * compare before and after.
 */
import { createServer, type AddressInfo } from 'node:net';

/** Timers and TCP sockets/servers alive in this process now. */
export function liveHandles(): { timers: number; sockets: number } {
  const info = process.getActiveResourcesInfo();
  return { timers: info.filter((r) => r === 'Timeout').length, sockets: info.filter((r) => r.startsWith('TCP')).length };
}

/** A server on loopback that accepts and at once destroys every connection; `connections()` counts them. */
export async function startDroppingRedis(): Promise<{ url: string; connections: () => number; close: () => Promise<void> }> {
  let connections = 0;
  const dropper = createServer((socket) => {
    connections++;
    socket.destroy();
  });
  await new Promise<void>((resolve) => dropper.listen(0, '127.0.0.1', resolve));
  const { port } = dropper.address() as AddressInfo;
  return {
    url: `redis://127.0.0.1:${port}`,
    connections: () => connections,
    close: () => new Promise<void>((resolve) => dropper.close(() => resolve())),
  };
}

/** Worker-thread entry: runs the benchmark world (`startWorld`) and serves it to the parent. */
import { serveRpc } from './rpc.js';
import { startWorld, type WorldInfo } from './world.js';

const world = startWorld();
// Reported through the first call ('info') instead of crashing the worker.
world.catch(() => undefined);

const handlers = {
  info: async (_: undefined): Promise<WorldInfo> => (await world).info,
  waitForReplies: async ({ ids, timeoutMs }: { ids: string[]; timeoutMs: number }): Promise<void> =>
    (await world).waitForReplies(ids, timeoutMs),
  deleteServices: async (names: string[]): Promise<void> => (await world).deleteServices(names),
  close: async (_: undefined): Promise<void> => (await world).close(),
};

export type WorldHandlers = typeof handlers;

serveRpc(handlers);

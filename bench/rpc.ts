/**
 * Request/response over a worker thread's message port: the worker serves named async handlers, the
 * parent calls them and gets promises back. Errors cross as messages and are rethrown in the parent.
 */
import { parentPort, type Worker } from 'node:worker_threads';

/** A worker's handlers: each takes one structured-clonable argument and resolves with a clonable value. */
export type Handlers = Record<string, (arg: never) => Promise<unknown>>;

interface Request {
  id: number;
  method: string;
  arg: unknown;
}

type Response = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: string };

/** In a worker: answers the parent's calls with `handlers`. */
export function serveRpc(handlers: Handlers): void {
  const port = parentPort;
  if (!port) throw new Error('serveRpc must run on a worker thread');
  port.on('message', (request: Request) => {
    void (async () => {
      let response: Response;
      try {
        const handler = handlers[request.method] as ((arg: unknown) => Promise<unknown>) | undefined;
        if (!handler) throw new Error(`no handler for ${request.method}`);
        response = { id: request.id, ok: true, value: await handler(request.arg) };
      } catch (err) {
        response = { id: request.id, ok: false, error: err instanceof Error ? (err.stack ?? err.message) : String(err) };
      }
      port.postMessage(response);
    })();
  });
}

export interface RpcClient<H extends Handlers> {
  call<M extends keyof H & string>(method: M, arg: Parameters<H[M]>[0]): Promise<Awaited<ReturnType<H[M]>>>;
  /** Stops the worker; pending calls reject. */
  terminate(): Promise<void>;
}

/** In the parent: calls `worker`'s handlers. A worker that dies rejects every pending call. */
export function connectRpc<H extends Handlers>(worker: Worker): RpcClient<H> {
  let nextId = 1;
  const pending = new Map<number, { resolve: (value: unknown) => void; reject: (err: Error) => void }>();
  const failAll = (err: Error) => {
    for (const p of pending.values()) p.reject(err);
    pending.clear();
  };
  worker.on('message', (response: Response) => {
    const p = pending.get(response.id);
    if (!p) return;
    pending.delete(response.id);
    if (response.ok) p.resolve(response.value);
    else p.reject(new Error(`worker: ${response.error}`));
  });
  worker.on('error', (err) => failAll(err));
  worker.on('exit', (code) => failAll(new Error(`worker exited with code ${code}`)));
  return {
    call(method, arg) {
      const id = nextId++;
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
        worker.postMessage({ id, method, arg } satisfies Request);
      });
    },
    async terminate() {
      await worker.terminate();
    },
  };
}

/**
 * Test helpers for the sandbox's ELB endpoint (classic and ELBv2 suites alike): one endpoint served
 * on 127.0.0.1 (port 0) with a settable clock, raw Query-protocol calls, and the SDK exception a call
 * rejects with.
 */
import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Faults } from '../../../sandbox/faults.js';
import { createElbApiServer } from '../../../sandbox/elb/server.js';
import { ElbStore } from '../../../sandbox/elb/store.js';
import { ElbV2Store } from '../../../sandbox/elb/v2store.js';

export interface ElbEndpoint {
  store: ElbStore;
  v2: ElbV2Store;
  faults: Faults;
  clock: { t: number };
  server: http.Server;
  endpoint: string;
  close(): Promise<void>;
}

/**
 * Classic store: DNS delay 1 s, instance warm-up 30 s. ELBv2 store: DNS delay 60 s, target warm-up 30 s.
 * Both on `clock`, which starts at 2024-01-01T12:00Z.
 */
export async function startElbEndpoint(): Promise<ElbEndpoint> {
  const clock = { t: Date.UTC(2024, 0, 1, 12) };
  const now = () => clock.t;
  const store = new ElbStore({ region: 'us-east-1', dnsDelayMs: 1000, instanceWarmupMs: 30_000, now });
  const v2 = new ElbV2Store({ region: 'us-east-1', dnsDelayMs: 60_000, targetWarmupMs: 30_000, now });
  const faults = new Faults();
  const server = createElbApiServer(store, faults, { region: 'us-east-1', now, v2 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    store,
    v2,
    faults,
    clock,
    server,
    endpoint: `http://127.0.0.1:${port}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
    },
  };
}

/** The SDK exception (an instance of `type`) a call rejects with; anything else is rethrown. */
export async function rejectionOf<E extends Error>(
  promise: Promise<unknown>,
  type: abstract new (...args: never[]) => E,
): Promise<E & { Code?: string }> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof type) return err;
    throw err;
  }
  throw new Error('expected the call to fail');
}

export async function rawCall(endpoint: string, body: string, method = 'POST'): Promise<{ status: number; text: string; requestId: string | null }> {
  const res =
    method === 'GET'
      ? await fetch(`${endpoint}/?${body}`)
      : await fetch(endpoint, {
          method,
          headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
          body,
        });
  return { status: res.status, text: await res.text(), requestId: res.headers.get('x-amzn-requestid') };
}

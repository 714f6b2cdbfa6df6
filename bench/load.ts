/**
 * The load generator: fires a batch of signed POSTs at once over keep-alive connections and times each
 * one from the moment its request is written to the end of its response (for a slash command, the ack).
 * It runs on a worker thread of its own (`bench/load-worker.ts`) so that the timings do not include
 * waiting for the event loop of the app being measured.
 */
import http from 'node:http';
import { Worker } from 'node:worker_threads';
import { connectRpc } from './rpc.js';
import { signedHeaders } from './slack.js';
import type { LoadHandlers } from './load-worker.js';

export interface Batch {
  url: string;
  signingSecret: string;
  bodies: string[];
}

export interface BatchResult {
  /** Milliseconds from writing request i to the end of its response. */
  ms: number[];
  /** HTTP status of response i; 0 when the request failed. */
  statuses: number[];
  /** Failures, as messages (connection refused, reset...). */
  errors: string[];
}

/** One keep-alive agent per target URL's origin, reused across batches. */
const agents = new Map<string, http.Agent>();

function agentFor(url: URL): http.Agent {
  let agent = agents.get(url.origin);
  if (!agent) {
    agent = new http.Agent({ keepAlive: true, maxSockets: Infinity });
    agents.set(url.origin, agent);
  }
  return agent;
}

function post(url: URL, agent: http.Agent, body: string, signingSecret: string): Promise<{ ms: number; status: number; error?: string }> {
  return new Promise((resolve) => {
    const headers = signedHeaders(signingSecret, body);
    const started = performance.now();
    const req = http.request(url, { method: 'POST', agent, headers }, (res) => {
      res.resume();
      res.on('end', () => resolve({ ms: performance.now() - started, status: res.statusCode ?? 0 }));
      res.on('error', (err) => resolve({ ms: performance.now() - started, status: 0, error: err.message }));
    });
    req.on('error', (err) => resolve({ ms: performance.now() - started, status: 0, error: err.message }));
    req.end(body);
  });
}

/** Sends every body at once and waits for all the answers. */
export async function sendBatch({ url, signingSecret, bodies }: Batch): Promise<BatchResult> {
  const target = new URL(url);
  const agent = agentFor(target);
  const results = await Promise.all(bodies.map((body) => post(target, agent, body, signingSecret)));
  return {
    ms: results.map((r) => r.ms),
    statuses: results.map((r) => r.status),
    errors: results.flatMap((r) => (r.error === undefined ? [] : [r.error])),
  };
}

export function closeAgents(): void {
  for (const agent of agents.values()) agent.destroy();
  agents.clear();
}

export interface LoadClient {
  sendBatch(batch: Batch): Promise<BatchResult>;
  close(): Promise<void>;
}

/** The load generator on its own worker thread. */
export function startLoadClient(): LoadClient {
  const rpc = connectRpc<LoadHandlers>(new Worker(new URL('./load-worker.js', import.meta.url)));
  return {
    sendBatch: (batch) => rpc.call('sendBatch', batch),
    async close() {
      try {
        await rpc.call('close', undefined);
      } finally {
        await rpc.terminate();
      }
    },
  };
}

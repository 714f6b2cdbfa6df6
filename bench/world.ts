/**
 * The world svcbot talks to during a benchmark: the sandbox (Kubernetes API, ELB API, DNS) and a Slack
 * stand-in that counts replies. It can run on the caller's thread or on a worker thread of its own
 * (`bench/world-worker.ts`), so that the simulated apiserver's CPU time is not charged to svcbot's
 * event loop (in production the apiserver runs elsewhere).
 */
import { Worker } from 'node:worker_threads';
import { startSandbox } from '../sandbox/index.js';
import { startReplyStub } from './slack.js';
import { connectRpc } from './rpc.js';
import type { WorldHandlers } from './world-worker.js';

/** A Service the benchmark's `describe` finds: type LoadBalancer, so describing it asks the ELB API too. */
export const DESCRIBED_SERVICE = 'alpine-service';
const NAMESPACE = 'default';

export interface WorldInfo {
  kubeconfigYaml: string;
  kubeApi: string;
  elbEndpoint: string;
  /** The sandbox's EC2 API (the nodes' security groups). */
  ec2Endpoint: string;
  region: string;
  clusterName: string;
  slackApiUrl: string;
  /** `response_url` for reply id X is this + X. */
  responseUrlBase: string;
}

export interface World {
  readonly info: WorldInfo;
  /** See `ReplyStub.waitForReplies`. */
  waitForReplies(ids: readonly string[], timeoutMs: number): Promise<void>;
  /** Deletes Services in the benchmark's namespace through the Kubernetes API (missing ones are fine). */
  deleteServices(names: readonly string[]): Promise<void>;
  close(): Promise<void>;
}

async function kubeRequest(kubeApi: string, method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> {
  const res = await fetch(`${kubeApi}${path}`, {
    method,
    ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, json: text === '' ? undefined : (JSON.parse(text) as unknown) };
}

function hostnameOf(service: unknown): string | undefined {
  const ingress = (service as { status?: { loadBalancer?: { ingress?: { hostname?: string }[] } } }).status?.loadBalancer?.ingress;
  return ingress?.[0]?.hostname;
}

/** Starts the sandbox and the Slack stand-in on this thread, with `alpine-service` provisioned. */
export async function startWorld(): Promise<World> {
  const sandbox = await startSandbox({ kubeconfigPath: null, provisionDelayMs: 20, dnsDelayMs: 50, instanceWarmupMs: 20 });
  const stub = await startReplyStub();
  const { kubeApi } = sandbox.info;
  try {
    const servicesPath = `/api/v1/namespaces/${NAMESPACE}/services`;
    const created = await kubeRequest(kubeApi, 'POST', servicesPath, {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: DESCRIBED_SERVICE },
      spec: { type: 'LoadBalancer', selector: { app: 'alpine' }, ports: [{ name: 'http', port: 8080, targetPort: 80 }] },
    });
    if (created.status !== 201) throw new Error(`could not create ${DESCRIBED_SERVICE}: HTTP ${created.status} ${JSON.stringify(created.json)}`);
    const deadline = Date.now() + 10_000;
    while (hostnameOf((await kubeRequest(kubeApi, 'GET', `${servicesPath}/${DESCRIBED_SERVICE}`)).json) === undefined) {
      if (Date.now() > deadline) throw new Error(`${DESCRIBED_SERVICE} got no load balancer within 10 s`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  } catch (err) {
    await stub.close();
    await sandbox.close();
    throw err;
  }
  const responseUrlBase = stub.responseUrl('');
  return {
    info: {
      kubeconfigYaml: sandbox.kubeconfigYaml,
      kubeApi,
      elbEndpoint: sandbox.info.elbEndpoint,
      ec2Endpoint: sandbox.info.ec2Endpoint,
      region: sandbox.info.region,
      clusterName: sandbox.info.clusterName,
      slackApiUrl: stub.apiUrl,
      responseUrlBase,
    },
    waitForReplies: (ids, timeoutMs) => stub.waitForReplies(ids, timeoutMs),
    async deleteServices(names) {
      await Promise.all(
        names.map(async (name) => {
          const { status, json } = await kubeRequest(kubeApi, 'DELETE', `/api/v1/namespaces/${NAMESPACE}/services/${name}`);
          if (status !== 200 && status !== 202 && status !== 404) throw new Error(`could not delete ${name}: HTTP ${status} ${JSON.stringify(json)}`);
        }),
      );
    },
    async close() {
      await stub.close();
      await sandbox.close();
    },
  };
}

/** The same world on a worker thread: calls become messages. */
export async function startWorldInWorker(): Promise<World> {
  const worker = new Worker(new URL('./world-worker.js', import.meta.url));
  const rpc = connectRpc<WorldHandlers>(worker);
  let info: WorldInfo;
  try {
    info = await rpc.call('info', undefined);
  } catch (err) {
    await rpc.terminate();
    throw err;
  }
  return {
    info,
    waitForReplies: (ids, timeoutMs) => rpc.call('waitForReplies', { ids: [...ids], timeoutMs }),
    deleteServices: (names) => rpc.call('deleteServices', [...names]),
    async close() {
      try {
        await rpc.call('close', undefined);
      } finally {
        await rpc.terminate();
      }
    },
  };
}

/**
 * Test helpers for the simulated apiserver: a cluster served on 127.0.0.1 (port 0) and real
 * `@kubernetes/client-node` clients pointed at it.
 */
import * as k8s from '@kubernetes/client-node';
import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Faults, type FaultSettings } from '../../../sandbox/faults.js';
import { KubeCluster, type ClusterOptions } from '../../../sandbox/kube/cluster.js';
import { createKubeApiServer } from '../../../sandbox/kube/server.js';
import type { Status } from '../../../sandbox/kube/types.js';

export interface TestApi {
  cluster: KubeCluster;
  faults: Faults;
  server: http.Server;
  url: string;
  kc: k8s.KubeConfig;
  core: k8s.CoreV1Api;
  apps: k8s.AppsV1Api;
  discovery: k8s.DiscoveryV1Api;
  close(): Promise<void>;
}

function kubeConfigFor(url: string): k8s.KubeConfig {
  const kc = new k8s.KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'sandbox', server: url, skipTLSVerify: true }],
    users: [{ name: 'u' }],
    contexts: [{ name: 'sandbox', cluster: 'sandbox', user: 'u' }],
    currentContext: 'sandbox',
  });
  return kc;
}

export async function startApi(opts: Partial<ClusterOptions> = {}, faults: Partial<FaultSettings> = {}): Promise<TestApi> {
  const cluster = new KubeCluster({ clusterName: 'test', region: 'us-east-1', nodes: 3, ...opts });
  const f = new Faults(faults);
  const server = createKubeApiServer(cluster, f);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const kc = kubeConfigFor(url);
  return {
    cluster,
    faults: f,
    server,
    url,
    kc,
    core: kc.makeApiClient(k8s.CoreV1Api),
    apps: kc.makeApiClient(k8s.AppsV1Api),
    discovery: kc.makeApiClient(k8s.DiscoveryV1Api),
    close: () => new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve()))),
  };
}

/** The Status a failed client-node call carried (its HTTP code and parsed body). */
export async function apiError(promise: Promise<unknown>): Promise<Status> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof k8s.ApiException) {
      const body = typeof err.body === 'string' ? (JSON.parse(err.body) as Status) : (err.body as Status);
      expect(body.code).toBe(err.code);
      return body;
    }
    throw err;
  }
  throw new Error('expected the call to fail');
}

/** Call options that send a patch with the given content type. */
export function patchAs(type: k8s.PatchStrategy): k8s.ConfigurationOptions {
  return k8s.setHeaderOptions('Content-Type', type);
}

/** Raw HTTP request against the test server (for what client-node cannot send). */
export async function raw(
  url: string,
  method: string,
  path: string,
  body?: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Headers; text: string; json: () => unknown }> {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: body !== undefined ? { 'Content-Type': 'application/json', ...headers } : headers,
    ...(body !== undefined ? { body } : {}),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, json: () => JSON.parse(text) as unknown };
}

/** Polls `check` until it returns a value other than undefined, or fails after `ms`. */
export async function eventually<T>(check: () => T | undefined | Promise<T | undefined>, ms = 5000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

export function svc(name: string, spec: Record<string, unknown>, metadata: Record<string, unknown> = {}): k8s.V1Service {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name, ...metadata }, spec: spec };
}

/**
 * The readiness checks over the SDKs: Redis answers PING on a connection of its own (one that does not
 * queue commands while disconnected, so a Redis that is down fails the check at once), and a cluster's API
 * server answers `GET /version` (cheap, and allowed to every authenticated caller).
 */
import * as k8s from '@kubernetes/client-node';
import { connectRedis, type RedisConnection, type RedisTarget } from '../redis/connection.js';
import type { ReadinessCheck } from '../../ports/health.js';

/** A Redis connection for the probes (and the start-up checks), with the check over it. */
export interface RedisProbe extends ReadinessCheck {
  /** The connection: the start-up checks read Redis's configuration over it. */
  readonly redis: RedisConnection;
  close(): void;
}

/** The connection's state now (a function, so that a read after an await is not narrowed away). */
const statusOf = (redis: RedisConnection): string => redis.status;

const FIRST_CONNECTION = new Set(['wait', 'connecting', 'connect']);

export function createRedisProbe(target: RedisTarget): RedisProbe {
  const redis = connectRedis(target, { enableOfflineQueue: false, maxRetriesPerRequest: 0, connectTimeout: 2000, disconnectTimeout: 200 });
  redis.on('error', () => {
    // The probe's answer says it; the job queue's connections log Redis's errors already.
  });
  return {
    name: 'redis',
    redis,
    async check() {
      // Still making its first connection (just started): wait for it; the probe's bound limits the wait.
      if (FIRST_CONNECTION.has(redis.status)) await new Promise<void>((resolve) => redis.once('ready', resolve).once('error', () => resolve()));
      // Read again: the wait above may have changed it.
      const status = statusOf(redis);
      if (status !== 'ready') throw new Error(`not connected to Redis (${status})`);
      const answer = await redis.ping();
      if (answer !== 'PONG') throw new Error('Redis did not answer PING with PONG');
    },
    close: () => redis.disconnect(),
  };
}

/** The configured cluster `name`'s API server answers `GET /version`. */
export function clusterApiCheck(name: string, kubeConfig: k8s.KubeConfig): ReadinessCheck {
  const version = kubeConfig.makeApiClient(k8s.VersionApi);
  return {
    name: `cluster:${name}`,
    async check() {
      try {
        await version.getCode();
      } catch (err) {
        if (err instanceof k8s.ApiException) throw new Error(`the API server answered GET /version with HTTP ${err.code}`, { cause: err });
        const code = (err as { code?: unknown; cause?: { code?: unknown } }).code ?? (err as { cause?: { code?: unknown } }).cause?.code;
        throw new Error(`the API server does not answer (${typeof code === 'string' ? code : err instanceof Error ? err.message : String(err)})`, { cause: err });
      }
    },
  };
}

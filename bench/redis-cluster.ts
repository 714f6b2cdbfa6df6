/**
 * A real local Redis Cluster, for tests (test/helpers/redis-cluster.ts re-exports it) and `bench/scale`:
 * 3 masters + 3 replicas (`redis-server --cluster-enabled yes`) on free loopback ports, joined with
 * `redis-cli --cluster create … --cluster-replicas 1`, in a temporary directory of its own (no persistence:
 * `--save ''`, `--appendonly no`). Started once per suite file or benchmark run; stop() kills every node and
 * removes the directory (and a benchmark's Ctrl-C does, through bench/proc.ts's tracking). killMaster()
 * kills the master serving a key and waits until a replica has taken over its slots, for fault tests;
 * masters() says which nodes serve slots now, for per-master figures.
 */
import { execFile, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Cluster, Redis } from 'ioredis';
import { freePort, removeTmpDir, spawnTracked, trackTmpDir } from './proc.js';
import { waitFor } from './wait.js';

const run = promisify(execFile);

interface ClusterNode {
  readonly host: '127.0.0.1';
  readonly port: number;
}

export interface LocalRedisCluster {
  /** The seed nodes, all six (as `REDIS_CLUSTER_NODES` lists them). */
  readonly nodes: readonly ClusterNode[];
  /** `127.0.0.1:P1,127.0.0.1:P2,…`: the value of `REDIS_CLUSTER_NODES`. */
  readonly seeds: string;
  /** A new ioredis Cluster client on it (the caller quits it). */
  client(options?: { maxRetriesPerRequest?: number | null }): Cluster;
  /**
   * Kills (SIGKILL) the master that serves `key`'s slot and resolves once one of its replicas has been
   * promoted and every live node reports `cluster_state:ok` again. Returns the killed node's port.
   */
  killMaster(key: string): Promise<number>;
  /** Removes every key under `${prefix}:` on every master (one DEL per key: keys of several slots). */
  removeKeys(prefix: string): Promise<void>;
  /** The nodes serving slots now (a replica promoted by killMaster among them), with their process ids. */
  masters(): Promise<{ port: number; pid: number | undefined }[]>;
  /** Kills every node and removes the temporary directory. */
  stop(): Promise<void>;
  /** What the nodes printed, for failure messages. */
  output(): string;
}

interface RunningNode {
  readonly port: number;
  readonly child: ChildProcess;
}

const alive = (child: ChildProcess) => child.exitCode === null && child.signalCode === null;

async function info(port: number, section: string, password: string | undefined): Promise<string> {
  const redis = new Redis(port, '127.0.0.1', { password, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 1000 });
  try {
    await redis.connect();
    return section === 'cluster' ? String(await redis.cluster('INFO')) : await redis.info(section);
  } finally {
    redis.disconnect();
  }
}

/** `CLUSTER NODES` of one node: [id, host:port@bus, flags, master id, …, slots…] per line. */
async function clusterNodes(port: number, password: string | undefined): Promise<string[][]> {
  const redis = new Redis(port, '127.0.0.1', { password, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 1000 });
  try {
    await redis.connect();
    const text = String(await redis.cluster('NODES'));
    return text.trim().split('\n').map((line) => line.trim().split(' '));
  } finally {
    redis.disconnect();
  }
}

/**
 * `password`: every node's `requirepass` and `masterauth` (a replica signs in to its master with it); the
 * helper's own clients use it.
 */
export async function startRedisCluster({ password }: { password?: string } = {}): Promise<LocalRedisCluster> {
  const auth = password !== undefined ? ['--requirepass', password, '--masterauth', password] : [];
  const dir = await mkdtemp(join(tmpdir(), 'svcbot-redis-cluster-'));
  trackTmpDir(dir);
  const running: RunningNode[] = [];
  let log = '';
  try {
    // Twelve distinct free ports: six for clients, six for the cluster bus (by default port + 10000, which
    // may be taken or out of range).
    const free: number[] = [];
    while (free.length < 12) {
      const port = await freePort();
      if (!free.includes(port)) free.push(port);
    }
    const ports = free.slice(0, 6);
    for (const [i, port] of ports.entries()) {
      const child = spawnTracked(
        'redis-server',
        [
          '--port', String(port), '--bind', '127.0.0.1', '--cluster-enabled', 'yes',
          '--cluster-port', String(free[6 + i]), '--cluster-config-file', `nodes-${port}.conf`, '--cluster-node-timeout', '1000',
          // A replica takes over however long ago it last heard from its master (a quiet test cluster).
          '--cluster-replica-validity-factor', '0',
          '--dir', dir, '--save', '', '--appendonly', 'no', ...auth,
        ],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let out = '';
      const collect = (chunk: Buffer) => {
        out += chunk.toString();
        log += `[${port}] ${chunk.toString()}`;
      };
      child.stdout?.on('data', collect);
      child.stderr?.on('data', collect);
      running.push({ port, child });
      await waitFor(
        () => {
          if (!alive(child)) throw new Error(`redis-server ${port} exited: ${out}`);
          return out.includes('Ready to accept connections');
        },
        { what: `cluster node ${port} to start`, timeoutMs: 5000, intervalMs: 10 },
      );
    }
    await run('redis-cli', [...(password !== undefined ? ['-a', password, '--no-auth-warning'] : []), '--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '1', '--cluster-yes'], {
      timeout: 30_000,
    });
    await waitUntilOk(running.map((n) => n.port), password);
    await waitUntilReplicasInSync(running.map((n) => n.port), password);
  } catch (err) {
    await killAll(running);
    removeTmpDir(dir);
    throw new Error(`could not start a local Redis Cluster: ${err instanceof Error ? err.message : String(err)}\n${log}`, { cause: err });
  }

  const nodes = running.map((n): ClusterNode => ({ host: '127.0.0.1', port: n.port }));

  async function killMaster(key: string): Promise<number> {
    const client = new Cluster(nodes, { lazyConnect: true, redisOptions: { password } });
    let slot: number;
    try {
      slot = Number(await client.cluster('KEYSLOT', key));
    } finally {
      client.disconnect();
    }
    const live = running.filter((n) => alive(n.child));
    const table = await clusterNodes(live[0]!.port, password);
    const owner = table.find((fields) => fields[2]!.includes('master') && ownsSlot(fields.slice(8), slot));
    if (!owner) throw new Error(`no master serves slot ${slot}`);
    const port = Number(owner[1]!.split('@')[0]!.split(':')[1]);
    const victim = running.find((n) => n.port === port);
    if (!victim) throw new Error(`slot ${slot} is served by unknown port ${port}`);
    const exited = once(victim.child, 'exit');
    victim.child.kill('SIGKILL');
    await exited;
    const survivors = running.filter((n) => alive(n.child)).map((n) => n.port);
    await waitFor(
      async () => {
        const now = await clusterNodes(survivors[0]!, password);
        const newOwner = now.find((fields) => fields[2]!.includes('master') && !fields[2]!.includes('fail') && ownsSlot(fields.slice(8), slot));
        return newOwner !== undefined && !newOwner[1]!.startsWith(`127.0.0.1:${port}@`);
      },
      { what: `a replica to take over slot ${slot} from the killed master ${port}`, timeoutMs: 20_000, intervalMs: 100 },
    ).catch(async (err: unknown) => {
      const now = await clusterNodes(survivors[0]!, password).catch(() => []);
      throw new Error(`${err instanceof Error ? err.message : String(err)}; CLUSTER NODES:\n${now.map((f) => f.join(' ')).join('\n')}\n${log.split('\n').filter((l) => /failover/i.test(l)).join('\n')}`, { cause: err });
    });
    await waitUntilOk(survivors, password);
    return port;
  }

  return {
    nodes,
    seeds: nodes.map((n) => `${n.host}:${n.port}`).join(','),
    client: ({ maxRetriesPerRequest = 1 } = {}) => new Cluster(nodes, { redisOptions: { maxRetriesPerRequest, password } }),
    killMaster,
    async removeKeys(prefix) {
      const client = new Cluster(nodes, { redisOptions: { maxRetriesPerRequest: 1, password } });
      try {
        await new Promise<void>((resolve, reject) => client.once('ready', resolve).once('error', reject));
        for (const master of client.nodes('master')) {
          const keys = await master.keys(`${prefix}:*`);
          await Promise.all(keys.map((k) => client.del(k)));
        }
      } finally {
        client.disconnect();
      }
    },
    async masters() {
      const live = running.filter((n) => alive(n.child));
      const table = await clusterNodes(live[0]!.port, password);
      return table
        .filter((fields) => fields[2]!.includes('master') && !fields[2]!.includes('fail') && fields.length > 8)
        .map((fields) => Number(fields[1]!.split('@')[0]!.split(':')[1]))
        .sort((a, b) => a - b)
        .map((port) => ({ port, pid: running.find((n) => n.port === port)?.child.pid }));
    },
    stop: async () => {
      await killAll(running);
      removeTmpDir(dir);
    },
    output: () => log,
  };
}

async function waitUntilOk(ports: readonly number[], password: string | undefined): Promise<void> {
  await waitFor(
    async () => {
      for (const port of ports) {
        if (!(await info(port, 'cluster', password)).includes('cluster_state:ok')) return false;
      }
      return true;
    },
    { what: 'cluster_state:ok on every node', timeoutMs: 20_000, intervalMs: 50 },
  );
}

/** Until every replica has its master's data (a replica still in its first sync cannot take over). */
async function waitUntilReplicasInSync(ports: readonly number[], password: string | undefined): Promise<void> {
  await waitFor(
    async () => {
      let replicas = 0;
      for (const port of ports) {
        const replication = await info(port, 'replication', password);
        if (!replication.includes('role:slave')) continue;
        replicas++;
        if (!replication.includes('master_link_status:up') || replication.includes('master_sync_in_progress:1')) return false;
      }
      return replicas === 3;
    },
    { what: 'every replica in sync with its master', timeoutMs: 20_000, intervalMs: 50 },
  );
}

/** Whether a `CLUSTER NODES` slot list (`0-5460`, `5461`, `[…->-…]` migrations) covers `slot`. */
function ownsSlot(ranges: readonly string[], slot: number): boolean {
  return ranges.some((range) => {
    if (range.startsWith('[')) return false;
    const [from, to = from] = range.split('-');
    return slot >= Number(from) && slot <= Number(to);
  });
}

async function killAll(nodes: readonly RunningNode[]): Promise<void> {
  await Promise.all(
    nodes
      .filter((n) => alive(n.child))
      .map(async (n) => {
        const exited = once(n.child, 'exit');
        n.child.kill('SIGKILL');
        await exited;
      }),
  );
}

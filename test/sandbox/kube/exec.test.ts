/**
 * `pods/NAME/exec` over WebSocket (`v5.channel.k8s.io`, `v4.channel.k8s.io`) through client-node's
 * Exec: the tutorial's commands in a pod (`apk add curl`, `curl` to a Service by name and cluster IP,
 * `wget`, `sh -c`), and an unknown command's 127 with the kubelet's NonZeroExitCode Status.
 */
import * as k8s from '@kubernetes/client-node';
import { PassThrough } from 'node:stream';
import WebSocket from 'ws';
import { IT_WORKS, alpinePods, createAlpineService, startStreamsApi, type StreamsApi } from './streams-helpers.js';

let api: StreamsApi;
let pods: string[];
beforeAll(async () => {
  api = await startStreamsApi();
  await createAlpineService(api.kc);
  await createAlpineService(api.kc, 'nobody-home', { app: 'nothing-matches' });
  pods = alpinePods(api.cluster).map((p) => p.metadata.name);
});
afterAll(() => api.close());

interface Ran {
  stdout: string;
  stderr: string;
  status: k8s.V1Status;
}

/** Runs `command` in `pod` through client-node's Exec and waits for its Status. */
async function run(pod: string, command: string[], stdin?: string): Promise<Ran> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c: Buffer) => (out += c.toString()));
  stderr.on('data', (c: Buffer) => (err += c.toString()));
  const input = stdin === undefined ? null : new PassThrough();
  const status = await new Promise<k8s.V1Status>((resolve, reject) => {
    new k8s.Exec(api.kc)
      .exec('default', pod, 'httpd', command, stdout, stderr, input, false, (s) => resolve(s))
      .then(() => {
        if (input) input.end(stdin);
      }, reject);
  });
  return { stdout: out, stderr: err, status };
}

const success = { metadata: {}, status: 'Success' };

describe('exec over WebSocket (client-node Exec)', () => {
  it('runs apk add curl, then curl to a Service by name, by FQDN and by cluster IP', async () => {
    const pod = pods[0]!;
    const apk = await run(pod, ['apk', 'add', 'curl']);
    expect(apk.status).toMatchObject(success);
    expect(apk.stdout).toMatch(/Installing curl .*\nOK: \d+ MiB in \d+ packages\n$/);
    for (const url of ['alpine-service:8080', 'http://alpine-service.default.svc.cluster.local:8080/']) {
      const r = await run(pod, ['curl', '-s', url]);
      expect(r).toEqual({ stdout: IT_WORKS, stderr: '', status: success });
    }
    const clusterIp = (await api.kc.makeApiClient(k8s.CoreV1Api).readNamespacedService({ name: 'alpine-service', namespace: 'default' })).spec!.clusterIP!;
    expect((await run(pod, ['curl', `${clusterIp}:8080`])).stdout).toBe(IT_WORKS);
    expect(api.network.dials.at(-1)).toBe(`${clusterIp}:8080`);
  });

  it("answers curl's own errors: no such host (6), nothing serving (7)", async () => {
    const pod = pods[0]!;
    await run(pod, ['apk', 'add', 'curl']);
    const noHost = await run(pod, ['curl', 'nowhere:8080']);
    expect(noHost.stderr).toBe('curl: (6) Could not resolve host: nowhere\n');
    expect(noHost.status.details?.causes).toEqual([{ reason: 'ExitCode', message: '6' }]);
    const refused = await run(pod, ['curl', 'nobody-home:8080']);
    expect(refused.stderr).toMatch(/^curl: \(7\) Failed to connect to nobody-home port 8080/);
  });

  it('has no curl in an alpine pod until apk adds it, but busybox wget', async () => {
    const pod = pods[1]!;
    const before = await run(pod, ['curl', 'alpine-service:8080']);
    expect(before.stderr).toBe('sh: curl: not found\n');
    const wget = await run(pod, ['wget', '-qO-', 'alpine-service:8080']);
    expect(wget).toEqual({ stdout: IT_WORKS, stderr: '', status: success });
  });

  it('runs sh -c lists, cat /etc/resolv.conf, hostname and echo', async () => {
    const pod = pods[0]!;
    const r = await run(pod, ['sh', '-c', "hostname && echo 'a b' ; false || cat /etc/resolv.conf"]);
    expect(r.stdout).toBe(`${pod}\na b\nsearch default.svc.cluster.local svc.cluster.local cluster.local ec2.internal\nnameserver 10.100.0.10\noptions ndots:5\n`);
    expect(r.status).toMatchObject(success);
  });

  it('answers an unknown command with 127 and the NonZeroExitCode Status', async () => {
    const r = await run(pods[0]!, ['foo', 'bar']);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('sh: foo: not found\n');
    expect(r.status).toEqual({
      metadata: {},
      status: 'Failure',
      message: 'command terminated with non-zero exit code: error executing command [foo bar], exit code 127',
      reason: 'NonZeroExitCode',
      details: { causes: [{ reason: 'ExitCode', message: '127' }] },
    });
  });

  it('reads commands from stdin for sh without -c, until stdin closes (v5 close channel)', async () => {
    const r = await run(pods[0]!, ['sh'], 'hostname\nexit 3\n');
    expect(r.stdout).toBe(`${pods[0]!}\n`);
    expect(r.status.details?.causes).toEqual([{ reason: 'ExitCode', message: '3' }]);
  });
});

describe('exec over v4.channel.k8s.io', () => {
  it('sends output and the Status on their channels, then closes', async () => {
    const url = `${api.url.replace('http', 'ws')}/api/v1/namespaces/default/pods/${pods[0]!}/exec?command=echo&command=hi&stdout=true&stderr=true`;
    const ws = new WebSocket(url, ['v4.channel.k8s.io']);
    const messages: string[] = [];
    ws.on('message', (data: Buffer) => messages.push(`${data[0]}:${data.subarray(1).toString()}`));
    await new Promise<void>((resolve, reject) => {
      ws.on('close', () => resolve());
      ws.on('error', reject);
    });
    expect(ws.protocol).toBe('v4.channel.k8s.io');
    expect(messages).toEqual(['1:hi\n', '3:{"metadata":{},"status":"Success"}']);
  });
});

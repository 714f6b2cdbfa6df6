import * as k8s from '@kubernetes/client-node';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { parseSandboxArgs, runSandboxCommand } from '../../sandbox/main.js';

function capture() {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (chunk: Buffer) => (text += chunk.toString()));
  return { stream, text: () => text };
}

describe('svcbot sandbox', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'svcbot-sandbox-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  test('prints exactly one JSON line once ready, with a working kubeconfig, and stops on abort', async () => {
    const out = capture();
    const err = capture();
    const abort = new AbortController();
    const kubeconfig = join(dir, 'kc.yaml');
    const running = runSandboxCommand(['--kubeconfig', kubeconfig, '--cluster-name', 'demo', '--region', 'eu-central-1'], {
      stdout: out.stream,
      stderr: err.stream,
    }, { signal: abort.signal });

    const line = await new Promise<string>((resolve) => {
      out.stream.on('data', () => {
        if (out.text().includes('\n')) resolve(out.text());
      });
    });
    const info = JSON.parse(line) as Record<string, unknown> & { env: Record<string, string> };
    expect(line.trim().split('\n')).toHaveLength(1);
    expect(info).toMatchObject({
      kubeconfig,
      clusterName: 'demo',
      region: 'eu-central-1',
      kubeApi: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/),
      elbEndpoint: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/),
      ec2Endpoint: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/),
      dnsServer: expect.stringMatching(/^127\.0\.0\.1:\d+$/),
    });
    expect(info.env).toMatchObject({
      KUBECONFIG: kubeconfig,
      CLUSTER_NAME: 'demo',
      AWS_REGION: 'eu-central-1',
      AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING: info.elbEndpoint,
      AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2: info.elbEndpoint,
      AWS_ENDPOINT_URL_EC2: info.ec2Endpoint,
      DNS_SERVERS: info.dnsServer,
    });

    // For an aws CLI that predates AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING: the --endpoint-url form, with this sandbox's address.
    expect(err.text()).toContain(`aws elb describe-load-balancers --endpoint-url ${String(info.elbEndpoint)} --region eu-central-1`);
    expect(err.text()).toContain(`aws ec2 describe-instances --endpoint-url ${String(info.ec2Endpoint)} --region eu-central-1`);
    expect(info.ec2Endpoint).not.toBe(info.elbEndpoint);

    const kc = new k8s.KubeConfig();
    kc.loadFromString(await readFile(kubeconfig, 'utf8'));
    const pods = await kc.makeApiClient(k8s.CoreV1Api).listNamespacedPod({ namespace: 'default', labelSelector: 'app=alpine' });
    expect(pods.items).toHaveLength(2);

    abort.abort();
    await expect(running).resolves.toBe(0);
    expect(err.text()).toContain('export KUBECONFIG=');
  });

  test.each([
    [['--nodes', 'zero'], '--nodes: must be an integer from 1 to 250 (got "zero")'],
    [['--kube-port', '70000'], '--kube-port: must be an integer from 0 to 65535'],
    [['--region', 'mars'], '--region: an AWS region such as us-east-1'],
    [['--bogus'], "Unknown option '--bogus'"],
  ])('rejects %j with exit code 2 and the problem', async (argv, message) => {
    const out = capture();
    const err = capture();
    await expect(runSandboxCommand(argv, { stdout: out.stream, stderr: err.stream })).resolves.toBe(2);
    expect(err.text()).toContain(message);
    expect(err.text()).toContain('Usage: svcbot sandbox');
    expect(out.text()).toBe('');
  });

  test('--deny takes VERB:RESOURCE[:NAMESPACE], repeatable', () => {
    expect(parseSandboxArgs(['--deny', 'create:services:default', '--deny=*:nodes'])).toMatchObject({
      faults: { deny: [{ verb: 'create', resource: 'services', namespace: 'default' }, { verb: '*', resource: 'nodes' }] },
    });
    expect(() => parseSandboxArgs(['--deny', 'services'])).toThrow(/--deny: expected VERB:RESOURCE\[:NAMESPACE\]/);
  });

  test('--rbac FILE --as USER reads the policy; one without the other is a usage error', async () => {
    const file = join(dir, 'rbac.yaml');
    await writeFile(file, 'kind: ClusterRole\nmetadata: { name: r }\nrules: []\n');
    expect(parseSandboxArgs(['--rbac', file, '--as', 'system:serviceaccount:svcbot:svcbot'])).toMatchObject({
      rbac: { yaml: expect.stringContaining('kind: ClusterRole'), as: 'system:serviceaccount:svcbot:svcbot' },
    });
    expect(() => parseSandboxArgs(['--rbac', file])).toThrow(/--rbac and --as go together/);
    expect(() => parseSandboxArgs(['--rbac', join(dir, 'missing.yaml'), '--as', 'u'])).toThrow(/--rbac: cannot read/);
  });

  test('--iam-policy FILE reads the policy', async () => {
    const file = join(dir, 'iam.json');
    await writeFile(file, '{"Statement":[]}');
    expect(parseSandboxArgs(['--iam-policy', file])).toMatchObject({ iamPolicy: '{"Statement":[]}' });
    expect(() => parseSandboxArgs(['--iam-policy', join(dir, 'missing.json')])).toThrow(/--iam-policy: cannot read/);
  });

  test('lists every problem at once', () => {
    expect(() => parseSandboxArgs(['--nodes', '0', '--dns-delay=-1x'])).toThrow(/--nodes.*\n--dns-delay/s);
  });

  test('parses every flag', () => {
    expect(
      parseSandboxArgs([
        '--kube-port=6443', '--elb-port', '4566', '--cluster-name', 'c1', '--region', 'us-west-2', '--nodes', '5',
        '--provision-delay', '100', '--dns-delay', '200', '--watch-drop-every', '3', '--kube-error-every', '7',
        '--kube-latency', '5', '--elb-throttle-rate', '10', '--elb-latency', '6', '--fail-provisioning', '--leak',
      ]),
    ).toEqual({
      kubePort: 6443, elbPort: 4566, clusterName: 'c1', region: 'us-west-2', nodes: 5, provisionDelayMs: 100, dnsDelayMs: 200,
      faults: {
        watchDropEverySeconds: 3, kubeErrorEveryN: 7, kubeLatencyMs: 5, elbThrottleRatePerSecond: 10, elbLatencyMs: 6,
        failProvisioning: expect.stringContaining('simulated AWS failure') as unknown, leakLoadBalancers: true, deny: [],
      },
    });
    expect(parseSandboxArgs(['--fail-provisioning=boom'])).toMatchObject({ faults: { failProvisioning: 'boom' } });
    expect(parseSandboxArgs(['--help'])).toBe('help');
  });
});

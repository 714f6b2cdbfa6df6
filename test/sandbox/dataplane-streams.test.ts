/**
 * The apiserver's proxy, port-forward and exec on the sandbox's own data plane (`startSandbox()`):
 * the tutorial's steps reach the seeded httpd pods behind `alpine-service` for real.
 */
import * as k8s from '@kubernetes/client-node';
import { PassThrough } from 'node:stream';
import { startSandbox, type Sandbox } from '../../sandbox/index.js';

let sandbox: Sandbox;
let kc: k8s.KubeConfig;
let pod: string;
beforeAll(async () => {
  sandbox = await startSandbox({ kubeconfigPath: null });
  kc = new k8s.KubeConfig();
  kc.loadFromString(sandbox.adminKubeconfigYaml);
  const core = kc.makeApiClient(k8s.CoreV1Api);
  await core.createNamespacedService({
    namespace: 'default',
    body: { metadata: { name: 'alpine-service' }, spec: { selector: { app: 'alpine' }, ports: [{ port: 8080, targetPort: 80 }] } },
  });
  await core.createNamespacedService({
    namespace: 'default',
    body: { metadata: { name: 'wrong-selector' }, spec: { selector: { app: 'alpin' }, ports: [{ port: 8080, targetPort: 80 }] } },
  });
  const pods = await core.listNamespacedPod({ namespace: 'default', labelSelector: 'app=alpine' });
  pod = pods.items[0]!.metadata!.name!;
});
afterAll(() => sandbox.close());

async function exec(command: string[]): Promise<{ stdout: string; status: k8s.V1Status }> {
  const stdout = new PassThrough();
  let out = '';
  stdout.on('data', (c: Buffer) => (out += c.toString()));
  const status = await new Promise<k8s.V1Status>((resolve, reject) => {
    new k8s.Exec(kc).exec('default', pod, 'httpd', command, stdout, new PassThrough(), null, false, resolve).catch(reject);
  });
  return { stdout: out, status };
}

describe('streaming subresources on the data plane', () => {
  it('proxies to the Service', async () => {
    const res = await fetch(`${sandbox.info.kubeApi}/api/v1/namespaces/default/services/alpine-service:8080/proxy/`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('<h1>It works!</h1>');
  });

  it('answers 503 for a Service whose selector matches no pod', async () => {
    const res = await fetch(`${sandbox.info.kubeApi}/api/v1/namespaces/default/services/wrong-selector:8080/proxy/`);
    expect(res.status).toBe(503);
    expect(((await res.json()) as { message: string }).message).toBe('no endpoints available for service "wrong-selector"');
  });

  it('runs apk add curl, then curl of the Service by name and by cluster IP, in a pod; a wrong selector refuses', async () => {
    expect((await exec(['apk', 'add', 'curl'])).status.status).toBe('Success');
    const r = await exec(['curl', '-s', 'alpine-service:8080']);
    expect(r.status.status).toBe('Success');
    expect(r.stdout).toContain('<h1>It works!</h1>');
    const svc = await kc.makeApiClient(k8s.CoreV1Api).readNamespacedService({ name: 'alpine-service', namespace: 'default' });
    expect((await exec(['curl', '-s', `http://${svc.spec!.clusterIP!}:8080/`])).stdout).toContain('<h1>It works!</h1>');
    const refused = await exec(['curl', '-s', 'wrong-selector:8080']);
    expect(refused.status.details?.causes).toEqual([{ reason: 'ExitCode', message: '7' }]);
  });

  it('port-forwards to the pod (client-node PortForward)', async () => {
    const out = new PassThrough();
    const input = new PassThrough();
    let text = '';
    out.on('data', (c: Buffer) => (text += c.toString()));
    const ws = (await new k8s.PortForward(kc).portForward('default', pod, [80], out, null, input)) as { on(ev: 'close', cb: () => void): void };
    const closed = new Promise<void>((resolve) => ws.on('close', () => resolve()));
    input.write('GET / HTTP/1.0\r\nHost: x\r\n\r\n');
    await closed;
    expect(text).toMatch(/^HTTP\/1\.[01] 200 /);
    expect(text).toContain('<h1>It works!</h1>');
  });
});

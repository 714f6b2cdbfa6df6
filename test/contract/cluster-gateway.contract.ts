/**
 * The ClusterGateway contract: what every implementation (the Kubernetes adapter against the sandbox,
 * the in-memory fake) must do. Call `clusterGatewayContract(name, setup)` from a test file; `setup` runs
 * once for the suite and must give a cluster seeded like the sandbox: namespaces `default` and
 * `kube-public`, at least one Ready node, and deployment `alpine` in `default` (matchLabels app=alpine)
 * with two running pods whose container port 80 is named `http`. Each test makes Services with names of
 * its own, so the tests share the cluster without interfering.
 */
import type { PortSpec, ServiceType } from '../../src/domain/command.js';
import { serviceManifest, type ServiceManifest } from '../../src/domain/manifest.js';
import type { ServiceView } from '../../src/domain/views.js';
import type { ClusterGateway } from '../../src/ports/cluster.js';
import { waitFor } from '../helpers/wait.js';
import { expectBotError } from './expect-bot-error.js';

export interface ClusterGatewayFixture {
  gateway: ClusterGateway;
  teardown(): Promise<void>;
}

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;
const LB_CLEANUP_FINALIZER = 'service.kubernetes.io/load-balancer-cleanup';

let counter = 0;
/** A Service name no other test of the run uses. */
function uniqueName(prefix: string): string {
  counter += 1;
  return `${prefix}-${counter}-${Math.random().toString(36).slice(2, 7)}`;
}

function manifest(
  name: string,
  opts: { namespace?: string; type?: ServiceType; ports?: PortSpec[]; selector?: Record<string, string> } = {},
): ServiceManifest {
  return serviceManifest({
    name,
    namespace: opts.namespace ?? 'default',
    selector: opts.selector ?? { app: 'alpine' },
    ports: opts.ports ?? [{ port: 8080, targetPort: 80, protocol: 'TCP' }],
    type: opts.type ?? 'ClusterIP',
  });
}

function nodePorts(view: ServiceView): (number | undefined)[] {
  return view.ports.map((p) => p.nodePort);
}

function expectNodePortsAllocated(view: ServiceView): void {
  const ports = nodePorts(view);
  for (const p of ports) {
    expect(p).toBeGreaterThanOrEqual(30000);
    expect(p).toBeLessThanOrEqual(32767);
  }
  expect(new Set(ports).size).toBe(ports.length);
}

export function clusterGatewayContract(name: string, setup: () => Promise<ClusterGatewayFixture>): void {
  describe(`ClusterGateway contract: ${name}`, () => {
    let fixture: ClusterGatewayFixture;
    let gw: ClusterGateway;

    beforeAll(async () => {
      fixture = await setup();
      gw = fixture.gateway;
    });
    afterAll(async () => {
      await fixture?.teardown();
    });

    describe('createService', () => {
      test('a ClusterIP Service: targetPort defaults to the port, a cluster IP is allocated, no node ports', async () => {
        const svcName = uniqueName('plain');
        const started = Date.now();
        const m = manifest(svcName, { ports: [{ port: 8080, protocol: 'TCP' }] });
        const view = await gw.createService(m);
        expect(view).toEqual({
          cluster: gw.name,
          namespace: 'default',
          name: svcName,
          uid: expect.stringMatching(/^[0-9a-f-]{36}$/) as unknown,
          resourceVersion: expect.stringMatching(/^\S+$/) as unknown,
          type: 'ClusterIP',
          clusterIP: expect.stringMatching(IPV4) as unknown,
          ports: [{ port: 8080, targetPort: 8080, protocol: 'TCP' }],
          selector: { app: 'alpine' },
          loadBalancerHostnames: [],
          createdAt: expect.any(Date) as unknown,
          deleting: false,
          finalizers: [],
        });
        // creationTimestamp has a resolution of one second.
        expect(view.createdAt.getTime()).toBeGreaterThanOrEqual(Math.floor(started / 1000) * 1000 - 1000);
        expect(view.createdAt.getTime()).toBeLessThanOrEqual(Date.now() + 1000);
        expect(await gw.getService('default', svcName)).toEqual(view);
      });

      test('the manifest is not modified', async () => {
        const m = manifest(uniqueName('frozen'), { type: 'NodePort' });
        const copy = structuredClone(m);
        await gw.createService(m);
        expect(m).toEqual(copy);
      });

      test('named ports, UDP and a named targetPort come back as sent', async () => {
        const svcName = uniqueName('named');
        const view = await gw.createService(
          manifest(svcName, {
            ports: [
              { name: 'web', port: 80, targetPort: 'http', protocol: 'TCP' },
              { name: 'dns', port: 53, targetPort: 5353, protocol: 'UDP' },
            ],
          }),
        );
        expect(view.ports).toEqual([
          { name: 'web', port: 80, targetPort: 'http', protocol: 'TCP' },
          { name: 'dns', port: 53, targetPort: 5353, protocol: 'UDP' },
        ]);
      });

      test('a NodePort Service gets a distinct node port in 30000–32767 for every port', async () => {
        const view = await gw.createService(
          manifest(uniqueName('np'), {
            type: 'NodePort',
            ports: [
              { name: 'a', port: 80, targetPort: 80, protocol: 'TCP' },
              { name: 'b', port: 81, targetPort: 80, protocol: 'TCP' },
            ],
          }),
        );
        expect(view.type).toBe('NodePort');
        expect(view.clusterIP).toMatch(IPV4);
        expectNodePortsAllocated(view);
      });

      test('a LoadBalancer Service gets node ports too', async () => {
        const view = await gw.createService(manifest(uniqueName('lb'), { type: 'LoadBalancer' }));
        expect(view.type).toBe('LoadBalancer');
        expectNodePortsAllocated(view);
      });

      test('a dry run answers what would be created and creates nothing', async () => {
        const svcName = uniqueName('dry');
        const view = await gw.createService(manifest(svcName, { type: 'NodePort' }), { dryRun: true });
        expect(view).toMatchObject({ cluster: gw.name, namespace: 'default', name: svcName, type: 'NodePort', selector: { app: 'alpine' } });
        await expectBotError(gw.getService('default', svcName), 'not_found');
        expect((await gw.listServices('default')).map((s) => s.name)).not.toContain(svcName);
        // Nothing was reserved either: the real create succeeds.
        await expect(gw.createService(manifest(svcName, { type: 'NodePort' }))).resolves.toMatchObject({ name: svcName });
      });

      test('a dry run still reports what only the cluster knows: a taken name, a missing namespace', async () => {
        const svcName = uniqueName('drytaken');
        await gw.createService(manifest(svcName));
        await expectBotError(gw.createService(manifest(svcName), { dryRun: true }), 'already_exists', svcName);
        await expectBotError(gw.createService(manifest(svcName, { namespace: 'no-such-ns' }), { dryRun: true }), 'not_found', '`no-such-ns`');
      });

      test('409: a name that is taken is already_exists, naming the Service and suggesting `type`', async () => {
        const svcName = uniqueName('taken');
        await gw.createService(manifest(svcName));
        const err = await expectBotError(gw.createService(manifest(svcName, { type: 'NodePort' })), 'already_exists', `\`${svcName}\``, '`default`', gw.name, '`type`');
        expect(err.name).toBe('BotError');
        // The existing Service is untouched.
        expect((await gw.getService('default', svcName)).type).toBe('ClusterIP');
      });

      test('422: what the API rejects is invalid, with every cause (field: message)', async () => {
        const svcName = uniqueName('dup');
        // The parser never produces this: two ports with the same number and protocol.
        const m = manifest(svcName, {
          ports: [
            { name: 'a', port: 80, targetPort: 80, protocol: 'TCP' },
            { name: 'b', port: 80, targetPort: 8080, protocol: 'TCP' },
          ],
        });
        const err = await expectBotError(gw.createService(m), 'invalid', `\`${svcName}\``, /^• spec\.ports\[1\]: Duplicate value/m);
        expect(err.userMessage.split('\n').length).toBeGreaterThan(1);
        await expectBotError(gw.getService('default', svcName), 'not_found');
      });

      test('422 with several causes lists each one', async () => {
        const m = manifest(uniqueName('two'), {
          ports: [
            { port: 80, targetPort: 80, protocol: 'TCP' },
            { port: 81, targetPort: 80, protocol: 'TCP' },
          ],
        });
        const err = await expectBotError(gw.createService(m), 'invalid', /^• spec\.ports\[0\]\.name: Required value/m, /^• spec\.ports\[1\]\.name: Required value/m);
        expect(err.userMessage).toMatch(/^Kubernetes rejected/);
      });

      test('a missing namespace is not_found, naming the namespace and the cluster', async () => {
        await expectBotError(gw.createService(manifest(uniqueName('nons'), { namespace: 'no-such-ns' })), 'not_found', '`no-such-ns`', `\`${gw.name}\``);
      });
    });

    describe('getService and listServices', () => {
      test('404: a missing Service is not_found, naming the Service, the namespace and the cluster', async () => {
        const err = await expectBotError(gw.getService('default', 'no-such-service'), 'not_found', '`no-such-service`', '`default`', `\`${gw.name}\``);
        expect(err.userMessage).toContain('Service');
      });

      test('a Service in a namespace that does not exist is not_found, naming the namespace', async () => {
        await expectBotError(gw.getService('no-such-ns', 'web'), 'not_found', 'no-such-ns', gw.name);
      });

      test('lists one namespace, or every namespace', async () => {
        const a = uniqueName('list-a');
        const b = uniqueName('list-b');
        const c = uniqueName('list-c');
        await gw.createService(manifest(a));
        await gw.createService(manifest(b, { type: 'NodePort' }));
        await gw.createService(manifest(c, { namespace: 'kube-public' }));

        const inDefault = await gw.listServices('default');
        expect(inDefault.map((s) => s.name)).toEqual(expect.arrayContaining([a, b]));
        expect(inDefault.map((s) => s.name)).not.toContain(c);
        expect(inDefault.every((s) => s.namespace === 'default' && s.cluster === gw.name)).toBe(true);
        expect(inDefault.find((s) => s.name === b)).toEqual(await gw.getService('default', b));

        const all = await gw.listServices(null);
        expect(all.map((s) => `${s.namespace}/${s.name}`)).toEqual(expect.arrayContaining([`default/${a}`, `default/${b}`, `kube-public/${c}`]));
      });

      test('a namespace without Services (or without existence) lists nothing', async () => {
        expect(await gw.listServices('kube-node-lease')).toEqual([]);
        expect(await gw.listServices('no-such-ns')).toEqual([]);
      });
    });

    describe('setServiceType', () => {
      test('ClusterIP -> NodePort -> LoadBalancer -> ClusterIP, in place; node ports come and go', async () => {
        const svcName = uniqueName('cycle');
        const created = await gw.createService(manifest(svcName));

        const nodePort = await gw.setServiceType('default', svcName, 'NodePort');
        expect(nodePort).toMatchObject({ type: 'NodePort', uid: created.uid, clusterIP: created.clusterIP });
        expectNodePortsAllocated(nodePort);

        const lb = await gw.setServiceType('default', svcName, 'LoadBalancer');
        expect(lb).toMatchObject({ type: 'LoadBalancer', uid: created.uid, clusterIP: created.clusterIP });
        expect(nodePorts(lb)).toEqual(nodePorts(nodePort));

        const back = await gw.setServiceType('default', svcName, 'ClusterIP');
        expect(back).toMatchObject({ type: 'ClusterIP', uid: created.uid, clusterIP: created.clusterIP, loadBalancerHostnames: [] });
        expect(back.ports).toEqual([{ port: 8080, targetPort: 80, protocol: 'TCP' }]);
        expect(await gw.getService('default', svcName)).toMatchObject({ type: 'ClusterIP', ports: back.ports });
      });

      test('the same type again changes nothing', async () => {
        const svcName = uniqueName('same');
        const created = await gw.createService(manifest(svcName, { type: 'NodePort' }));
        const again = await gw.setServiceType('default', svcName, 'NodePort');
        expect(again).toMatchObject({ type: 'NodePort', uid: created.uid, ports: created.ports });
      });

      test('a missing Service is not_found', async () => {
        await expectBotError(gw.setServiceType('default', 'no-such-service', 'NodePort'), 'not_found', '`no-such-service`', gw.name);
      });

      test('with the current resourceVersion: changed', async () => {
        const svcName = uniqueName('rvok');
        const created = await gw.createService(manifest(svcName));
        const changed = await gw.setServiceType('default', svcName, 'NodePort', { resourceVersion: created.resourceVersion });
        expect(changed).toMatchObject({ type: 'NodePort', uid: created.uid });
        expect(changed.resourceVersion).not.toBe(created.resourceVersion);
        expect(await gw.getService('default', svcName)).toMatchObject({ type: 'NodePort', resourceVersion: changed.resourceVersion });
      });

      test('with a stale resourceVersion (changed in between): conflict, permanent, nothing changed', async () => {
        const svcName = uniqueName('rvstale');
        const created = await gw.createService(manifest(svcName));
        const between = await gw.setServiceType('default', svcName, 'NodePort');
        const err = await expectBotError(gw.setServiceType('default', svcName, 'LoadBalancer', { resourceVersion: created.resourceVersion }), 'conflict', `\`${svcName}\``);
        expect(err.transient).toBe(false);
        expect(await gw.getService('default', svcName)).toEqual(between);
      });

      test('with a resourceVersion, the type already: unchanged in that version, conflict in another', async () => {
        const svcName = uniqueName('rvsame');
        const created = await gw.createService(manifest(svcName, { type: 'NodePort' }));
        expect(await gw.setServiceType('default', svcName, 'NodePort', { resourceVersion: created.resourceVersion })).toEqual(created);
        // Changed away and back in between: the type is the same, the Service is not the one of that version.
        await gw.setServiceType('default', svcName, 'ClusterIP');
        const now = await gw.setServiceType('default', svcName, 'NodePort');
        await expectBotError(gw.setServiceType('default', svcName, 'NodePort', { resourceVersion: created.resourceVersion }), 'conflict');
        expect(await gw.getService('default', svcName)).toEqual(now);
      });
    });

    describe('deleteService', () => {
      test('a ClusterIP Service is gone at once: resolves undefined, then not_found', async () => {
        const svcName = uniqueName('del');
        await gw.createService(manifest(svcName));
        expect(await gw.deleteService('default', svcName)).toBeUndefined();
        await expectBotError(gw.getService('default', svcName), 'not_found', svcName);
        expect((await gw.listServices('default')).map((s) => s.name)).not.toContain(svcName);
      });

      test('a LoadBalancer Service may be held by its finalizer while the load balancer goes, then is gone', async () => {
        const svcName = uniqueName('dellb');
        await gw.createService(manifest(svcName, { type: 'LoadBalancer' }));
        await waitFor(async () => (await gw.getService('default', svcName)).finalizers.includes(LB_CLEANUP_FINALIZER), { what: 'the cleanup finalizer' });
        const after = await gw.deleteService('default', svcName);
        if (after !== undefined) {
          expect(after).toMatchObject({ name: svcName, deleting: true });
          expect(after.finalizers).toContain(LB_CLEANUP_FINALIZER);
        }
        await waitFor(
          () =>
            gw.getService('default', svcName).then(
              () => false,
              (err: unknown) => (err as { code?: string }).code === 'not_found',
            ),
          { what: 'the Service to be gone' },
        );
      });

      test('a missing Service is not_found', async () => {
        await expectBotError(gw.deleteService('default', 'no-such-service'), 'not_found', '`no-such-service`', '`default`', gw.name);
      });

      test('every change of a Service gives it a new resourceVersion; reading it does not', async () => {
        const svcName = uniqueName('rv');
        const created = await gw.createService(manifest(svcName));
        expect((await gw.getService('default', svcName)).resourceVersion).toBe(created.resourceVersion);
        const changed = await gw.setServiceType('default', svcName, 'NodePort');
        expect(changed.resourceVersion).not.toBe(created.resourceVersion);
        await gw.deleteService('default', svcName);
      });

      test('with a UID: that Service is deleted; one of the same name with another UID is left alone (conflict)', async () => {
        const svcName = uniqueName('deluid');
        const first = await gw.createService(manifest(svcName));
        expect(await gw.deleteService('default', svcName, { uid: first.uid })).toBeUndefined();
        const second = await gw.createService(manifest(svcName));
        expect(second.uid).not.toBe(first.uid);
        await expectBotError(gw.deleteService('default', svcName, { uid: first.uid }), 'conflict');
        expect((await gw.getService('default', svcName)).uid).toBe(second.uid);
        await gw.deleteService('default', svcName);
      });

      test('with the current resourceVersion (and UID): deleted', async () => {
        const svcName = uniqueName('delrv');
        const created = await gw.createService(manifest(svcName));
        expect(await gw.deleteService('default', svcName, { uid: created.uid, resourceVersion: created.resourceVersion })).toBeUndefined();
        await expectBotError(gw.getService('default', svcName), 'not_found');
      });

      test('with a stale resourceVersion (changed in between): conflict, permanent, the Service stays as it was', async () => {
        const svcName = uniqueName('delstale');
        const created = await gw.createService(manifest(svcName));
        const between = await gw.setServiceType('default', svcName, 'NodePort');
        const err = await expectBotError(gw.deleteService('default', svcName, { uid: created.uid, resourceVersion: created.resourceVersion }), 'conflict');
        expect(err.transient).toBe(false);
        await expectBotError(gw.deleteService('default', svcName, { resourceVersion: created.resourceVersion }), 'conflict');
        expect(await gw.getService('default', svcName)).toEqual(between);
        await gw.deleteService('default', svcName);
      });
    });

    test('listNodes: every node with its name, addresses and readiness', async () => {
      const nodes = await gw.listNodes();
      expect(nodes.length).toBeGreaterThan(0);
      for (const node of nodes) {
        expect(node.name).not.toBe('');
        expect(node.internalIP).toMatch(IPV4);
        if (node.externalIP !== undefined) expect(node.externalIP).toMatch(IPV4);
        expect(node.ready).toBe(true);
      }
      expect(new Set(nodes.map((n) => n.name)).size).toBe(nodes.length);
    });

    describe('getDeploymentSelector', () => {
      test("the deployment's matchLabels", async () => {
        expect(await gw.getDeploymentSelector('default', 'alpine')).toEqual({ app: 'alpine' });
      });

      test('a missing deployment is not_found, naming the Deployment, the namespace and the cluster', async () => {
        await expectBotError(gw.getDeploymentSelector('default', 'no-such-deploy'), 'not_found', 'Deployment', '`no-such-deploy`', '`default`', `\`${gw.name}\``);
      });

      test('a deployment in a namespace that does not exist is not_found', async () => {
        await expectBotError(gw.getDeploymentSelector('no-such-ns', 'alpine'), 'not_found', 'no-such-ns');
      });
    });

    describe('listServiceEndpoints', () => {
      test("the two alpine pods behind a Service selecting app=alpine, ports resolved (numbers and names)", async () => {
        const svcName = uniqueName('ep');
        await gw.createService(
          manifest(svcName, {
            ports: [
              { name: 'web', port: 8080, targetPort: 80, protocol: 'TCP' },
              { name: 'named', port: 9090, targetPort: 'http', protocol: 'TCP' },
            ],
          }),
        );
        const endpoints = await waitFor(async () => {
          const eps = await gw.listServiceEndpoints('default', svcName);
          return eps.length === 4 && eps;
        }, { what: 'four endpoints' });
        const ips = [...new Set(endpoints.map((e) => e.ip))];
        expect(ips).toHaveLength(2);
        for (const ip of ips) {
          const forPod = endpoints.filter((e) => e.ip === ip);
          expect(forPod.map((e) => [e.portName, e.port, e.protocol]).sort()).toEqual([
            ['named', 80, 'TCP'],
            ['web', 80, 'TCP'],
          ]);
        }
        for (const ep of endpoints) {
          expect(ep.ip).toMatch(IPV4);
          expect(ep.ready).toBe(true);
          expect(ep.podName).toMatch(/^alpine-/);
          expect(ep.nodeName).toEqual(expect.any(String));
        }
        const nodeNames = new Set((await gw.listNodes()).map((n) => n.name));
        for (const ep of endpoints) expect(nodeNames.has(ep.nodeName ?? '')).toBe(true);
      });

      test('an unnamed single port has no port name', async () => {
        const svcName = uniqueName('ep1');
        await gw.createService(manifest(svcName, { ports: [{ port: 8080, targetPort: 80, protocol: 'TCP' }] }));
        const endpoints = await waitFor(async () => {
          const eps = await gw.listServiceEndpoints('default', svcName);
          return eps.length === 2 && eps;
        }, { what: 'two endpoints' });
        expect(endpoints.map((e) => ({ port: e.port, protocol: e.protocol, portName: e.portName }))).toEqual([
          { port: 80, protocol: 'TCP', portName: undefined },
          { port: 80, protocol: 'TCP', portName: undefined },
        ]);
      });

      test('no endpoints for a Service that selects no pod, or for a Service that does not exist', async () => {
        const svcName = uniqueName('ep0');
        await gw.createService(manifest(svcName, { selector: { app: 'nothing-has-this' } }));
        expect(await gw.listServiceEndpoints('default', svcName)).toEqual([]);
        expect(await gw.listServiceEndpoints('default', 'no-such-service')).toEqual([]);
      });
    });

    describe('listServiceEvents', () => {
      test('a new ClusterIP Service has no events', async () => {
        const svcName = uniqueName('ev0');
        await gw.createService(manifest(svcName));
        expect(await gw.listServiceEvents('default', svcName)).toEqual([]);
      });

      test("a LoadBalancer Service's events from the cloud controller, newest last", async () => {
        const svcName = uniqueName('ev');
        await gw.createService(manifest(svcName, { type: 'LoadBalancer' }));
        const events = await waitFor(async () => {
          const evs = await gw.listServiceEvents('default', svcName);
          return evs.some((e) => e.reason === 'EnsuredLoadBalancer') && evs;
        }, { what: 'an EnsuredLoadBalancer event' });
        const reasons = events.map((e) => e.reason);
        expect(reasons.indexOf('EnsuringLoadBalancer')).toBeGreaterThanOrEqual(0);
        expect(reasons.indexOf('EnsuringLoadBalancer')).toBeLessThan(reasons.indexOf('EnsuredLoadBalancer'));
        for (const e of events) {
          expect(e).toEqual({
            type: 'Normal',
            reason: expect.any(String) as unknown,
            message: expect.any(String) as unknown,
            count: expect.any(Number) as unknown,
            lastSeen: expect.any(Date) as unknown,
          });
          expect(e.count).toBeGreaterThanOrEqual(1);
        }
        const times = events.map((e) => e.lastSeen.getTime());
        expect(times).toEqual([...times].sort((x, y) => x - y));
        // The hostname is published with the last event.
        expect((await gw.getService('default', svcName)).loadBalancerHostnames).toHaveLength(1);
      });

      test('events of another Service are not included', async () => {
        const svcName = uniqueName('ev2');
        expect(await gw.listServiceEvents('default', svcName)).toEqual([]);
      });

      test('events of an earlier Service of the same name are not included (as `kubectl describe` shows them)', async () => {
        const svcName = uniqueName('ev3');
        await gw.createService(manifest(svcName, { type: 'LoadBalancer' }));
        await waitFor(async () => (await gw.listServiceEvents('default', svcName)).some((e) => e.reason === 'EnsuredLoadBalancer'), {
          what: 'an EnsuredLoadBalancer event',
        });
        await gw.deleteService('default', svcName);
        await waitFor(
          () =>
            gw.getService('default', svcName).then(
              () => false,
              (err: unknown) => (err as { code?: string }).code === 'not_found',
            ),
          { what: 'the Service to be gone' },
        );
        await gw.createService(manifest(svcName));
        expect(await gw.listServiceEvents('default', svcName)).toEqual([]);
      });
    });
  });
}

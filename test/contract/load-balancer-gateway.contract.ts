/**
 * The LoadBalancerGateway contract: the ELB adapter against the sandbox and the in-memory fake both pass
 * it. The fixture brings the cluster side: `provision` makes a LoadBalancer Service and waits until its
 * load balancer's hostname is published, as the cloud controller does.
 */
import type { ServiceView } from '../../src/domain/views.js';
import type { LoadBalancerGateway } from '../../src/ports/load-balancers.js';
import { expectBotError } from './expect-bot-error.js';

export interface LoadBalancerGatewayFixture {
  gateway: LoadBalancerGateway;
  /** Creates a LoadBalancer Service (one TCP port 8080 -> 80) in `default`; resolves once it has a hostname. */
  provision(name: string): Promise<{ service: ServiceView; hostname: string }>;
  /** Sets the `kubernetes.io/service-name` tag of the load balancer serving `hostname`. */
  retag(hostname: string, owner: string): Promise<void>;
  /** Makes the ELB API throttle svcbot until the returned function is called. */
  throttle(): Promise<() => void>;
  teardown(): Promise<void>;
}

let counter = 0;
function uniqueName(prefix: string): string {
  counter += 1;
  return `${prefix}-${counter}-${Math.random().toString(36).slice(2, 7)}`;
}

export function loadBalancerGatewayContract(name: string, setup: () => Promise<LoadBalancerGatewayFixture>): void {
  describe(`LoadBalancerGateway contract: ${name}`, () => {
    let fixture: LoadBalancerGatewayFixture;

    beforeAll(async () => {
      fixture = await setup();
    });
    afterAll(async () => {
      await fixture?.teardown();
    });

    test("finds the classic ELB serving a LoadBalancer Service: listeners to its node port, health check, instances", async () => {
      const svcName = uniqueName('web');
      const { service, hostname } = await fixture.provision(svcName);
      const nodePort = service.ports[0]?.nodePort;
      expect(nodePort).toEqual(expect.any(Number));

      const lb = await fixture.gateway.findForService({ namespace: 'default', name: svcName, hostname });
      expect(lb).toBeDefined();
      expect(lb!.dnsName).toBe(hostname);
      expect(hostname.startsWith(`${lb!.name}-`)).toBe(true);
      expect(lb!.scheme).toBe('internet-facing');
      expect(lb!.listeners).toEqual([{ protocol: 'TCP', loadBalancerPort: 8080, instanceProtocol: 'TCP', instancePort: nodePort }]);
      expect(lb!.healthCheck).toMatchObject({ target: `TCP:${nodePort}` });
      expect(lb!.healthCheck!.interval).toBeGreaterThan(lb!.healthCheck!.timeout);
      expect(lb!.instances.length).toBeGreaterThan(0);
      for (const i of lb!.instances) {
        expect(i.instanceId).toMatch(/^i-[0-9a-f]+$/);
        expect(['InService', 'OutOfService', 'Unknown']).toContain(i.state);
      }
      expect(lb!.createdAt).toEqual(expect.any(Date));

      // Hostnames are case-insensitive and may carry the root dot.
      const again = await fixture.gateway.findForService({ namespace: 'default', name: svcName, hostname: `${hostname.toUpperCase()}.` });
      expect(again?.name).toBe(lb!.name);
    });

    test.each([
      ['a hostname that is not an ELB', 'example.com'],
      ['an IP address', '203.0.113.7'],
      ['an ELB hostname of a load balancer that does not exist', 'anonexistent0000000000000000000-1234567890.us-east-1.elb.amazonaws.com'],
    ])('undefined for %s', async (_what, hostname) => {
      expect(await fixture.gateway.findForService({ namespace: 'default', name: 'web', hostname })).toBeUndefined();
    });

    test('undefined when the ELB is tagged for another Service', async () => {
      const svcName = uniqueName('owned');
      const { hostname } = await fixture.provision(svcName);
      expect(await fixture.gateway.findForService({ namespace: 'default', name: 'someone-else', hostname })).toBeUndefined();
      expect(await fixture.gateway.findForService({ namespace: 'kube-public', name: svcName, hostname })).toBeUndefined();

      await fixture.retag(hostname, 'default/someone-else');
      expect(await fixture.gateway.findForService({ namespace: 'default', name: svcName, hostname })).toBeUndefined();
      expect(await fixture.gateway.findForService({ namespace: 'default', name: 'someone-else', hostname })).toBeDefined();
    });

    test('throttling is aws_error, saying so', async () => {
      const svcName = uniqueName('busy');
      const { hostname } = await fixture.provision(svcName);
      const stop = await fixture.throttle();
      try {
        await expectBotError(fixture.gateway.findForService({ namespace: 'default', name: svcName, hostname }), 'aws_error', /throttl/i);
      } finally {
        stop();
      }
      expect(await fixture.gateway.findForService({ namespace: 'default', name: svcName, hostname })).toBeDefined();
    });
  });
}

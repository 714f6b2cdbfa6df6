/** The product's resolver, pointed by DNS_SERVERS at the sandbox's DNS server. */
import { createHostnameResolver } from '../../src/adapters/dns.js';
import { loadConfig } from '../../src/config/index.js';
import { startSandbox, type Sandbox } from '../../sandbox/index.js';
import { waitFor } from '../helpers/wait.js';

let sandbox: Sandbox;

beforeAll(async () => {
  sandbox = await startSandbox({ kubeconfigPath: null, dnsDelayMs: 300 });
});
afterAll(() => sandbox.close());

test('a load balancer name resolves through DNS_SERVERS only once its DNS delay has passed', async () => {
  const config = loadConfig({ DNS_SERVERS: sandbox.info.dnsServer });
  const resolver = createHostnameResolver(config.dnsServers);
  const lb = sandbox.elb.create({ name: 'resolver-test', listeners: [{ protocol: 'TCP', loadBalancerPort: 80, instanceProtocol: 'TCP', instancePort: 30080 }], availabilityZones: ['us-east-1a'] });
  if (Date.now() < lb.dnsVisibleAt - 100) expect(await resolver.resolve4(lb.dnsName)).toEqual([]);
  const addresses = await waitFor(async () => {
    const a = await resolver.resolve4(lb.dnsName);
    return a.length > 0 && a;
  }, { what: 'the name to resolve' });
  expect(addresses.sort()).toEqual([...lb.addresses].sort());
  expect(Date.now()).toBeGreaterThanOrEqual(lb.dnsVisibleAt);
});

test('an unknown name is "not yet" (empty), not an error', async () => {
  const resolver = createHostnameResolver(loadConfig({ DNS_SERVERS: sandbox.info.dnsServer }).dnsServers);
  expect(await resolver.resolve4('nope-123.us-east-1.elb.amazonaws.com')).toEqual([]);
});

test('an unreachable DNS server is an error, not "not yet"', async () => {
  const resolver = createHostnameResolver([{ host: '127.0.0.1', port: 9 }], { timeoutMs: 200, tries: 1 });
  await expect(resolver.resolve4('anything.example')).rejects.toHaveProperty('code');
});

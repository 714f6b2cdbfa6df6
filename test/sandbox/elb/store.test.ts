import {
  ElbError,
  ElbStore,
  type ElbChangeEvent,
  FAILED_HEALTH_CHECKS,
  type Listener,
  loopbackAddressesFor,
  REGISTRATION_IN_PROGRESS,
} from '../../../sandbox/elb/store.js';

const http80: Listener = { protocol: 'TCP', loadBalancerPort: 80, instanceProtocol: 'TCP', instancePort: 30080 };

function makeStore(start = Date.UTC(2024, 0, 1)): { store: ElbStore; clock: { t: number } } {
  const clock = { t: start };
  const store = new ElbStore({ region: 'us-east-1', dnsDelayMs: 5000, instanceWarmupMs: 10000, now: () => clock.t });
  return { store, clock };
}

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof ElbError) return err.code;
    throw err;
  }
  throw new Error('expected an ElbError');
}

describe('ElbStore.create', () => {
  it('gives a load balancer AWS-shaped names, defaults and two loopback addresses', () => {
    const { store, clock } = makeStore();
    const lb = store.create({ name: 'a1b2c3', listeners: [http80], availabilityZones: ['us-east-1a'], tags: { team: 'x' } });

    expect(lb.dnsName).toMatch(/^a1b2c3-\d{10}\.us-east-1\.elb\.amazonaws\.com$/);
    expect(lb.canonicalHostedZoneName).toBe(lb.dnsName);
    expect(lb.canonicalHostedZoneNameID).toBe('Z35SXDOTRQ7X7K');
    expect(lb.scheme).toBe('internet-facing');
    expect(lb.createdTime.getTime()).toBe(clock.t);
    expect(lb.dnsVisibleAt).toBe(clock.t + 5000);
    expect(lb.healthCheck).toEqual({ target: 'TCP:30080', interval: 30, timeout: 5, unhealthyThreshold: 2, healthyThreshold: 10 });
    expect(lb.tags).toEqual(new Map([['team', 'x']]));
    expect(lb.availabilityZones).toEqual(['us-east-1a']);
    expect(lb.subnets).toHaveLength(1);
    expect(lb.vpcId).toMatch(/^vpc-[0-9a-f]{17}$/);
    expect(lb.securityGroups).toEqual([store.defaultSecurityGroup]);
    expect(lb.addresses).toHaveLength(2);
    expect(new Set(lb.addresses).size).toBe(2);
    for (const address of lb.addresses) expect(address).toMatch(/^127\.(\d+)\.(\d+)\.(\d+)$/);
    expect(lb.addresses).toEqual(loopbackAddressesFor('a1b2c3'));
  });

  it('prefixes internal load balancers and uses the region hosted zone id', () => {
    const store = new ElbStore({ region: 'eu-west-1', dnsDelayMs: 0, instanceWarmupMs: 0 });
    const lb = store.create({ name: 'inner', listeners: [http80], subnets: ['subnet-0abc'], scheme: 'internal' });
    expect(lb.dnsName).toMatch(/^internal-inner-\d{10}\.eu-west-1\.elb\.amazonaws\.com$/);
    expect(lb.canonicalHostedZoneNameID).toBe('Z32O12XQLNTSW2');
    expect(lb.subnets).toEqual(['subnet-0abc']);
    expect(lb.availabilityZones[0]).toMatch(/^eu-west-1[abc]$/);
  });

  it('keeps loopback addresses off 127.0.0.x and away from .0/.255 for many names', () => {
    for (let i = 0; i < 200; i++) {
      for (const address of loopbackAddressesFor(`lb-${i}`)) {
        const [a, b, , d] = address.split('.').map(Number);
        expect(a).toBe(127);
        expect(b).toBeGreaterThanOrEqual(1);
        expect(d).toBeGreaterThanOrEqual(1);
        expect(d).toBeLessThanOrEqual(254);
      }
    }
  });

  it('is idempotent for the same name and listeners, and rejects a different configuration', () => {
    const { store } = makeStore();
    const events: ElbChangeEvent[] = [];
    store.onChange((ev) => events.push(ev));
    const first = store.create({ name: 'same', listeners: [http80], availabilityZones: ['us-east-1a'] });
    const again = store.create({ name: 'same', listeners: [{ ...http80, protocol: 'tcp' }], availabilityZones: ['us-east-1b'] });
    expect(again.dnsName).toBe(first.dnsName);
    expect(events.map((e) => e.type)).toEqual(['created']);
    expect(codeOf(() => store.create({ name: 'same', listeners: [{ ...http80, instancePort: 1 }], availabilityZones: ['us-east-1a'] }))).toBe(
      'DuplicateLoadBalancerName',
    );
  });

  const az = ['us-east-1a'];
  it.each<[string, Parameters<ElbStore['create']>[0], string]>([
    ['empty name', { name: '', listeners: [http80], availabilityZones: az }, 'ValidationError'],
    ['33-char name', { name: 'a'.repeat(33), listeners: [http80], availabilityZones: az }, 'ValidationError'],
    ['underscore', { name: 'a_b', listeners: [http80], availabilityZones: az }, 'ValidationError'],
    ['leading hyphen', { name: '-ab', listeners: [http80], availabilityZones: az }, 'ValidationError'],
    ['trailing hyphen', { name: 'ab-', listeners: [http80], availabilityZones: az }, 'ValidationError'],
    ['no listeners', { name: 'ok', listeners: [], availabilityZones: az }, 'ValidationError'],
    ['port 0', { name: 'ok', listeners: [{ ...http80, loadBalancerPort: 0 }], availabilityZones: az }, 'ValidationError'],
    ['port 65536', { name: 'ok', listeners: [{ ...http80, instancePort: 65536 }], availabilityZones: az }, 'ValidationError'],
    ['UDP', { name: 'ok', listeners: [{ ...http80, protocol: 'UDP' }], availabilityZones: az }, 'ValidationError'],
    ['HTTP to TCP', { name: 'ok', listeners: [{ ...http80, protocol: 'HTTP' }], availabilityZones: az }, 'ValidationError'],
    ['HTTPS without cert', { name: 'ok', listeners: [{ ...http80, protocol: 'HTTPS', instanceProtocol: 'HTTP' }], availabilityZones: az }, 'ValidationError'],
    [
      'conflicting listeners on one port',
      { name: 'ok', listeners: [http80, { ...http80, instancePort: 31000 }], availabilityZones: az },
      'DuplicateListener',
    ],
    ['no placement', { name: 'ok', listeners: [http80] }, 'ValidationError'],
    ['zone of another region', { name: 'ok', listeners: [http80], availabilityZones: ['eu-west-1a'] }, 'ValidationError'],
    ['bad subnet', { name: 'ok', listeners: [http80], subnets: ['net-1'] }, 'SubnetNotFound'],
    ['bad security group', { name: 'ok', listeners: [http80], availabilityZones: az, securityGroups: ['default'] }, 'InvalidSecurityGroup'],
    [
      'bad scheme',
      { name: 'ok', listeners: [http80], availabilityZones: az, scheme: 'public' as 'internal' },
      'ValidationError',
    ],
    ['aws: tag', { name: 'ok', listeners: [http80], availabilityZones: az, tags: { 'aws:x': '1' } }, 'ValidationError'],
    ['long tag key', { name: 'ok', listeners: [http80], availabilityZones: az, tags: { ['k'.repeat(129)]: '1' } }, 'ValidationError'],
    ['tag with bad characters', { name: 'ok', listeners: [http80], availabilityZones: az, tags: { 'a<b': '1' } }, 'ValidationError'],
    [
      '11 tags',
      { name: 'ok', listeners: [http80], availabilityZones: az, tags: Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`k${i}`, 'v'])) },
      'TooManyTags',
    ],
  ])('rejects %s', (_label, input, code) => {
    const { store } = makeStore();
    expect(codeOf(() => store.create(input))).toBe(code);
    expect(store.list()).toEqual([]);
  });

  it('accepts a 32-character name, identical repeated listeners and lower-case protocols', () => {
    const { store } = makeStore();
    const lb = store.create({
      name: 'A'.repeat(32),
      listeners: [http80, http80, { protocol: 'http', loadBalancerPort: 8080, instanceProtocol: '', instancePort: 8080 }],
      availabilityZones: az,
    });
    expect(lb.listeners).toEqual([http80, { protocol: 'HTTP', loadBalancerPort: 8080, instanceProtocol: 'HTTP', instancePort: 8080 }]);
  });
});

describe('ElbStore tags, health checks, instances, lookups', () => {
  it('adds, overwrites and removes tags, all-or-nothing past the 10-tag limit', () => {
    const { store } = makeStore();
    store.create({ name: 't', listeners: [http80], availabilityZones: ['us-east-1a'], tags: { a: '1' } });
    store.addTags(['t'], { a: '2', b: '3' });
    expect(store.get('t')?.tags).toEqual(new Map([['a', '2'], ['b', '3']]));
    const nine = Object.fromEntries(Array.from({ length: 9 }, (_, i) => [`k${i}`, 'v']));
    expect(codeOf(() => store.addTags(['t'], nine))).toBe('TooManyTags');
    expect(store.get('t')?.tags.size).toBe(2);
    store.removeTags(['t'], ['a', 'absent']);
    expect(store.get('t')?.tags).toEqual(new Map([['b', '3']]));
    expect(codeOf(() => store.addTags(['missing'], { a: '1' }))).toBe('LoadBalancerNotFound');
  });

  it('validates health checks as ConfigureHealthCheck does', () => {
    const { store } = makeStore();
    store.create({ name: 'h', listeners: [http80], availabilityZones: ['us-east-1a'] });
    const good = { target: 'http:8080/healthz', interval: 10, timeout: 5, unhealthyThreshold: 2, healthyThreshold: 3 };
    expect(store.configureHealthCheck('h', good)).toEqual({ ...good, target: 'HTTP:8080/healthz' });
    expect(store.get('h')?.healthCheck.target).toBe('HTTP:8080/healthz');
    for (const bad of [
      { ...good, target: 'HTTP:8080' },
      { ...good, target: 'TCP:80/x' },
      { ...good, target: 'ICMP:80' },
      { ...good, target: 'TCP:0' },
      { ...good, interval: 4 },
      { ...good, timeout: 10 },
      { ...good, unhealthyThreshold: 11 },
      { ...good, healthyThreshold: 1 },
    ]) {
      expect(codeOf(() => store.configureHealthCheck('h', bad))).toBe('ValidationError');
    }
    expect(codeOf(() => store.configureHealthCheck('nope', good))).toBe('LoadBalancerNotFound');
  });

  it('reports instances OutOfService until the warm-up has passed, then InService', () => {
    const { store, clock } = makeStore();
    store.create({ name: 'i', listeners: [http80], availabilityZones: ['us-east-1a'] });
    expect(store.registerInstances('i', ['i-1', 'i-2'])).toEqual(['i-1', 'i-2']);
    expect(store.instanceHealth('i')).toEqual([
      { instanceId: 'i-1', state: 'OutOfService', reasonCode: 'ELB', description: REGISTRATION_IN_PROGRESS },
      { instanceId: 'i-2', state: 'OutOfService', reasonCode: 'ELB', description: REGISTRATION_IN_PROGRESS },
    ]);
    clock.t += 9999;
    store.registerInstances('i', ['i-1', 'i-3']); // re-registering keeps i-1's original time
    clock.t += 1;
    expect(store.instanceHealth('i').map((s) => s.state)).toEqual(['InService', 'InService', 'OutOfService']);
    expect(store.instanceHealth('i', ['i-2'])).toEqual([{ instanceId: 'i-2', state: 'InService', reasonCode: 'N/A', description: 'N/A' }]);
    expect(codeOf(() => store.instanceHealth('i', ['i-9']))).toBe('InvalidInstance');
    expect(store.deregisterInstances('i', ['i-1', 'i-9'])).toEqual(['i-2', 'i-3']);
    expect(store.get('i')?.instances).toEqual(['i-2', 'i-3']);
    expect(codeOf(() => store.registerInstances('nope', ['i-1']))).toBe('LoadBalancerNotFound');
  });

  it('with a health probe, a warmed-up instance is InService only while the probe passes (or cannot tell), asked afresh each time', () => {
    const { store, clock } = makeStore();
    store.create({ name: 'p', listeners: [http80], availabilityZones: ['us-east-1a'] });
    store.registerInstances('p', ['i-1', 'i-2', 'i-3']);
    const verdicts = new Map<string, boolean | undefined>([['i-1', true], ['i-2', false], ['i-3', undefined]]);
    const asked: unknown[] = [];
    store.setHealthProbe((lb, instanceId) => {
      asked.push([lb.name, lb.healthCheck.target, instanceId]);
      return verdicts.get(instanceId);
    });
    // During the warm-up the probe is not asked: registration is still in progress.
    expect(store.instanceHealth('p').map((h) => h.reasonCode)).toEqual(['ELB', 'ELB', 'ELB']);
    expect(asked).toEqual([]);
    clock.t += 10000;
    const failed = { state: 'OutOfService', reasonCode: 'Instance', description: FAILED_HEALTH_CHECKS };
    const inService = { state: 'InService', reasonCode: 'N/A', description: 'N/A' };
    expect(store.instanceHealth('p')).toEqual([
      { instanceId: 'i-1', ...inService },
      { instanceId: 'i-2', ...failed },
      { instanceId: 'i-3', ...inService },
    ]);
    expect(asked).toContainEqual(['p', 'TCP:30080', 'i-2']);
    verdicts.set('i-1', false);
    verdicts.set('i-2', true);
    expect(store.instanceHealth('p').map((h) => h.state)).toEqual(['OutOfService', 'InService', 'InService']);
    expect(FAILED_HEALTH_CHECKS).toBe('Instance has failed at least the UnhealthyThreshold number of health checks consecutively.');
    store.setHealthProbe(undefined);
    expect(store.healthProbe).toBeUndefined();
    expect(store.instanceHealth('p').map((h) => h.state)).toEqual(['InService', 'InService', 'InService']);
  });

  it('finds load balancers by DNS name case-insensitively, with or without a trailing dot', () => {
    const { store } = makeStore();
    const lb = store.create({ name: 'Dns', listeners: [http80], availabilityZones: ['us-east-1a'] });
    expect(store.findByDnsName(lb.dnsName.toUpperCase() + '.')?.name).toBe('Dns');
    expect(store.findByDnsName('other.us-east-1.elb.amazonaws.com')).toBeUndefined();
    store.delete('Dns');
    expect(store.findByDnsName(lb.dnsName)).toBeUndefined();
  });

  it('deletes (absent is fine), lists sorted and tells listeners, who can unsubscribe', () => {
    const { store } = makeStore();
    const events: string[] = [];
    const off = store.onChange((ev) => events.push(`${ev.type}:${ev.lb.name}`));
    for (const name of ['b', 'a', 'c']) store.create({ name, listeners: [http80], availabilityZones: ['us-east-1a'] });
    expect(store.list().map((lb) => lb.name)).toEqual(['a', 'b', 'c']);
    expect(store.delete('b')).toBe(true);
    expect(store.delete('b')).toBe(false);
    off();
    store.delete('a');
    expect(events).toEqual(['created:b', 'created:a', 'created:c', 'deleted:b']);
  });

  it('hands out snapshots that callers cannot use to change the store', () => {
    const { store } = makeStore();
    const lb = store.create({ name: 's', listeners: [http80], availabilityZones: ['us-east-1a'] });
    lb.tags.set('x', 'y');
    lb.instances.push('i-1');
    expect(store.get('s')?.tags.size).toBe(0);
    expect(store.get('s')?.instances).toEqual([]);
  });
});

/**
 * makeOperations over the in-memory fakes (which pass the same port contracts as the real adapters):
 * every command kind's result, and what each one leaves changed — or unchanged — in the cluster.
 */
import { parse as parseYaml } from 'yaml';
import type { ServiceType } from '../../src/domain/command.js';
import { BotError } from '../../src/domain/errors.js';
import { parseCommand } from '../../src/domain/grammar/index.js';
import { serviceManifest } from '../../src/domain/manifest.js';
import { isServiceCommand, makeOperations, type ServiceCommand } from '../../src/domain/operations.js';
import type { OperationResult } from '../../src/domain/results.js';
import type { DescribeResult } from '../../src/domain/views.js';
import { expectBotError } from '../contract/expect-bot-error.js';
import { fakeTarget, fakeWorld, InMemoryClusterRegistry, type InMemoryTarget } from '../fakes/index.js';
import { testGovernance } from '../helpers/governance.js';

const USER = { userId: 'U0TEST' };

const NOW = new Date('2025-06-01T12:00:00Z');

/** The command `text` parses to (the grammar has its own tests; here it only keeps the cases readable). */
function command(text: string): ServiceCommand {
  const parsed = parseCommand(text);
  if (!isServiceCommand(parsed)) throw new Error(`not a service command: ${text}`);
  return parsed;
}

function setup(names: readonly string[] = ['prod', 'staging']) {
  const { registry, targets } = fakeWorld(names);
  const operations = makeOperations({ clusters: registry, now: () => NOW, governance: testGovernance().governance });
  const [prod, staging] = targets as [InMemoryTarget, InMemoryTarget | undefined];
  return { registry, prod, staging, run: (text: string) => operations.run(command(text), USER) };
}

/** Narrows a result to the expected kind (a wrong kind fails the test). */
function as<K extends OperationResult['kind']>(result: OperationResult, kind: K): Extract<OperationResult, { kind: K }> {
  expect(result.kind).toBe(kind);
  return result as Extract<OperationResult, { kind: K }>;
}

function manifest(name: string, type: ServiceType = 'ClusterIP') {
  return serviceManifest({ name, namespace: 'default', selector: { app: 'alpine' }, ports: [{ port: 80, protocol: 'TCP' }], type });
}

function noProvisioning() {
  const prod = fakeTarget({ name: 'prod', provision: false });
  return { registry: new InMemoryClusterRegistry([prod]), prod };
}

describe('help', () => {
  test('with and without a topic', async () => {
    const { run, prod } = setup();
    expect(await run('help')).toEqual({ kind: 'help' });
    expect(await run('help create')).toEqual({ kind: 'help', topic: 'create' });
    expect(prod.cluster.writes).toEqual([]);
  });
});

describe('create', () => {
  test('creates the Service on the default cluster and reports it with the nodes', async () => {
    const { run, prod, staging } = setup();
    const { result } = as(await run('create web --selector app=alpine --port 8080:80 --type nodeport'), 'created');
    expect(result.service).toMatchObject({
      cluster: 'prod',
      namespace: 'default',
      name: 'web',
      type: 'NodePort',
      selector: { app: 'alpine' },
      ports: [{ port: 8080, targetPort: 80, protocol: 'TCP', nodePort: expect.any(Number) as unknown }],
    });
    expect(result.nodes).toEqual(await prod.cluster.listNodes());
    expect(await prod.cluster.getService('default', 'web')).toEqual(result.service);
    expect(prod.cluster.writes).toEqual(['create default/web']);
    expect(staging!.cluster.writes).toEqual([]);
  });

  test('--cluster and -n choose where', async () => {
    const { run, prod, staging } = setup();
    staging!.cluster.addNamespace('shop');
    const { result } = as(await run('create api --selector app=api --port 80 -n shop --cluster staging'), 'created');
    expect(result.service).toMatchObject({ cluster: 'staging', namespace: 'shop', name: 'api' });
    expect(staging!.cluster.writes).toEqual(['create shop/api']);
    expect(prod.cluster.writes).toEqual([]);
  });

  test('--dry-run: the manifest as YAML, the scope and the resolved cluster; nothing created', async () => {
    const { run, prod } = setup();
    const { result } = as(await run('create web --selector app=alpine --port http=8080:80 --port metrics=9090 --dry-run'), 'dry-run');
    expect(result.cluster).toBe('prod');
    expect(result.scope).toEqual({ namespace: 'default' });
    expect(parseYaml(result.manifestYaml)).toEqual({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web', namespace: 'default', labels: { 'app.kubernetes.io/managed-by': 'svcbot' } },
      spec: {
        type: 'ClusterIP',
        selector: { app: 'alpine' },
        ports: [
          { name: 'http', port: 8080, targetPort: 80, protocol: 'TCP' },
          { name: 'metrics', port: 9090, targetPort: 9090, protocol: 'TCP' },
        ],
      },
    });
    expect(prod.cluster.writes).toEqual([]);
    expect(await prod.cluster.listServices(null)).toEqual([]);
  });

  test('--dry-run asks the cluster: a taken name is already_exists', async () => {
    const { run, prod } = setup();
    await run('create web --selector app=alpine --port 80');
    await expectBotError(run('create web --selector app=alpine --port 80 --dry-run'), 'already_exists', '`web`', '`type`');
    expect(prod.cluster.writes).toEqual(['create default/web']);
  });

  test("the cluster's errors come through unchanged, and nothing is created", async () => {
    const { run, prod } = setup();
    await expectBotError(run('create web --selector app=alpine --port 80 -n nowhere'), 'not_found', '`nowhere`', '`prod`');
    prod.cluster.failNext('createService', new BotError('forbidden', 'not allowed'));
    await expectBotError(run('create web --selector app=alpine --port 80'), 'forbidden', 'not allowed');
    expect(prod.cluster.writes).toEqual([]);
  });

  test('the nodes are read after the Service is created; their failure fails the command', async () => {
    const { run, prod } = setup();
    prod.cluster.failNext('listNodes', new BotError('cluster_unreachable', 'Cluster `prod` answered 503'));
    await expectBotError(run('create web --selector app=alpine --port 80'), 'cluster_unreachable');
    expect(prod.cluster.writes).toEqual(['create default/web']);
  });
});

describe('expose', () => {
  test("takes the deployment's selector; the Service is named after the deployment", async () => {
    const { run, prod } = setup();
    const { result } = as(await run('expose deployment/alpine --port 8080:http --type loadbalancer'), 'created');
    expect(result.service).toMatchObject({
      name: 'alpine',
      type: 'LoadBalancer',
      selector: { app: 'alpine' },
      ports: [{ port: 8080, targetPort: 'http', protocol: 'TCP' }],
    });
    expect(prod.cluster.writes).toEqual(['create default/alpine']);
  });

  test('--name names the Service; a deployment elsewhere is found with -n', async () => {
    const { run, prod } = setup();
    prod.cluster.addDeployment('shop', 'checkout', { matchLabels: { app: 'checkout', tier: 'web' } });
    const { result } = as(await run('expose deployment/checkout --name checkout-public --port 443:8443 -n shop'), 'created');
    expect(result.service).toMatchObject({ namespace: 'shop', name: 'checkout-public', selector: { app: 'checkout', tier: 'web' } });
  });

  test('--dry-run shows the selector it would copy and creates nothing', async () => {
    const { run, prod } = setup();
    const { result } = as(await run('expose deployment/alpine --port 80 --dry-run'), 'dry-run');
    expect((parseYaml(result.manifestYaml) as { spec: { selector: unknown } }).spec.selector).toEqual({ app: 'alpine' });
    expect(prod.cluster.writes).toEqual([]);
  });

  test('a missing deployment is not_found; a selector with matchExpressions is invalid; nothing is created', async () => {
    const { run, prod } = setup();
    await expectBotError(run('expose deployment/nope --port 80'), 'not_found', 'Deployment `nope`', '`default`', '`prod`');
    prod.cluster.addDeployment('default', 'picky', { matchLabels: { app: 'picky' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['web'] }] });
    await expectBotError(run('expose deployment/picky --port 80'), 'invalid', 'matchExpressions', '`--selector`');
    expect(prod.cluster.writes).toEqual([]);
  });
});

describe('type', () => {
  test('changes the type in place, reporting the type before and the nodes', async () => {
    const { run, prod } = setup();
    const created = as(await run('create web --selector app=alpine --port 80'), 'created').result.service;
    const { result } = as(await run('type web nodeport'), 'type-changed');
    expect(result.before).toBe('ClusterIP');
    expect(result.service).toMatchObject({ type: 'NodePort', uid: created.uid, ports: [{ nodePort: expect.any(Number) as unknown }] });
    expect(result.nodes).toHaveLength(3);
    expect(prod.cluster.writes).toEqual(['create default/web', 'patch default/web type=NodePort']);
  });

  test('the same type again returns the Service unchanged and changes nothing', async () => {
    const { run, prod } = setup();
    const created = as(await run('create web --selector app=alpine --port 80 --type nodeport'), 'created').result.service;
    const { result } = as(await run('type web nodeport'), 'type-changed');
    expect(result.before).toBe('NodePort');
    expect(result.service).toEqual(created);
    expect(prod.cluster.writes).toEqual(['create default/web']);
  });

  test('LoadBalancer and back: the load balancer comes and goes', async () => {
    const { run, prod } = setup();
    await run('create web --selector app=alpine --port 80');
    const up = as(await run('type web loadbalancer'), 'type-changed').result;
    expect(up.service.loadBalancerHostnames).toHaveLength(1);
    const down = as(await run('type web clusterip'), 'type-changed').result;
    expect(down).toMatchObject({ before: 'LoadBalancer', service: { type: 'ClusterIP', loadBalancerHostnames: [] } });
    expect(down.service.ports[0]?.nodePort).toBeUndefined();
    expect(prod.cluster.writes).toHaveLength(3);
  });

  test('an ExternalName Service is refused as invalid, unchanged', async () => {
    const { run, prod } = setup();
    prod.cluster.putService({
      namespace: 'default',
      name: 'legacy-db',
      uid: 'u-1',
      resourceVersion: '1',
      type: 'ExternalName',
      externalName: 'db.example.com',
      ports: [],
      selector: {},
      loadBalancerHostnames: [],
      createdAt: NOW,
      deleting: false,
      finalizers: [],
    });
    await expectBotError(run('type legacy-db nodeport'), 'invalid', '`legacy-db` is an ExternalName Service');
    expect(prod.cluster.writes).toEqual([]);
  });

  test('a missing Service is not_found', async () => {
    const { run } = setup();
    await expectBotError(run('type nope nodeport'), 'not_found', '`nope`');
  });
});

describe('delete', () => {
  test('a ClusterIP Service is gone at once', async () => {
    const { run, prod } = setup();
    await run('create web --selector app=alpine --port 80 --type nodeport');
    const { result } = as(await run('delete web'), 'deleted');
    expect(result).toEqual({ cluster: 'prod', namespace: 'default', name: 'web', type: 'NodePort', deleting: false });
    await expectBotError(prod.cluster.getService('default', 'web'), 'not_found');
  });

  test('a LoadBalancer Service is still deleting while its load balancer goes', async () => {
    const { run } = setup();
    await run('create web --selector app=alpine --port 80 --type loadbalancer');
    const { result } = as(await run('delete web'), 'deleted');
    expect(result).toEqual({ cluster: 'prod', namespace: 'default', name: 'web', type: 'LoadBalancer', deleting: true });
  });

  test('a missing Service is not_found and nothing is deleted', async () => {
    const { run, prod } = setup();
    await expectBotError(run('delete nope -n default'), 'not_found', '`nope`', '`default`');
    expect(prod.cluster.writes).toEqual([]);
  });
});

describe('list', () => {
  async function seeded() {
    const s = setup();
    s.prod.cluster.addNamespace('shop');
    await s.run('create zeta --selector app=z --port 80');
    await s.run('create alpha --selector app=a --port 80 --type nodeport');
    await s.run('create cart --selector app=c --port 80 --type loadbalancer -n shop');
    await s.run('create beta --selector app=b --port 80 --type nodeport -n shop');
    return s;
  }

  test('one namespace, sorted by name, with the time it was listed', async () => {
    const { run } = await seeded();
    const { result } = as(await run('list'), 'list');
    expect(result).toMatchObject({ cluster: 'prod', namespace: 'default', now: NOW });
    expect(result.services.map((s) => s.name)).toEqual(['alpha', 'zeta']);
  });

  test('-A: every namespace, sorted by namespace then name', async () => {
    const { run } = await seeded();
    const { result } = as(await run('list -A'), 'list');
    expect(result.namespace).toBeNull();
    expect(result.services.map((s) => `${s.namespace}/${s.name}`)).toEqual(['default/alpha', 'default/zeta', 'shop/beta', 'shop/cart']);
  });

  test('--type filters', async () => {
    const { run } = await seeded();
    expect(as(await run('list -A --type nodeport'), 'list').result.services.map((s) => s.name)).toEqual(['alpha', 'beta']);
    expect(as(await run('list -n shop --type loadbalancer'), 'list').result.services.map((s) => s.name)).toEqual(['cart']);
    expect(as(await run('list --type loadbalancer'), 'list').result.services).toEqual([]);
  });

  test('sorts whatever order the cluster answers in', async () => {
    const { registry, prod } = setup(['prod']);
    const reversed = (await (await seeded()).prod.cluster.listServices(null)).reverse();
    prod.cluster.listServices = () => Promise.resolve(reversed);
    const { result } = as(await makeOperations({ clusters: registry, now: () => NOW, governance: testGovernance().governance }).run(command('list -A'), USER), 'list');
    expect(result.services.map((s) => `${s.namespace}/${s.name}`)).toEqual(['default/alpha', 'default/zeta', 'shop/beta', 'shop/cart']);
  });

  test('another cluster', async () => {
    const { run, staging } = await seeded();
    await staging!.cluster.createService(manifest('only-here'));
    const { result } = as(await run('list --cluster staging'), 'list');
    expect(result).toMatchObject({ cluster: 'staging', services: [{ name: 'only-here', cluster: 'staging' }] });
  });
});

describe('describe', () => {
  test('a ClusterIP Service: its endpoints, events and the nodes; no load balancer', async () => {
    const { run, prod } = setup();
    await run('create web --selector app=alpine --port 8080:http');
    prod.cluster.recordEvent('default', 'web', { type: 'Warning', reason: 'Odd', message: 'something odd' });
    const { result } = as(await run('describe web'), 'describe');
    expect(result.service).toMatchObject({ name: 'web', type: 'ClusterIP' });
    expect(result.nodes).toHaveLength(3);
    expect(result.endpoints.map((e) => [e.podName, e.port, e.ready])).toEqual([
      ['alpine-5d8f7c9b4-x2k9p', 80, true],
      ['alpine-5d8f7c9b4-q7w4m', 80, true],
    ]);
    expect(result.events).toEqual([expect.objectContaining({ type: 'Warning', reason: 'Odd' })]);
    expect(result.now).toEqual(NOW);
    expect(result).not.toHaveProperty('loadBalancer');
    expect(result).not.toHaveProperty('loadBalancerError');
    expect(prod.loadBalancers.lookups).toEqual([]);
  });

  test("a LoadBalancer Service: its classic ELB, looked up by the Service's hostname", async () => {
    const { run, prod } = setup();
    await run('create web --selector app=alpine --port 80 --type loadbalancer');
    const { result } = as(await run('describe web'), 'describe');
    const hostname = result.service.loadBalancerHostnames[0]!;
    expect(result.loadBalancer).toMatchObject({ dnsName: hostname, listeners: [{ loadBalancerPort: 80, instancePort: result.service.ports[0]!.nodePort }] });
    expect(result).not.toHaveProperty('loadBalancerError');
    expect(prod.loadBalancers.lookups).toEqual([{ namespace: 'default', name: 'web', hostname }]);
  });

  test('a LoadBalancer Service still provisioning: no lookup, no error', async () => {
    const { registry, prod } = noProvisioning();
    await prod.cluster.createService(manifest('web', 'LoadBalancer'));
    const { result } = as(await makeOperations({ clusters: registry, now: () => NOW, governance: testGovernance().governance }).run(command('describe web'), USER), 'describe');
    expect(result.service.loadBalancerHostnames).toEqual([]);
    expect(result).not.toHaveProperty('loadBalancer');
    expect(result).not.toHaveProperty('loadBalancerError');
    expect(prod.loadBalancers.lookups).toEqual([]);
  });

  test('AWS failing: the Service is still described, with the AWS error as loadBalancerError', async () => {
    const { run, prod } = setup();
    await run('create web --selector app=alpine --port 80 --type loadbalancer');
    const message = 'Could not describe load balancer a1b2: AWS is throttling svcbot (Rate exceeded) — try again shortly.';
    prod.loadBalancers.failNext(new BotError('aws_error', message));
    const { result } = as(await run('describe web'), 'describe');
    expect(result.service.name).toBe('web');
    expect(result.endpoints).toHaveLength(2);
    expect(result.loadBalancerError).toBe(message);
    expect(result).not.toHaveProperty('loadBalancer');
  });

  test('no ELB answers to the hostname (or it is tagged for another Service): said so', async () => {
    const { run, prod } = setup();
    await run('create web --selector app=alpine --port 80 --type loadbalancer');
    const service = await prod.cluster.getService('default', 'web');
    prod.loadBalancers.retag(prod.loadBalancers.names[0]!, 'default/other');
    const { result } = as(await run('describe web'), 'describe');
    expect(result.loadBalancerError).toBe(`No classic ELB tagged for default/web answers to ${service.loadBalancerHostnames[0]}.`);
  });

  test('a bug in the load balancer lookup is not swallowed', async () => {
    const { run, prod } = setup();
    await run('create web --selector app=alpine --port 80 --type loadbalancer');
    const bug = new TypeError('cannot read properties of undefined');
    prod.loadBalancers.failNext(bug);
    await expect(run('describe web')).rejects.toBe(bug);
  });

  test('only the 10 newest events, newest last', async () => {
    const { run, prod } = setup();
    await run('create web --selector app=alpine --port 80');
    for (let i = 0; i < 15; i++) {
      prod.cluster.recordEvent('default', 'web', { type: 'Normal', reason: `R${i}`, message: `m${i}`, lastSeen: new Date(NOW.getTime() - (15 - i) * 1000) });
    }
    const { result } = as(await run('describe web'), 'describe');
    expect(result.events.map((e) => e.reason)).toEqual(['R5', 'R6', 'R7', 'R8', 'R9', 'R10', 'R11', 'R12', 'R13', 'R14']);
  });

  test('a missing Service is not_found, and nothing else is asked', async () => {
    const { run, prod } = setup();
    await expectBotError(run('describe nope'), 'not_found', '`nope`');
    expect(prod.loadBalancers.lookups).toEqual([]);
  });

  test('a failure reading endpoints fails the describe', async () => {
    const { run, prod } = setup();
    await run('create web --selector app=alpine --port 80');
    prod.cluster.failNext('listServiceEndpoints', new BotError('forbidden', 'no endpointslices for you'));
    await expectBotError(run('describe web'), 'forbidden', 'endpointslices');
  });

  test('the result carries no load balancer fields it did not fill', async () => {
    const { run } = setup();
    await run('create web --selector app=alpine --port 80');
    const { result } = as(await run('describe web'), 'describe');
    const keys: (keyof DescribeResult)[] = ['service', 'nodes', 'endpoints', 'events', 'now'];
    expect(Object.keys(result).sort()).toEqual([...keys].sort());
  });
});

describe('unknown cluster', () => {
  test.each([
    'create web --selector app=alpine --port 80 --cluster stagign',
    'expose deployment/alpine --port 80 --cluster stagign',
    'type web nodeport --cluster stagign',
    'delete web --cluster stagign',
    'list --cluster stagign',
    'describe web --cluster stagign',
    'create web --selector app=alpine --port 80 --dry-run --cluster stagign',
  ])('%s -> unknown_cluster with did-you-mean; nothing changes', async (text) => {
    const { run, prod, staging } = setup();
    await expectBotError(run(text), 'unknown_cluster', 'There is no cluster `stagign` configured.', 'Did you mean `staging`?', 'Configured: `prod`, `staging`.');
    expect(prod.cluster.writes).toEqual([]);
    expect(staging!.cluster.writes).toEqual([]);
  });

  test('no suggestion when nothing is close', async () => {
    const { run } = setup();
    const err = await expectBotError(run('list --cluster qa'), 'unknown_cluster', '`qa`');
    expect(err.userMessage).not.toContain('Did you mean');
  });
});

describe("node ports' security groups", () => {
  const groups = {
    instances: [{ instanceId: 'i-0000000000000000b', groupIds: ['sg-0abc'] }],
    groups: [{ groupId: 'sg-0abc', groupName: 'k8s-prod-nodes', ingress: [{ protocol: 'tcp', fromPort: 30000, toPort: 32767, cidrs: ['198.51.100.0/24'], groups: [] }] }],
  };

  function withGroups() {
    const world = setup(['prod']);
    const asked: string[][] = [];
    world.prod.nodeSecurityGroups = {
      groupsOfInstances: (ids) => {
        asked.push([...ids]);
        return Promise.resolve(groups);
      },
      groupsById: (ids) => Promise.resolve(groups.groups.filter((g) => ids.includes(g.groupId))),
    };
    return { ...world, asked };
  }

  test("create --type nodeport asks for the Ready nodes' instances and carries the verdict per node port", async () => {
    const { run, asked } = withGroups();
    const { result } = as(await run('create web --selector app=alpine --port 80 --type nodeport'), 'created');
    expect(asked).toEqual([['i-0000000000000000b', 'i-0000000000000000c', 'i-0000000000000000d']]);
    const nodePort = result.service.ports[0]?.nodePort;
    expect(result.nodePortAccess).toEqual({
      kind: 'known',
      ports: [{ kind: 'open', port: nodePort, protocol: 'TCP', openings: [{ groupId: 'sg-0abc', groupName: 'k8s-prod-nodes', cidrs: ['198.51.100.0/24'] }] }],
    });
  });

  test('type nodeport and describe carry it too; a ClusterIP Service is not asked about', async () => {
    const { run, asked } = withGroups();
    as(await run('create web --selector app=alpine --port 80'), 'created');
    expect(asked).toEqual([]);
    expect(as(await run('type web nodeport'), 'type-changed').result.nodePortAccess?.kind).toBe('known');
    expect(as(await run('describe web'), 'describe').result.nodePortAccess?.kind).toBe('known');
  });

  test('a cluster without EC2 access: the answer says so, the Service is created', async () => {
    const { run, prod } = setup(['prod']);
    const { result } = as(await run('create web --selector app=alpine --port 80 --type nodeport'), 'created');
    expect(result.nodePortAccess).toMatchObject({ kind: 'unknown', reason: 'no-ec2' });
    expect(await prod.cluster.getService('default', 'web')).toBeDefined();
  });
});

import { describe, expect, it } from '@jest/globals';
import { manifestYaml, serviceManifest } from '../../../src/domain/manifest.js';
import type { ActionsBlock, Reply } from '../../../src/render/blocks.js';
import { blockKitViolations } from '../../../src/render/blocks.js';
import { ACTION_IDS, parseServiceActionValue } from '../../../src/render/actions.js';
import { renderCreated, renderDeleted, renderDryRun, renderTypeChanged } from '../../../src/render/changes.js';
import { EVIL, NODES, everything, makeService, slackConstructs } from './fixtures.js';

const lb = makeService({
  type: 'LoadBalancer',
  loadBalancerHostnames: ['a1b2c3.us-east-1.elb.amazonaws.com'],
  ports: [{ name: 'http', port: 80, targetPort: 8080, protocol: 'TCP', nodePort: 32226 }],
});

function buttons(reply: Reply): ActionsBlock['elements'] {
  return reply.blocks.flatMap((b) => (b.type === 'actions' ? b.elements : []));
}

describe('renderCreated', () => {
  it('tells the channel who created what, where, and how to reach it', () => {
    const r = renderCreated({ service: lb, nodes: NODES }, { requester: 'U123ABC' });
    expect(r.responseType).toBe('in_channel');
    expect(blockKitViolations(r)).toEqual([]);
    expect(r.text).toContain('<@U123ABC> created LoadBalancer Service `web` in namespace `default` on cluster `prod`');
    expect(r.text).toContain('http://a1b2c3.us-east-1.elb.amazonaws.com:80');
    expect(r.text).toContain('`54.1.2.3:32226`');
    expect(r.text).toContain('`web.default.svc.cluster.local:80`');
    expect(r.text).toMatch(/security group must allow inbound TCP 32226/);
    expect(r.text).toContain('30000\u201332767');
    expect(everything(r)).toContain('http://a1b2c3.us-east-1.elb.amazonaws.com:80');
  });

  it('offers details and a confirmed delete for the Service', () => {
    const [details, del] = buttons(renderCreated({ service: lb, nodes: NODES }));
    expect(details?.action_id).toBe(ACTION_IDS.describe);
    expect(del).toMatchObject({ action_id: ACTION_IDS.delete, style: 'danger', confirm: { style: 'danger' } });
    expect(parseServiceActionValue(del?.value ?? '')).toEqual({ cluster: 'prod', namespace: 'default', name: 'web' });
  });

  it('says the load balancer is being provisioned while it has no hostname', () => {
    const r = renderCreated({ service: { ...lb, loadBalancerHostnames: [] }, nodes: NODES });
    expect(r.text).toContain('The load balancer is being provisioned');
    expect(r.text).toMatch(/^:white_check_mark: Created LoadBalancer/);
  });

  it('a ClusterIP Service is reachable from inside the cluster only, and says so', () => {
    const r = renderCreated({ service: makeService(), nodes: NODES });
    expect(r.text).toContain('inside the cluster only');
    expect(r.text).toContain('`10.96.0.10:80`');
    expect(r.text).not.toContain('From outside');
  });

  it.each(['<!channel>', 'u123', 'U123 <!here>', ''])('builds no mention from the invalid requester %j', (requester) => {
    const r = renderCreated({ service: lb, nodes: NODES }, { requester });
    expect(slackConstructs(everything(r))).toEqual([]);
  });

  it('lists a few nodes per node port, then how many more', () => {
    const many = Array.from({ length: 300 }, (_, i) => ({ name: `node-${i}`, externalIP: `54.0.${i >> 8}.${i & 255}`, ready: true }));
    const r = renderCreated({ service: lb, nodes: many }, { requester: 'U1' });
    expect(blockKitViolations(r)).toEqual([]);
    expect(r.text).toContain('… and 295 more nodes');
  });
});

describe('renderTypeChanged', () => {
  it('announces the change and what goes away', () => {
    const r = renderTypeChanged({ before: 'LoadBalancer', service: makeService(), nodes: NODES }, { requester: 'W0ABC' });
    expect(r.responseType).toBe('in_channel');
    expect(r.text).toContain('<@W0ABC> changed Service `web` in namespace `default` on cluster `prod` from LoadBalancer to ClusterIP');
    expect(r.text).toContain('load balancer is deleted');
    expect(r.text).toContain('node ports are released');
    expect(blockKitViolations(r)).toEqual([]);
  });

  it('says nothing changed when the type was already the one asked for (only to the asker)', () => {
    const r = renderTypeChanged({ before: 'LoadBalancer', service: lb, nodes: NODES }, { requester: 'U1' });
    expect(r.responseType).toBe('ephemeral');
    expect(r.text).toContain('is already of type LoadBalancer; nothing changed');
    expect(buttons(r)).toEqual([]);
  });
});

describe('renderDeleted', () => {
  it.each([
    [{ type: 'LoadBalancer' as const, deleting: true }, 'once its load balancer has been deleted'],
    [{ type: 'LoadBalancer' as const, deleting: false }, 'the cloud controller deletes its load balancer'],
    [{ type: 'ClusterIP' as const, deleting: true }, 'once its finalizers are done'],
    [{ type: 'NodePort' as const, deleting: false }, 'The Service is gone.'],
  ])('%o', (variant, expected) => {
    const r = renderDeleted({ cluster: 'prod', namespace: 'default', name: 'web', ...variant }, { requester: 'U1' });
    expect(r.responseType).toBe('in_channel');
    expect(r.text).toContain(`<@U1> deleted ${variant.type} Service \`web\``);
    expect(r.text).toContain(expected);
    expect(blockKitViolations(r)).toEqual([]);
  });
});

describe('renderDryRun', () => {
  const manifest = serviceManifest({
    name: 'web',
    namespace: 'shop',
    selector: { app: 'web' },
    ports: [{ port: 80, targetPort: 8080, protocol: 'TCP' }],
    type: 'NodePort',
  });

  it('shows the YAML in a code block, to the asker only, and says nothing changed', () => {
    const r = renderDryRun({ manifestYaml: manifestYaml(manifest), scope: { namespace: 'shop' }, cluster: 'prod' });
    expect(r.responseType).toBe('ephemeral');
    expect(r.text).toContain('nothing was changed');
    expect(r.text).toContain('```\napiVersion: v1\nkind: Service\n');
    const code = r.blocks.find((b) => b.type === 'section' && b.text?.text.startsWith('```'));
    expect(code).toBeDefined();
    expect(everything(r)).toContain('app.kubernetes.io/managed-by: svcbot');
    expect(blockKitViolations(r)).toEqual([]);
  });

  it('splits a long manifest over several code blocks within the limits', () => {
    const labels = Object.fromEntries(Array.from({ length: 400 }, (_, i) => [`example.com/label-${i}`, `value-${i}`]));
    const r = renderDryRun({ manifestYaml: manifestYaml({ ...manifest, metadata: { ...manifest.metadata, labels } }), scope: { namespace: 'shop' }, cluster: 'prod' });
    expect(blockKitViolations(r)).toEqual([]);
    expect(r.blocks.filter((b) => b.type === 'section' && b.text?.text.startsWith('```')).length).toBeGreaterThan(1);
    expect(r.text).toContain('lines of YAML, shown in the message');
  });
});

describe('user and cluster text is escaped in every change reply', () => {
  const evil = makeService({ ...lb, cluster: EVIL.cluster, namespace: EVIL.namespace, name: EVIL.name, selector: { app: EVIL.text } });
  const replies: [string, Reply][] = [
    ['created', renderCreated({ service: evil, nodes: NODES }, { requester: 'U1' })],
    ['type changed', renderTypeChanged({ before: 'NodePort', service: evil, nodes: NODES }, { requester: 'U1' })],
    ['unchanged', renderTypeChanged({ before: 'LoadBalancer', service: evil, nodes: NODES })],
    ['deleted', renderDeleted({ cluster: EVIL.cluster, namespace: EVIL.namespace, name: EVIL.name, type: 'ClusterIP', deleting: false }, { requester: 'U1' })],
    ['dry run', renderDryRun({ manifestYaml: `name: ${EVIL.text}\n`, scope: { namespace: EVIL.namespace }, cluster: EVIL.cluster })],
  ];

  it.each(replies)('%s', (_kind, r) => {
    const all = everything(r);
    expect(slackConstructs(all).filter((c) => c !== '<@U1>')).toEqual([]);
    expect(all).not.toContain('<!channel>');
    expect(r.text.includes('&lt;!channel&gt;') || r.text.includes('&lt;!here|here&gt;')).toBe(true);
    expect(blockKitViolations(r)).toEqual([]);
  });
});

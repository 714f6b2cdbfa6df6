import { jest } from '@jest/globals';
import { BotError } from '../../../src/domain/errors.js';
import { classify, inTreeLoadBalancerName, type ScannedLoadBalancer } from '../../../src/domain/orphans.js';
import { scanForOrphans, type OrphanScanSources } from '../../../src/domain/orphan-scan.js';
import type { LbJobSummary } from '../../../src/ports/queue.js';
import { fakeWorld } from '../../fakes/index.js';

const NOW = Date.UTC(2026, 11, 6, 12, 0, 0);

function lbFor(service: string, region = 'us-east-1', name = `a${service.replace(/\W/g, '').padEnd(31, '0').slice(0, 31)}`): ScannedLoadBalancer {
  return { region, name, kind: 'classic', dnsName: `${name}-1.${region}.elb.amazonaws.com`, createdAt: NOW - 86_400_000, tags: { 'kubernetes.io/cluster/prod-eks': 'owned', 'kubernetes.io/service-name': service } };
}

function job(overrides: Partial<LbJobSummary>): LbJobSummary {
  return { id: 'j', operation: 'teardown', cluster: 'prod', namespace: 'default', name: 'x', state: 'delayed', createdAt: new Date(NOW), ...overrides } as LbJobSummary;
}

async function sources(overrides: Partial<OrphanScanSources> = {}, byRegion: Record<string, ScannedLoadBalancer[] | Error> = {}) {
  const { registry, targets } = fakeWorld(['prod', 'staging']);
  const web = await targets[0]!.cluster.createService({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'default', labels: {} }, spec: { type: 'LoadBalancer', selector: { app: 'alpine' }, ports: [{ port: 80, targetPort: 80, protocol: 'TCP' }] } });
  const scannedRegions: string[] = [];
  const base: OrphanScanSources = {
    regions: ['us-east-1', 'eu-west-1'],
    clusters: [
      { name: 'prod', awsName: 'prod-eks', region: undefined },
      { name: 'staging', awsName: 'staging-eks', region: undefined },
    ],
    registry,
    inventory: {
      scan: (region) => {
        scannedRegions.push(region);
        const found = byRegion[region] ?? [];
        return found instanceof Error ? Promise.reject(found) : Promise.resolve(found);
      },
    },
    jobs: { list: () => Promise.resolve([]) },
    graceMs: 0,
    now: () => NOW,
    ...overrides,
  };
  return { sources: base, targets, web, scannedRegions };
}

describe('scanForOrphans', () => {
  it("lists every region once and every cluster's Services once, then judges them together", async () => {
    const { sources: s, web, scannedRegions, targets } = await sources({}, {});
    const listSpy = jest.spyOn(targets[0]!.cluster, 'listServices');
    const mine = { ...lbFor('default/web'), name: inTreeLoadBalancerName(web.uid) };
    const gone = lbFor('default/gone', 'eu-west-1');
    s.inventory = { scan: (region) => { scannedRegions.push(region); return Promise.resolve(region === 'us-east-1' ? [mine] : [gone]); } };
    const scan = await scanForOrphans(s);
    expect(scannedRegions.sort()).toEqual(['eu-west-1', 'us-east-1']);
    expect(listSpy).toHaveBeenCalledTimes(1);
    expect(listSpy).toHaveBeenCalledWith(null);
    expect(scan.missing).toEqual([]);
    expect(scan.scanned).toHaveLength(2);
    expect(classify(mine, scan.context)).toMatchObject({ status: 'in-use' });
    expect(classify(gone, scan.context)).toMatchObject({ status: 'orphan', reason: 'service-gone' });
  });

  it('a region that cannot be listed is missing from the report; the rest stands', async () => {
    const gone = lbFor('default/gone');
    const { sources: s } = await sources({}, { 'us-east-1': [gone], 'eu-west-1': new BotError('aws_error', 'AWS refused: AccessDenied') });
    const scan = await scanForOrphans(s);
    expect(scan.missing).toEqual([{ kind: 'region', name: 'eu-west-1', problem: 'AWS refused: AccessDenied' }]);
    expect(scan.scanned).toEqual([gone]);
  });

  it('a cluster that cannot be listed makes its load balancers unknown, never orphans', async () => {
    const gone = lbFor('default/gone');
    const { sources: s, targets } = await sources({}, { 'us-east-1': [gone] });
    targets[0]!.cluster.failNext('listServices', new BotError('cluster_unreachable', 'Cannot reach cluster prod'));
    const scan = await scanForOrphans(s);
    expect(scan.missing).toEqual([{ kind: 'cluster', name: 'prod', problem: 'Cannot reach cluster prod' }]);
    expect(classify(gone, scan.context)).toEqual({ status: 'unknown', cluster: 'prod' });
  });

  it('an unexpected failure is reported without its details, and handed to the caller to log', async () => {
    const { sources: s } = await sources({}, { 'eu-west-1': new TypeError('x is undefined') });
    const seen: unknown[] = [];
    const scan = await scanForOrphans(s, { onUnexpected: (err) => seen.push(err) });
    expect(scan.missing).toEqual([{ kind: 'region', name: 'eu-west-1', problem: 'an unexpected error (see the logs)' }]);
    expect(seen).toEqual([expect.any(TypeError)]);
  });

  it('Services with an unfinished job are busy: their load balancers are settling', async () => {
    const gone = lbFor('default/gone');
    const jobs = [job({ name: 'gone', state: 'delayed' }), job({ name: 'done', state: 'completed' })];
    const { sources: s } = await sources({ jobs: { list: (cluster) => Promise.resolve(cluster === 'prod' ? jobs : []) } }, { 'us-east-1': [gone] });
    const scan = await scanForOrphans(s);
    expect([...scan.context.busy]).toEqual(['prod/default/gone']);
    expect(classify(gone, scan.context)).toEqual({ status: 'settling', why: 'job-running' });
  });
});

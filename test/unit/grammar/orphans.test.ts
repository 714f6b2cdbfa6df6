import { UsageError } from '../../../src/domain/errors.js';
import { isLoadBalancerKey, parseCommand } from '../../../src/domain/grammar/index.js';

const ARN = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/net/k8s-web-1a2b3c/0123456789abcdef';

function problemOf(text: string): UsageError {
  try {
    parseCommand(text);
  } catch (err) {
    if (err instanceof UsageError) return err;
    throw err;
  }
  throw new Error(`"${text}" parsed`);
}

describe('/svc orphans', () => {
  it('reports every region and cluster by default, page 1', () => {
    expect(parseCommand('orphans')).toEqual({ kind: 'orphans', all: false, ignored: false, page: 0 });
  });

  it('takes a cluster, a region (any case), --all and a page', () => {
    expect(parseCommand('orphans --cluster prod-eu --region EU-WEST-1 --all --page 3')).toEqual({
      kind: 'orphans',
      cluster: 'prod-eu',
      region: 'eu-west-1',
      all: true,
      ignored: false,
      page: 2,
    });
  });

  it('lists the ignored ones with --ignored, which takes neither --all nor --page', () => {
    expect(parseCommand('orphans --ignored')).toMatchObject({ kind: 'orphans', ignored: true });
    expect(problemOf('orphans --ignored --all').problem).toMatch(/--ignored .* takes neither --all nor --page/);
    expect(problemOf('orphans --ignored --page 2').problem).toMatch(/takes neither/);
  });

  it('refuses what is not a region, a page or a flag it takes', () => {
    expect(problemOf('orphans --region mars').problem).toMatch(/"mars" is not an AWS region/);
    expect(problemOf('orphans --page 0').problem).toMatch(/not a page number/);
    expect(problemOf('orphans --page x').problem).toMatch(/not a page number/);
    expect(problemOf('orphans -n default').problem).toMatch(/does not take -n/);
    expect(problemOf('orphans web').problem).toMatch(/unexpected extra argument "web"/);
  });
});

describe('/svc orphan', () => {
  it('deletes, snoozes and un-ignores by REGION/NAME or ARN', () => {
    expect(parseCommand('orphan delete us-east-1/a1b2c3d4e5f6')).toEqual({ kind: 'orphan', action: 'delete', key: 'us-east-1/a1b2c3d4e5f6' });
    expect(parseCommand(`orphan snooze ${ARN}`)).toEqual({ kind: 'orphan', action: 'snooze', key: ARN });
    expect(parseCommand('orphan UNIGNORE US-EAST-1/legacy-api')).toEqual({ kind: 'orphan', action: 'unignore', key: 'us-east-1/legacy-api' });
  });

  it('ignores only with a reason, kept as typed', () => {
    expect(parseCommand('orphan ignore us-east-1/legacy-api kept for the March migration')).toEqual({
      kind: 'orphan',
      action: 'ignore',
      key: 'us-east-1/legacy-api',
      reason: 'kept for the March migration',
    });
    const missing = problemOf('orphan ignore us-east-1/legacy-api');
    expect(missing.problem).toMatch(/missing the reason to ignore it/);
    expect(missing.problem).toContain('/svc orphan ignore us-east-1/legacy-api REASON');
    expect(problemOf(`orphan ignore us-east-1/x ${'y'.repeat(501)}`).problem).toMatch(/too long/);
  });

  it('says what is missing, and suggests the action meant', () => {
    expect(problemOf('orphan').problem).toMatch(/missing what to do: delete, snooze, ignore, unignore/);
    expect(problemOf('orphan delete').problem).toMatch(/missing the load balancer/);
    const typo = problemOf('orphan delet us-east-1/x');
    expect(typo.problem).toMatch(/"delet" is not something to do/);
    expect(typo.suggestion).toBe('delete');
    expect(problemOf('orphan snooze us-east-1/x because').problem).toMatch(/unexpected extra argument "because"/);
  });

  it('takes only keys that name one load balancer: nothing else reaches an AWS call', () => {
    for (const bad of ['web', 'us-east-1/', 'us-east-1/-x', `us-east-1/${'a'.repeat(33)}`, 'mars/x', 'us-east-1/a_b', 'arn:aws:ec2:us-east-1:123456789012:instance/i-1', `${ARN}x`, 'us-east-1/a/b']) {
      expect(problemOf(`orphan delete ${bad}`).problem).toMatch(/is not a load balancer/);
      expect(isLoadBalancerKey(bad)).toBe(false);
    }
    expect(isLoadBalancerKey(ARN)).toBe(true);
    expect(isLoadBalancerKey('ap-southeast-2/k8s-a')).toBe(true);
  });
});

import { ConfigError, loadConfig } from '../../../src/config/index.js';

const noFiles = (): string => {
  throw Object.assign(new Error('no file'), { code: 'ENOENT' });
};

function problemsOf(env: Record<string, string>, yaml?: string): string[] {
  try {
    loadConfig(yaml === undefined ? env : { ...env, SVCBOT_CONFIG: '/etc/svcbot.yaml' }, yaml === undefined ? noFiles : () => yaml);
    return [];
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return err.problems;
  }
}

describe('orphan settings', () => {
  it('defaults: 30 min of grace, the regions svcbot knows, 10 ELB calls a second, weekdays at 09:00 UTC, no channel (no scheduled report)', () => {
    const config = loadConfig({ AWS_REGION: 'eu-west-1' }, noFiles);
    expect(config.orphans).toEqual({
      graceMs: 30 * 60_000,
      regions: ['eu-west-1'],
      scanRate: 10,
      report: { cron: '0 9 * * 1-5', timeZone: 'UTC', channel: undefined, quietWhenNone: false },
    });
    expect(config.costs.nlbHourlyUsd).toEqual({ 'us-east-1': 0.0225 });
    expect(config.costs.albHourlyUsd).toEqual({ 'us-east-1': 0.0225 });
  });

  it('from the environment', () => {
    const config = loadConfig(
      { ORPHAN_GRACE: '0s', ORPHAN_REGIONS: 'us-east-1, eu-central-1', ORPHAN_SCAN_RATE: '40', ORPHAN_REPORT_CRON: '30 7 * * 1', ORPHAN_REPORT_TZ: 'Europe/Berlin', ORPHAN_REPORT_CHANNEL: 'C0123ABCD' },
      noFiles,
    );
    expect(config.orphans).toEqual({
      graceMs: 0,
      regions: ['us-east-1', 'eu-central-1'],
      scanRate: 40,
      report: { cron: '30 7 * * 1', timeZone: 'Europe/Berlin', channel: 'C0123ABCD', quietWhenNone: false },
    });
  });

  it("without ORPHAN_REGIONS: AWS_REGION and every cluster's region, once each", () => {
    const yaml = [
      'awsRegion: us-east-1',
      'clusters:',
      ...['a', 'b', 'c'].flatMap((name) => [`  - name: ${name}`, `    context: ${name}`, `    clusterName: ${name}-eks`]),
    ].join('\n').replace('    clusterName: a-eks', '    clusterName: a-eks\n    region: eu-west-1').replace('    clusterName: b-eks', '    clusterName: b-eks\n    region: us-east-1');
    expect(loadConfig({ SVCBOT_CONFIG: '/etc/svcbot.yaml', KUBECONFIG: '/k' }, () => yaml).orphans.regions).toEqual(['us-east-1', 'eu-west-1']);
  });

  it('takes six fields, seconds first (a report every few seconds, to try it)', () => {
    expect(loadConfig({ ORPHAN_REPORT_CRON: '*/10 * * * * *', KUBECONFIG: '/k' }, () => '').orphans.report.cron).toBe('*/10 * * * * *');
  });

  it('from the file, with the price table by kind', () => {
    const yaml = ['orphans:', '  grace: 2h', '  scanRate: 25', '  report:', '    quietWhenNone: true', 'costs:', '  nlbHourlyUsd:', '    eu-west-1: 0.0252'].join('\n');
    const config = loadConfig({ SVCBOT_CONFIG: '/etc/svcbot.yaml' }, () => yaml);
    expect(config.orphans.graceMs).toBe(2 * 3_600_000);
    expect(config.orphans.scanRate).toBe(25);
    expect(config.orphans.report.quietWhenNone).toBe(true);
    expect(config.costs.nlbHourlyUsd).toEqual({ 'eu-west-1': 0.0252 });
  });

  it.each([
    [{ ORPHAN_GRACE: '8d' }, /^ORPHAN_GRACE: must be a duration/],
    [{ ORPHAN_REGIONS: 'us-east-1,mars' }, /^ORPHAN_REGIONS: must be an AWS region like us-east-1 \(got "mars"\)$/],
    [{ ORPHAN_SCAN_RATE: '0' }, /^ORPHAN_SCAN_RATE: must be a whole number from 1 to 1000/],
    [{ ORPHAN_SCAN_RATE: '1001' }, /^ORPHAN_SCAN_RATE: must be a whole number from 1 to 1000/],
    [{ ORPHAN_REPORT_CRON: '0 9 * *' }, /^ORPHAN_REPORT_CRON: must be a cron pattern of five fields/],
    [{ ORPHAN_REPORT_CRON: '0 25 * * *' }, /^ORPHAN_REPORT_CRON: must be a cron pattern of five fields/],
    [{ ORPHAN_REPORT_CRON: '0 0 9 * * 1-5 2026' }, /^ORPHAN_REPORT_CRON: must be a cron pattern of five fields.*\(or six, seconds first\) \(got/],
    [{ ORPHAN_REPORT_TZ: 'Mars/Olympus' }, /^ORPHAN_REPORT_TZ: must be an IANA time zone/],
    [{ ORPHAN_REPORT_CHANNEL: '#ops' }, /^ORPHAN_REPORT_CHANNEL: must be a Slack channel ID/],
  ])('%j is refused, with the variable named', (env, problem) => {
    const problems = problemsOf(env);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(problem);
  });
});

/**
 * A load balancer's full description as svcbot takes it before deleting it: what the audit log keeps so
 * that a person could recreate it by hand (listeners, health checks, what is behind it, tags, network
 * placement). Plain JSON — strings, numbers, booleans, arrays and objects, times as ISO 8601 — since the
 * audit log stores it as text. Also the few lines of a record a person reads. (Which API a load
 * balancer key names: grammar/load-balancer-key.ts.)
 */

import type { ScannedLoadBalancer } from './orphans.js';

interface RecordBase {
  /** svcbot's key for it: the ARN (ELBv2) or `region/name` (classic). */
  key: string;
  region: string;
  name: string;
  dnsName: string;
  /** `internet-facing` or `internal`. */
  scheme: string;
  /** ISO 8601; '' when AWS did not say. */
  createdAt: string;
  vpcId?: string;
  securityGroups: string[];
  tags: Record<string, string>;
  /** When svcbot read it (ISO 8601). */
  describedAt: string;
}

interface ClassicListenerRecord {
  protocol: string;
  loadBalancerPort: number;
  instanceProtocol: string;
  instancePort: number;
  sslCertificateId?: string;
  policyNames: string[];
}

interface ClassicHealthCheckRecord {
  /** `TCP:30080`, `HTTP:80/healthz`… */
  target: string;
  intervalSeconds: number;
  timeoutSeconds: number;
  healthyThreshold: number;
  unhealthyThreshold: number;
}

interface ClassicInstanceRecord {
  instanceId: string;
  /** `InService`, `OutOfService`, `Unknown`. */
  state: string;
  reasonCode?: string;
  description?: string;
}

export interface ClassicAttributesRecord {
  crossZoneLoadBalancing?: boolean;
  accessLog?: { enabled: boolean; s3BucketName?: string; s3BucketPrefix?: string; emitIntervalMinutes?: number };
  connectionDraining?: { enabled: boolean; timeoutSeconds?: number };
  idleTimeoutSeconds?: number;
  /** `AdditionalAttributes` (`elb.http.desyncmitigationmode`…). */
  additional: Record<string, string>;
}

export interface ClassicLoadBalancerRecord extends RecordBase {
  kind: 'classic';
  availabilityZones: string[];
  subnets: string[];
  sourceSecurityGroup?: { ownerAlias: string; groupName: string };
  listeners: ClassicListenerRecord[];
  healthCheck?: ClassicHealthCheckRecord;
  /** Registered instances with their health (DescribeInstanceHealth). */
  instances: ClassicInstanceRecord[];
  policies: {
    appCookieStickiness: { policyName: string; cookieName: string }[];
    lbCookieStickiness: { policyName: string; cookieExpirationPeriod?: number }[];
    other: string[];
  };
  /** Policies applied per instance port (back-end authentication, proxy protocol). */
  backendServers: { instancePort: number; policyNames: string[] }[];
  attributes: ClassicAttributesRecord;
}

/** A listener's action. Authentication actions are recorded by type only. */
export interface V2ActionRecord {
  /** `forward`, `redirect`, `fixed-response`, `authenticate-oidc`… */
  type: string;
  order?: number;
  targetGroupArn?: string;
  forward?: { targetGroups: { targetGroupArn: string; weight?: number }[]; stickiness?: { enabled: boolean; durationSeconds?: number } };
  redirect?: { statusCode: string; protocol?: string; port?: string; host?: string; path?: string; query?: string };
  fixedResponse?: { statusCode: string; contentType?: string; messageBody?: string };
}

interface V2ListenerRecord {
  arn: string;
  /** Absent on Gateway Load Balancers. */
  protocol?: string;
  port?: number;
  sslPolicy?: string;
  /** Certificate ARNs. */
  certificates: string[];
  alpnPolicy: string[];
  defaultActions: V2ActionRecord[];
}

interface V2HealthCheckRecord {
  enabled?: boolean;
  protocol?: string;
  /** A port number, or `traffic-port`. */
  port?: string;
  path?: string;
  intervalSeconds?: number;
  timeoutSeconds?: number;
  healthyThreshold?: number;
  unhealthyThreshold?: number;
  matcher?: { httpCode?: string; grpcCode?: string };
}

export interface V2TargetRecord {
  id: string;
  port?: number;
  availabilityZone?: string;
  /** `healthy`, `unhealthy`, `initial`, `unused`, `draining`, `unavailable`. */
  state: string;
  reason?: string;
  description?: string;
}

export interface V2TargetGroupRecord {
  arn: string;
  name: string;
  protocol?: string;
  protocolVersion?: string;
  port?: number;
  /** `instance`, `ip`, `lambda`, `alb`. */
  targetType?: string;
  vpcId?: string;
  ipAddressType?: string;
  healthCheck: V2HealthCheckRecord;
  tags: Record<string, string>;
  /** Registered targets with their health (DescribeTargetHealth). */
  targets: V2TargetRecord[];
}

export interface V2LoadBalancerRecord extends RecordBase {
  kind: 'network' | 'application' | 'gateway';
  arn: string;
  /** `active`, `provisioning`… */
  state?: string;
  ipAddressType?: string;
  availabilityZones: { zoneName: string; subnetId?: string; addresses: { ipAddress?: string; allocationId?: string; privateIPv4Address?: string }[] }[];
  listeners: V2ListenerRecord[];
  /** The target groups behind it (DescribeTargetGroups by load balancer). */
  targetGroups: V2TargetGroupRecord[];
}

export type LoadBalancerRecord = ClassicLoadBalancerRecord | V2LoadBalancerRecord;

/** At most this many instances or targets are named in a summary line; the rest are counted. */
const NAMED = 10;

const KIND_WORDS: Record<LoadBalancerRecord['kind'], string> = {
  classic: 'Classic load balancer',
  network: 'Network Load Balancer',
  application: 'Application Load Balancer',
  gateway: 'Gateway Load Balancer',
};

function someOf<T>(items: readonly T[], show: (item: T) => string): string {
  const named = items.slice(0, NAMED).map(show).join(', ');
  return items.length > NAMED ? `${named} and ${items.length - NAMED} more` : named;
}

function tagsLine(tags: Readonly<Record<string, string>>): string {
  const entries = Object.entries(tags);
  return `Tags: ${entries.length === 0 ? 'none' : someOf(entries, ([k, v]) => `${k}=${v}`)}`;
}

function classicLines(r: ClassicLoadBalancerRecord): string[] {
  const inService = r.instances.filter((i) => i.state === 'InService').length;
  const hc = r.healthCheck;
  return [
    `Listeners: ${r.listeners.length === 0 ? 'none' : r.listeners.map((l) => `${l.protocol}:${l.loadBalancerPort} → ${l.instanceProtocol}:${l.instancePort}${l.sslCertificateId ? ` (certificate ${l.sslCertificateId})` : ''}`).join(', ')}`,
    hc
      ? `Health check: ${hc.target} every ${hc.intervalSeconds} s, timeout ${hc.timeoutSeconds} s, healthy after ${hc.healthyThreshold}, unhealthy after ${hc.unhealthyThreshold}`
      : 'Health check: none',
    `Instances: ${r.instances.length === 0 ? 'none' : `${r.instances.length} (${inService} in service): ${someOf(r.instances, (i) => `${i.instanceId} ${i.state}`)}`}`,
    `Placement: ${r.vpcId ? `${r.vpcId}, ` : ''}${r.subnets.length > 0 ? `subnets ${r.subnets.join(', ')}` : `zones ${r.availabilityZones.join(', ')}`}; security groups ${r.securityGroups.join(', ') || 'none'}`,
  ];
}

function v2Lines(r: V2LoadBalancerRecord): string[] {
  const groupName = new Map(r.targetGroups.map((g) => [g.arn, g.name]));
  const action = (a: V2ActionRecord): string => (a.targetGroupArn ? `${a.type} to ${groupName.get(a.targetGroupArn) ?? a.targetGroupArn}` : a.type);
  return [
    `ARN: ${r.arn}`,
    `Listeners: ${r.listeners.length === 0 ? 'none' : r.listeners.map((l) => `${l.protocol ?? 'any'}:${l.port ?? 'any'} → ${l.defaultActions.map(action).join(', ') || 'no action'}`).join('; ')}`,
    ...r.targetGroups.map((g) => {
      const healthy = g.targets.filter((t) => t.state === 'healthy').length;
      const hc = g.healthCheck;
      return (
        `Target group ${g.name}: ${g.protocol ?? ''}:${g.port ?? ''} (${g.targetType ?? 'instance'}), health check ${hc.protocol ?? ''} ${hc.port ?? ''}${hc.path ? ` ${hc.path}` : ''}` +
        ` every ${hc.intervalSeconds ?? '?'} s; targets: ${g.targets.length === 0 ? 'none' : `${g.targets.length} (${healthy} healthy): ${someOf(g.targets, (t) => `${t.id}${t.port === undefined ? '' : `:${t.port}`} ${t.state}`)}`}`
      );
    }),
    `Placement: ${r.vpcId ? `${r.vpcId}, ` : ''}subnets ${r.availabilityZones.map((z) => z.subnetId ?? z.zoneName).join(', ')}; security groups ${r.securityGroups.join(', ') || 'none'}`,
  ];
}

/** A record in a few lines for people (the audit entry keeps the whole record). */
export function describeRecord(record: LoadBalancerRecord): string[] {
  return [
    `${KIND_WORDS[record.kind]} ${record.name} in ${record.region} (${record.scheme}), DNS ${record.dnsName}, created ${record.createdAt || 'at an unknown time'}`,
    ...(record.kind === 'classic' ? classicLines(record) : v2Lines(record)),
    tagsLine(record.tags),
  ];
}

/** The load balancer as a scan would have found it, from its record (what the orphan rules judge). */
export function scannedOf(record: LoadBalancerRecord): ScannedLoadBalancer {
  const behind = record.kind === 'classic' ? record.instances.map((i) => i.state === 'InService') : record.targetGroups.flatMap((g) => g.targets.map((t) => t.state === 'healthy'));
  const createdAt = Date.parse(record.createdAt);
  return {
    region: record.region,
    name: record.name,
    ...(record.kind === 'classic' ? {} : { arn: record.arn }),
    kind: record.kind,
    dnsName: record.dnsName,
    createdAt: Number.isNaN(createdAt) ? 0 : createdAt,
    tags: record.tags,
    registered: behind.length,
    inService: behind.filter(Boolean).length,
  };
}

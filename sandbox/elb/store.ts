/**
 * In-memory state of the sandbox's classic Elastic Load Balancers (API version 2012-06-01).
 *
 * Written from the AWS documentation, independently of svcbot's own logic: it enforces the rules AWS
 * enforces (names, listeners, tags, health checks) and answers with AWS's error codes, so that svcbot
 * tested against it can fail the way it would against AWS. The Query API server (`server.ts`) and the
 * simulated cloud controller both call this class; the DNS server resolves the names it hands out.
 */
import { createHash, randomInt } from 'node:crypto';

export interface Listener {
  protocol: string;
  loadBalancerPort: number;
  instanceProtocol: string;
  instancePort: number;
  sslCertificateId?: string;
}

export interface HealthCheck {
  target: string;
  interval: number;
  timeout: number;
  unhealthyThreshold: number;
  healthyThreshold: number;
}

export interface LoadBalancer {
  name: string;
  dnsName: string;
  canonicalHostedZoneName: string;
  canonicalHostedZoneNameID: string;
  createdTime: Date;
  scheme: 'internet-facing' | 'internal';
  listeners: Listener[];
  healthCheck: HealthCheck;
  instances: string[];
  availabilityZones: string[];
  subnets: string[];
  securityGroups: string[];
  vpcId: string;
  tags: Map<string, string>;
  /** epoch ms when its DNS name starts resolving (createdTime + dnsDelay) */
  dnsVisibleAt: number;
  /** Two loopback (127.0.0.0/8) addresses its DNS name resolves to; deterministic from the name. */
  addresses: string[];
}

export interface ElbStoreOptions {
  region: string;
  /** How long after creation a load balancer's DNS name starts resolving. */
  dnsDelayMs: number;
  /** How long a registered instance stays `OutOfService` before it turns `InService` (while the health probe, if any, passes). */
  instanceWarmupMs: number;
  /** Clock in epoch ms; defaults to `Date.now`. */
  now?: () => number;
}

export interface CreateLoadBalancerInput {
  name: string;
  listeners: Listener[];
  availabilityZones?: string[];
  subnets?: string[];
  securityGroups?: string[];
  scheme?: 'internet-facing' | 'internal';
  tags?: Record<string, string>;
}

type InstanceState = 'InService' | 'OutOfService' | 'Unknown';

export interface InstanceHealth {
  instanceId: string;
  state: InstanceState;
  reasonCode: string;
  description: string;
}

/**
 * Whether the load balancer's health check target passes on an instance now: true or false, or
 * undefined when the probe cannot tell (an instance it does not know), leaving the warm-up to decide.
 * `ElbStore.setHealthProbe` installs one; `startSandbox` sets the cluster's (sandbox/net/health-probe.ts).
 */
export type HealthProbe = (lb: { name: string; healthCheck: HealthCheck }, instanceId: string) => boolean | undefined;

export interface ElbChangeEvent {
  type: 'created' | 'deleted';
  lb: LoadBalancer;
}

/** An error AWS's ELB API would answer with: `code` is the Query API error code (`<Code>`). */
export class ElbError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
    readonly type: 'Sender' | 'Receiver',
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** A client error (HTTP 400, `<Type>Sender</Type>`). */
export function senderError(code: string, message: string, status = 400): ElbError {
  return new ElbError(code, message, status, 'Sender');
}

export function loadBalancerNotFound(name: string): ElbError {
  return senderError('LoadBalancerNotFound', `There is no ACTIVE Load Balancer named '${name}'`);
}

/**
 * Route 53 hosted zone ids of Classic Load Balancers per region, as published in the AWS General
 * Reference ("Elastic Load Balancing endpoints and quotas").
 */
const HOSTED_ZONE_IDS: Readonly<Record<string, string>> = {
  'us-east-1': 'Z35SXDOTRQ7X7K',
  'us-east-2': 'Z3AADJGX6KTTL2',
  'us-west-1': 'Z368ELLRRE2KJ0',
  'us-west-2': 'Z1H1FL5HABSF5',
  'ca-central-1': 'ZQSVJUPU6J1EY',
  'eu-west-1': 'Z32O12XQLNTSW2',
  'eu-west-2': 'ZHURV8PSTC4K8',
  'eu-west-3': 'Z3Q77PNBQS71R4',
  'eu-central-1': 'Z215JYRZR1TBD5',
  'eu-north-1': 'Z23TAZ6LKFMNIO',
  'ap-south-1': 'ZP97RAFLXTNZK',
  'ap-northeast-1': 'Z14GRHDCWA56QT',
  'ap-northeast-2': 'ZWKZPGTI48KDX',
  'ap-southeast-1': 'Z1LMS91P8CMLE5',
  'ap-southeast-2': 'Z1GM3OXH4ZPM65',
  'sa-east-1': 'Z2P70J7HTTTPLU',
};
const DEFAULT_HOSTED_ZONE_ID = 'Z35SXDOTRQ7X7K';

/** Route 53 hosted zone id of Classic (and Application) Load Balancers' DNS names in `region`. */
export function hostedZoneIdFor(region: string): string {
  return HOSTED_ZONE_IDS[region] ?? DEFAULT_HOSTED_ZONE_ID;
}

const MAX_NAME_LENGTH = 32;
const MAX_TAGS = 10;
const MAX_TAG_KEY_LENGTH = 128;
const MAX_TAG_VALUE_LENGTH = 256;
/** TagKey / TagValue pattern of the ELB API model. */
const TAG_PATTERN = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;
const PROTOCOLS = ['HTTP', 'HTTPS', 'TCP', 'SSL'] as const;
const LAYER7 = new Set(['HTTP', 'HTTPS']);

export const REGISTRATION_IN_PROGRESS = 'Instance registration is still in progress.';
/** DescribeInstanceHealth's Description of an instance failing its health check (InstanceState, ELB API reference). */
export const FAILED_HEALTH_CHECKS = 'Instance has failed at least the UnhealthyThreshold number of health checks consecutively.';

/** Throws `ValidationError` unless `name` is a valid classic load balancer name. */
export function validateLoadBalancerName(name: string): void {
  if (name.length === 0) {
    throw senderError('ValidationError', 'LoadBalancer name cannot be empty');
  }
  if (name.length > MAX_NAME_LENGTH) {
    throw senderError('ValidationError', `LoadBalancer name cannot be longer than ${MAX_NAME_LENGTH} characters`);
  }
  if (!/^[A-Za-z0-9-]+$/.test(name)) {
    throw senderError(
      'ValidationError',
      'LoadBalancer name cannot contain characters that are not letters, or digits or the dash.',
    );
  }
  if (name.startsWith('-') || name.endsWith('-')) {
    throw senderError('ValidationError', 'LoadBalancer name cannot begin or end with a hyphen');
  }
}

function validatePort(value: number, what: string): void {
  if (!Number.isInteger(value) || value < 1 || value > 65535) {
    throw senderError('ValidationError', `${what} must be an integer between 1 and 65535, got '${value}'`);
  }
}

function normalizeProtocol(value: string, what: string): string {
  const upper = value.toUpperCase();
  if (!(PROTOCOLS as readonly string[]).includes(upper)) {
    throw senderError('ValidationError', `Invalid ${what} '${value}': must be one of ${PROTOCOLS.join(', ')}`);
  }
  return upper;
}

/** Validates one listener and returns it with upper-case protocols and defaulted instance protocol. */
function normalizeListener(l: Listener): Listener {
  const protocol = normalizeProtocol(l.protocol, 'listener protocol');
  validatePort(l.loadBalancerPort, 'LoadBalancerPort');
  validatePort(l.instancePort, 'InstancePort');
  const instanceProtocol = l.instanceProtocol
    ? normalizeProtocol(l.instanceProtocol, 'instance protocol')
    : LAYER7.has(protocol)
      ? 'HTTP'
      : 'TCP';
  if (LAYER7.has(protocol) !== LAYER7.has(instanceProtocol)) {
    throw senderError(
      'ValidationError',
      `Listener protocol '${protocol}' and instance protocol '${instanceProtocol}' are not compatible: ` +
        'HTTP/HTTPS front ends need HTTP/HTTPS back ends, TCP/SSL front ends need TCP/SSL back ends',
    );
  }
  const sslCertificateId = l.sslCertificateId || undefined;
  if ((protocol === 'HTTPS' || protocol === 'SSL') && !sslCertificateId) {
    throw senderError('ValidationError', `A listener with protocol ${protocol} requires an SSLCertificateId`);
  }
  const out: Listener = { protocol, loadBalancerPort: l.loadBalancerPort, instanceProtocol, instancePort: l.instancePort };
  if (sslCertificateId) out.sslCertificateId = sslCertificateId;
  return out;
}

function sameListener(a: Listener, b: Listener): boolean {
  return (
    a.protocol === b.protocol &&
    a.loadBalancerPort === b.loadBalancerPort &&
    a.instanceProtocol === b.instanceProtocol &&
    a.instancePort === b.instancePort &&
    (a.sslCertificateId ?? '') === (b.sslCertificateId ?? '')
  );
}

/** Validates listeners; identical repeats collapse, conflicting ones on one port are `DuplicateListener`. */
function normalizeListeners(name: string, listeners: Listener[]): Listener[] {
  if (listeners.length === 0) {
    throw senderError('ValidationError', 'At least one listener must be specified');
  }
  const byPort = new Map<number, Listener>();
  for (const raw of listeners) {
    const l = normalizeListener(raw);
    const existing = byPort.get(l.loadBalancerPort);
    if (existing && !sameListener(existing, l)) {
      throw senderError(
        'DuplicateListener',
        `A listener already exists for ${name} with LoadBalancerPort ${l.loadBalancerPort}, ` +
          'but with a different InstancePort, Protocol, or SSLCertificateId',
      );
    }
    byPort.set(l.loadBalancerPort, l);
  }
  return [...byPort.values()];
}

function sameListenerSet(a: Listener[], b: Listener[]): boolean {
  return a.length === b.length && a.every((x) => b.some((y) => sameListener(x, y)));
}

/**
 * Validates tags as AddTags/CreateLoadBalancer do (keys 1–128 chars, no `aws:` prefix, values ≤ 256);
 * the ELBv2 API has the same rules (TagKey/TagValue of its model), only a larger quota per resource.
 */
export function validateTags(tags: Record<string, string>): void {
  for (const [key, value] of Object.entries(tags)) {
    if (key.length < 1 || key.length > MAX_TAG_KEY_LENGTH) {
      throw senderError('ValidationError', `Tag key must be between 1 and ${MAX_TAG_KEY_LENGTH} characters long: '${key}'`);
    }
    if (!TAG_PATTERN.test(key) || !TAG_PATTERN.test(value)) {
      throw senderError(
        'ValidationError',
        `Tag '${key}' has characters outside letters, digits, white space and _ . : / = + - @`,
      );
    }
    if (key.toLowerCase().startsWith('aws:')) {
      throw senderError('ValidationError', `Tag keys starting with 'aws:' are reserved for AWS use: '${key}'`);
    }
    if (value.length > MAX_TAG_VALUE_LENGTH) {
      throw senderError('ValidationError', `Tag value for key '${key}' cannot be longer than ${MAX_TAG_VALUE_LENGTH} characters`);
    }
  }
}

function tooManyTags(name: string): ElbError {
  return senderError(
    'TooManyTags',
    `The quota for the number of tags (${MAX_TAGS}) that can be assigned to load balancer '${name}' has been reached.`,
  );
}

/** Validates a health check as ConfigureHealthCheck does; returns it with an upper-case target protocol. */
function normalizeHealthCheck(hc: HealthCheck): HealthCheck {
  const match = /^([A-Za-z]+):(\d+)(.*)$/.exec(hc.target);
  if (!match) {
    throw senderError('ValidationError', `Invalid health check target '${hc.target}': expected PROTOCOL:PORT[/PATH]`);
  }
  const protocol = normalizeProtocol(match[1] ?? '', 'health check target protocol');
  const port = Number(match[2]);
  const path = match[3] ?? '';
  validatePort(port, 'Health check target port');
  if (LAYER7.has(protocol)) {
    if (!path.startsWith('/')) {
      throw senderError('ValidationError', `Health check target '${hc.target}' must have a path starting with '/' for ${protocol}`);
    }
    if (path.length > 1024) {
      throw senderError('ValidationError', 'Health check target path cannot be longer than 1024 characters');
    }
  } else if (path !== '') {
    throw senderError('ValidationError', `Health check target '${hc.target}' cannot have a path for ${protocol}`);
  }
  const range = (value: number, what: string, min: number, max: number): void => {
    if (!Number.isInteger(value) || value < min || value > max) {
      throw senderError('ValidationError', `${what} must be between ${min} and ${max}, got '${value}'`);
    }
  };
  range(hc.interval, 'Interval', 5, 300);
  range(hc.timeout, 'Timeout', 2, 60);
  range(hc.unhealthyThreshold, 'UnhealthyThreshold', 2, 10);
  range(hc.healthyThreshold, 'HealthyThreshold', 2, 10);
  if (hc.timeout >= hc.interval) {
    throw senderError('ValidationError', 'Interval must be greater than the timeout.');
  }
  return { ...hc, target: `${protocol}:${port}${path}` };
}

function hash(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/** `prefix-` and `length` hex digits derived from `seed` (AWS-style resource ids: `vpc-`, `sg-`, `subnet-`). */
export function hexId(prefix: string, seed: string, length = 17): string {
  return `${prefix}-${hash(seed).toString('hex').slice(0, length)}`;
}

/**
 * Two distinct addresses in 127.0.0.0/8, derived from the name only (so a re-created load balancer
 * resolves to the same addresses). Never 127.0.0.x, never a .0 or .255 last octet.
 */
export function loopbackAddressesFor(name: string): string[] {
  const h = hash(`elb-address:${name}`);
  const at = (i: number): string =>
    `127.${1 + ((h[i] ?? 0) % 254)}.${h[i + 1] ?? 0}.${1 + ((h[i + 2] ?? 0) % 254)}`;
  const first = at(0);
  let second = at(3);
  for (let i = 6; second === first && i + 2 < h.length; i += 3) second = at(i);
  return [first, second];
}

interface LbRecord {
  name: string;
  dnsName: string;
  createdTime: number;
  scheme: 'internet-facing' | 'internal';
  listeners: Listener[];
  healthCheck: HealthCheck;
  /** instance id -> epoch ms it was registered, in registration order */
  instances: Map<string, number>;
  availabilityZones: string[];
  subnets: string[];
  securityGroups: string[];
  vpcId: string;
  tags: Map<string, string>;
  dnsVisibleAt: number;
  addresses: string[];
}

export class ElbStore {
  readonly region: string;
  private readonly dnsDelayMs: number;
  private readonly instanceWarmupMs: number;
  private readonly now: () => number;
  private readonly records = new Map<string, LbRecord>();
  /** lower-case DNS name -> load balancer name */
  private readonly byDnsName = new Map<string, string>();
  private readonly listeners = new Set<(ev: ElbChangeEvent) => void>();
  private probe: HealthProbe | undefined;
  private groupNames: ((groupId: string) => string | undefined) | undefined;

  constructor(opts: ElbStoreOptions) {
    this.region = opts.region;
    this.dnsDelayMs = opts.dnsDelayMs;
    this.instanceWarmupMs = opts.instanceWarmupMs;
    this.now = opts.now ?? Date.now;
  }

  /** The VPC every load balancer of this sandbox lives in (its region's "default VPC"). */
  get vpcId(): string {
    return hexId('vpc', `vpc:${this.region}`);
  }

  /** The security group a load balancer gets when created without any (its VPC's "default" group). */
  get defaultSecurityGroup(): string {
    return hexId('sg', `default-sg:${this.vpcId}`);
  }

  /**
   * Where security group names come from (the EC2 state, set by `startSandbox`): the name
   * DescribeLoadBalancers shows as `SourceSecurityGroup.GroupName`.
   */
  setSecurityGroupNames(lookup: ((groupId: string) => string | undefined) | undefined): void {
    this.groupNames = lookup;
  }

  /** A security group's name: from the lookup set, else `default` for the default group, else its id. */
  securityGroupName(groupId: string): string {
    return this.groupNames?.(groupId) ?? (groupId === this.defaultSecurityGroup ? 'default' : groupId);
  }

  /**
   * CreateLoadBalancer. Idempotent as on AWS: the same name with the same listeners and scheme returns
   * the existing load balancer unchanged; the same name with a different configuration is
   * `DuplicateLoadBalancerName`.
   */
  create(input: CreateLoadBalancerInput): LoadBalancer {
    validateLoadBalancerName(input.name);
    const listeners = normalizeListeners(input.name, input.listeners);
    const scheme = input.scheme ?? 'internet-facing';
    if (scheme !== 'internet-facing' && scheme !== 'internal') {
      throw senderError('ValidationError', `Invalid scheme '${String(scheme)}': must be 'internet-facing' or 'internal'`);
    }
    const existing = this.records.get(input.name);
    if (existing) {
      if (existing.scheme === scheme && sameListenerSet(existing.listeners, listeners)) {
        return this.snapshot(existing);
      }
      throw senderError(
        'DuplicateLoadBalancerName',
        `Load Balancer named '${input.name}' already exists and it is configured with different parameters.`,
      );
    }
    const { availabilityZones, subnets } = this.placement(input.availabilityZones ?? [], input.subnets ?? []);
    const securityGroups = [...new Set(input.securityGroups ?? [])];
    for (const sg of securityGroups) {
      if (!/^sg-[0-9A-Za-z]+$/.test(sg)) {
        throw senderError('InvalidSecurityGroup', `One or more of the specified security groups do not exist: '${sg}'`);
      }
    }
    const tags = input.tags ?? {};
    validateTags(tags);
    if (Object.keys(tags).length > MAX_TAGS) throw tooManyTags(input.name);

    const createdTime = this.now();
    const first = listeners[0];
    const record: LbRecord = {
      name: input.name,
      dnsName: this.newDnsName(input.name, scheme),
      createdTime,
      scheme,
      listeners,
      healthCheck: {
        target: `TCP:${first?.instancePort ?? 80}`,
        interval: 30,
        timeout: 5,
        unhealthyThreshold: 2,
        healthyThreshold: 10,
      },
      instances: new Map(),
      availabilityZones,
      subnets,
      securityGroups: securityGroups.length > 0 ? securityGroups : [this.defaultSecurityGroup],
      vpcId: this.vpcId,
      tags: new Map(Object.entries(tags)),
      dnsVisibleAt: createdTime + this.dnsDelayMs,
      addresses: loopbackAddressesFor(input.name),
    };
    this.records.set(record.name, record);
    this.byDnsName.set(record.dnsName.toLowerCase(), record.name);
    const lb = this.snapshot(record);
    this.emit({ type: 'created', lb });
    return lb;
  }

  get(name: string): LoadBalancer | undefined {
    const record = this.records.get(name);
    return record ? this.snapshot(record) : undefined;
  }

  /** Every load balancer, sorted by name. */
  list(): LoadBalancer[] {
    return [...this.records.values()]
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
      .map((r) => this.snapshot(r));
  }

  /** DeleteLoadBalancer; deleting an absent load balancer succeeds (returns false), as on AWS. */
  delete(name: string): boolean {
    const record = this.records.get(name);
    if (!record) return false;
    this.records.delete(name);
    this.byDnsName.delete(record.dnsName.toLowerCase());
    this.emit({ type: 'deleted', lb: this.snapshot(record) });
    return true;
  }

  /** AddTags: adds or overwrites tags on every named load balancer; all-or-nothing. */
  addTags(names: string[], tags: Record<string, string>): void {
    validateTags(tags);
    const records = names.map((n) => this.require(n));
    for (const record of records) {
      const merged = new Map([...record.tags, ...Object.entries(tags)]);
      if (merged.size > MAX_TAGS) throw tooManyTags(record.name);
    }
    for (const record of records) {
      for (const [key, value] of Object.entries(tags)) record.tags.set(key, value);
    }
  }

  /** RemoveTags: removes the keys (absent keys are ignored) from every named load balancer. */
  removeTags(names: string[], keys: string[]): void {
    const records = names.map((n) => this.require(n));
    for (const record of records) {
      for (const key of keys) record.tags.delete(key);
    }
  }

  /**
   * DeleteLoadBalancerListeners + CreateLoadBalancerListeners in one step: what the cloud controller does
   * when a Service's ports or node ports change.
   */
  replaceListeners(name: string, listeners: Listener[]): Listener[] {
    const record = this.require(name);
    record.listeners = normalizeListeners(name, listeners);
    return record.listeners.map((l) => ({ ...l }));
  }

  configureHealthCheck(name: string, hc: HealthCheck): HealthCheck {
    const record = this.require(name);
    record.healthCheck = normalizeHealthCheck(hc);
    return { ...record.healthCheck };
  }

  /**
   * RegisterInstancesWithLoadBalancer; returns every registered instance id. Re-registering an
   * instance keeps its original registration time. Any non-empty id is accepted (there is no EC2 here).
   */
  registerInstances(name: string, instanceIds: string[]): string[] {
    const record = this.require(name);
    for (const id of instanceIds) {
      if (id.length === 0) throw senderError('InvalidInstance', 'The specified EC2 instance id is empty.');
    }
    const at = this.now();
    for (const id of instanceIds) {
      if (!record.instances.has(id)) record.instances.set(id, at);
    }
    return [...record.instances.keys()];
  }

  /** DeregisterInstancesFromLoadBalancer; ids that are not registered are ignored. Returns the remaining ids. */
  deregisterInstances(name: string, instanceIds: string[]): string[] {
    const record = this.require(name);
    for (const id of instanceIds) record.instances.delete(id);
    return [...record.instances.keys()];
  }

  /**
   * Sets what decides whether an instance passes the health check once its warm-up is over (see
   * `instanceHealth`); undefined (the default) lets the warm-up alone decide.
   */
  setHealthProbe(probe: HealthProbe | undefined): void {
    this.probe = probe;
  }

  /** The health probe in force (undefined: the warm-up alone decides). */
  get healthProbe(): HealthProbe | undefined {
    return this.probe;
  }

  /**
   * DescribeInstanceHealth: a registered instance is `OutOfService` (`ELB`, registration in progress)
   * until `instanceWarmupMs` after its registration; then `InService` while the health probe passes (or
   * cannot tell, or there is none), else `OutOfService` with ReasonCode `Instance` — asked afresh on
   * every call, so it follows the instance back and forth. Asking for an instance that is not
   * registered is `InvalidInstance`.
   */
  instanceHealth(name: string, instanceIds?: string[]): InstanceHealth[] {
    const record = this.require(name);
    const ids = instanceIds && instanceIds.length > 0 ? instanceIds : [...record.instances.keys()];
    const now = this.now();
    return ids.map((instanceId) => {
      const registeredAt = record.instances.get(instanceId);
      if (registeredAt === undefined) {
        throw senderError(
          'InvalidInstance',
          `Could not find EC2 instance ${instanceId} registered with load balancer '${name}'.`,
        );
      }
      if (now < registeredAt + this.instanceWarmupMs) {
        return { instanceId, state: 'OutOfService' as const, reasonCode: 'ELB', description: REGISTRATION_IN_PROGRESS };
      }
      return this.probe?.({ name: record.name, healthCheck: { ...record.healthCheck } }, instanceId) === false
        ? { instanceId, state: 'OutOfService' as const, reasonCode: 'Instance', description: FAILED_HEALTH_CHECKS }
        : { instanceId, state: 'InService' as const, reasonCode: 'N/A', description: 'N/A' };
    });
  }

  /** The load balancer whose DNS name is `host` (case-insensitive, trailing dot tolerated). */
  findByDnsName(host: string): LoadBalancer | undefined {
    const name = this.byDnsName.get(host.toLowerCase().replace(/\.$/, ''));
    return name === undefined ? undefined : this.get(name);
  }

  /**
   * Calls `listener` after a load balancer is created (not on an idempotent re-create) or deleted.
   * Returns the unsubscribe function. Every listener is called even if one throws; the errors are
   * then rethrown to the caller of the mutation (as an AggregateError when there are several).
   */
  onChange(listener: (ev: ElbChangeEvent) => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  private emit(ev: ElbChangeEvent): void {
    const errors: unknown[] = [];
    for (const listener of [...this.listeners]) {
      try {
        listener(ev);
      } catch (err) {
        errors.push(err);
      }
    }
    if (errors.length === 1) throw errors[0];
    if (errors.length > 1) throw new AggregateError(errors, `${errors.length} ElbStore change listeners failed`);
  }

  private require(name: string): LbRecord {
    const record = this.records.get(name);
    if (!record) throw loadBalancerNotFound(name);
    return record;
  }

  /** AvailabilityZones and/or Subnets as AWS fills them in: one implies the other inside the default VPC. */
  private placement(zones: string[], subnetIds: string[]): { availabilityZones: string[]; subnets: string[] } {
    if (zones.length === 0 && subnetIds.length === 0) {
      throw senderError('ValidationError', 'Either AvailabilityZones or Subnets must be specified');
    }
    const zoneOf = (subnet: string): string => `${this.region}${'abc'[(hash(subnet)[0] ?? 0) % 3]}`;
    for (const zone of zones) {
      if (!new RegExp(`^${this.region.replace(/[^a-z0-9-]/g, '')}[a-z]$`).test(zone)) {
        throw senderError('ValidationError', `Invalid Availability Zone '${zone}' for region ${this.region}`);
      }
    }
    for (const subnet of subnetIds) {
      if (!/^subnet-[0-9A-Za-z]+$/.test(subnet)) {
        throw senderError('SubnetNotFound', `One or more of the specified subnets do not exist: '${subnet}'`);
      }
    }
    if (subnetIds.length > 0) {
      const subnets = [...new Set(subnetIds)];
      return { subnets, availabilityZones: [...new Set(subnets.map(zoneOf))].sort() };
    }
    const availabilityZones = [...new Set(zones)].sort();
    return { availabilityZones, subnets: availabilityZones.map((z) => hexId('subnet', `default-subnet:${z}`)) };
  }

  private newDnsName(name: string, scheme: 'internet-facing' | 'internal'): string {
    const prefix = scheme === 'internal' ? 'internal-' : '';
    for (;;) {
      const digits = randomInt(1_000_000_000, 10_000_000_000);
      const dnsName = `${prefix}${name}-${digits}.${this.region}.elb.amazonaws.com`;
      if (!this.byDnsName.has(dnsName.toLowerCase())) return dnsName;
    }
  }

  private snapshot(r: LbRecord): LoadBalancer {
    return {
      name: r.name,
      dnsName: r.dnsName,
      canonicalHostedZoneName: r.dnsName,
      canonicalHostedZoneNameID: hostedZoneIdFor(this.region),
      createdTime: new Date(r.createdTime),
      scheme: r.scheme,
      listeners: r.listeners.map((l) => ({ ...l })),
      healthCheck: { ...r.healthCheck },
      instances: [...r.instances.keys()],
      availabilityZones: [...r.availabilityZones],
      subnets: [...r.subnets],
      securityGroups: [...r.securityGroups],
      vpcId: r.vpcId,
      tags: new Map(r.tags),
      dnsVisibleAt: r.dnsVisibleAt,
      addresses: [...r.addresses],
    };
  }
}

/**
 * In-memory state of the sandbox's Elastic Load Balancing v2 resources (API version 2015-12-01):
 * Application and Network Load Balancers, their listeners, target groups and their targets, and their
 * tags.
 *
 * Written from the ELBv2 API reference, independently of svcbot's own logic. Load balancer names are
 * a namespace of their own, apart from the classic API's (`ElbStore`): the two are separate APIs on
 * AWS, and a classic and a v2 load balancer of one name can exist side by side (that is how a
 * Kubernetes Service switched from a Classic to a Network Load Balancer leaves its old one behind).
 *
 * Listeners forward to one target group each (`forward` default actions only; no rules). A target group
 * serves the load balancers whose listeners forward to it; tests can also put it behind a load balancer
 * without a listener (`attachTargetGroup`), and pin a target's health (`setTargetHealth`, what a failing
 * or passing health check does).
 */
import { createHash, randomBytes, randomInt } from 'node:crypto';
import { type ElbError, hostedZoneIdFor, loopbackAddressesFor, senderError, validateTags } from './store.js';

export type LoadBalancerType = 'application' | 'network';
export type LoadBalancerScheme = 'internet-facing' | 'internal';
type LoadBalancerStateCode = 'provisioning' | 'active';
type TargetHealthState = 'initial' | 'healthy' | 'unhealthy' | 'unused';

export interface V2LoadBalancer {
  arn: string;
  name: string;
  type: LoadBalancerType;
  scheme: LoadBalancerScheme;
  dnsName: string;
  canonicalHostedZoneId: string;
  createdTime: Date;
  /** `provisioning` until its DNS name resolves (createdTime + dnsDelay), then `active`. */
  state: LoadBalancerStateCode;
  vpcId: string;
  availabilityZones: { zoneName: string; subnetId: string }[];
  securityGroups: string[];
  ipAddressType: 'ipv4';
  tags: Map<string, string>;
  /** epoch ms when its DNS name starts resolving */
  dnsVisibleAt: number;
  /** Two loopback (127.0.0.0/8) addresses its DNS name resolves to; deterministic from the ARN. */
  addresses: string[];
}

export interface V2TargetGroup {
  arn: string;
  name: string;
  protocol: string;
  port: number;
  vpcId: string;
  targetType: 'instance' | 'ip';
  healthCheckProtocol: string;
  healthCheckPort: string;
  healthCheckEnabled: boolean;
  healthCheckIntervalSeconds: number;
  healthCheckTimeoutSeconds: number;
  healthyThresholdCount: number;
  unhealthyThresholdCount: number;
  healthCheckPath?: string;
  matcherHttpCode?: string;
  /** Load balancers whose listeners forward to it, in attachment order. */
  loadBalancerArns: string[];
  tags: Map<string, string>;
}

/** A listener's default action: the sandbox simulates `forward` to one target group. */
interface V2ListenerAction {
  type: 'forward';
  targetGroupArn: string;
  order?: number;
}

export interface V2Listener {
  arn: string;
  loadBalancerArn: string;
  port: number;
  protocol: string;
  /** Certificate ARNs (HTTPS and TLS listeners). */
  certificates: string[];
  /** HTTPS and TLS listeners only. */
  sslPolicy?: string;
  defaultActions: V2ListenerAction[];
}

export interface TargetHealthDescription {
  id: string;
  port: number;
  healthCheckPort: string;
  state: TargetHealthState;
  /** `Elb.RegistrationInProgress`, `Target.FailedHealthChecks`, …; absent when healthy. */
  reason?: string;
  description?: string;
}

export interface V2StoreOptions {
  region: string;
  /** Account id in the ARNs. */
  accountId?: string;
  /** How long after creation a load balancer's DNS name resolves (and its state turns `active`). */
  dnsDelayMs: number;
  /** How long a registered target stays `initial` before its health checks pass (`healthy`). */
  targetWarmupMs: number;
  /** Clock in epoch ms; defaults to `Date.now`. */
  now?: () => number;
}

export interface CreateV2LoadBalancerInput {
  name: string;
  /** `application` when absent, as on AWS. */
  type?: string;
  scheme?: string;
  subnets?: string[];
  securityGroups?: string[];
  tags?: Record<string, string>;
}

export interface CreateTargetGroupInput {
  name: string;
  protocol?: string;
  port?: number;
  vpcId?: string;
  targetType?: string;
  healthCheckProtocol?: string;
  healthCheckPort?: string;
  healthCheckPath?: string;
  tags?: Record<string, string>;
}

export interface CreateListenerInput {
  loadBalancerArn: string;
  protocol?: string;
  port?: number;
  certificates?: string[];
  sslPolicy?: string;
  defaultActions: { type: string; targetGroupArn?: string; order?: number }[];
}

/** Tags per ELBv2 resource (load balancer or target group), per the ELBv2 quotas. */
const MAX_TAGS = 50;
const MAX_NAME_LENGTH = 32;
const TG_PROTOCOLS: readonly string[] = ['HTTP', 'HTTPS', 'TCP', 'TLS', 'UDP', 'TCP_UDP'];
/** Listeners per load balancer, per the ELBv2 quotas. */
const MAX_LISTENERS = 50;
/** Listener protocols per load balancer type (CreateListener, "Protocol"). */
const LISTENER_PROTOCOLS: Readonly<Record<LoadBalancerType, readonly string[]>> = {
  application: ['HTTP', 'HTTPS'],
  network: ['TCP', 'TLS', 'UDP', 'TCP_UDP'],
};
/**
 * The target group protocols a listener may forward to, per the listener's protocol (Network Load
 * Balancers: "TCP_UDP" target groups serve TCP and UDP listeners; a TLS listener may forward to TCP).
 */
const FORWARDS_TO: Readonly<Record<string, readonly string[]>> = {
  HTTP: ['HTTP', 'HTTPS'],
  HTTPS: ['HTTP', 'HTTPS'],
  TCP: ['TCP', 'TCP_UDP'],
  TLS: ['TCP', 'TLS'],
  UDP: ['UDP', 'TCP_UDP'],
  TCP_UDP: ['TCP_UDP'],
};
/** The security policy AWS gives an HTTPS or TLS listener created without one. */
const DEFAULT_SSL_POLICY = 'ELBSecurityPolicy-TLS13-1-2-2021-06';
const LB_ARN = /^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:\d{12}:loadbalancer\/(app|net)\/([A-Za-z0-9-]+)\/([0-9a-f]{16})$/;
const TG_ARN = /^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:\d{12}:targetgroup\/([A-Za-z0-9-]+)\/([0-9a-f]{16})$/;

/**
 * Route 53 hosted zone ids of Network Load Balancers' DNS names, as published in the AWS General
 * Reference ("Elastic Load Balancing endpoints and quotas"); Application Load Balancers share the
 * classic ones.
 */
const NLB_HOSTED_ZONE_IDS: Readonly<Record<string, string>> = {
  'us-east-1': 'Z26RNL4JYFTOTI',
  'us-east-2': 'ZLMOA37VPKANP',
  'us-west-2': 'Z18D5FSROUN65G',
  'eu-west-1': 'Z2IFOLAFXWLO4F',
  'eu-central-1': 'Z3F0SRJ5LGBH90',
};

export function isLoadBalancerArn(arn: string): boolean {
  return LB_ARN.test(arn);
}

export function isTargetGroupArn(arn: string): boolean {
  return TG_ARN.test(arn);
}

export function loadBalancerArnNotFound(arn: string): ElbError {
  return senderError('LoadBalancerNotFound', `Load balancer '${arn}' not found`);
}

export function loadBalancerNamesNotFound(names: string[]): ElbError {
  return senderError('LoadBalancerNotFound', `Load balancers '[${names.join(', ')}]' not found`);
}

export function listenerNotFound(): ElbError {
  return senderError('ListenerNotFound', 'One or more listeners not found');
}

export function targetGroupNotFound(arnOrName?: string): ElbError {
  return senderError(
    'TargetGroupNotFound',
    arnOrName === undefined ? 'One or more target groups not found' : `Target groups '[${arnOrName}]' not found`,
  );
}

function validationError(message: string): ElbError {
  return senderError('ValidationError', message);
}

/** Throws `ValidationError` unless `name` is a valid ELBv2 load balancer or target group name. */
function validateName(name: string, what: 'load balancer' | 'target group'): void {
  if (name.length === 0 || name.length > MAX_NAME_LENGTH) {
    throw validationError(`The ${what} name '${name}' must be between 1 and ${MAX_NAME_LENGTH} characters long`);
  }
  if (!/^[A-Za-z0-9-]+$/.test(name)) {
    throw validationError(`The ${what} name '${name}' can contain only alphanumeric characters and hyphens`);
  }
  if (name.startsWith('-') || name.endsWith('-')) {
    throw validationError(`The ${what} name '${name}' cannot begin or end with a hyphen`);
  }
  if (what === 'load balancer' && name.toLowerCase().startsWith('internal-')) {
    throw validationError(`The load balancer name '${name}' cannot begin with 'internal-'`);
  }
}

function checkTagQuota(existing: number, tags: Record<string, string>, current: Map<string, string>): void {
  const added = Object.keys(tags).filter((k) => !current.has(k)).length;
  if (existing + added > MAX_TAGS) {
    throw senderError('TooManyTags', `The quota for the number of tags (${MAX_TAGS}) that can be assigned to a resource has been reached`);
  }
}

function hash(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

interface LbRecord extends Omit<V2LoadBalancer, 'createdTime' | 'state' | 'tags' | 'canonicalHostedZoneId'> {
  createdTime: number;
  tags: Map<string, string>;
}

interface TargetRecord {
  id: string;
  port: number;
  registeredAt: number;
  /** A health pinned by `setTargetHealth`; the warm-up decides when absent. */
  pinned?: 'healthy' | 'unhealthy';
}

interface TgRecord extends Omit<V2TargetGroup, 'tags' | 'loadBalancerArns'> {
  /** Load balancers it was put behind with `attachTargetGroup` (listeners forwarding to it count too). */
  attachedTo: string[];
  tags: Map<string, string>;
  /** `id:port` -> target, in registration order */
  targets: Map<string, TargetRecord>;
}

export class ElbV2Store {
  readonly region: string;
  readonly accountId: string;
  private readonly dnsDelayMs: number;
  private readonly targetWarmupMs: number;
  private readonly now: () => number;
  /** by ARN */
  private readonly lbs = new Map<string, LbRecord>();
  /** name -> ARN */
  private readonly lbNames = new Map<string, string>();
  /** lower-case DNS name -> ARN */
  private readonly byDnsName = new Map<string, string>();
  /** by ARN */
  private readonly tgs = new Map<string, TgRecord>();
  /** by ARN */
  private readonly listeners = new Map<string, V2Listener>();

  constructor(opts: V2StoreOptions) {
    this.region = opts.region;
    this.accountId = opts.accountId ?? '123456789012';
    this.dnsDelayMs = opts.dnsDelayMs;
    this.targetWarmupMs = opts.targetWarmupMs;
    this.now = opts.now ?? Date.now;
  }

  /** The VPC of this sandbox's region ("default VPC"), the same id the classic API reports. */
  get vpcId(): string {
    return `vpc-${hash(`vpc:${this.region}`).toString('hex').slice(0, 17)}`;
  }

  // -------------------------------------------------------------------------------------------------
  // Load balancers

  /**
   * CreateLoadBalancer. Idempotent as on AWS: the same name with the same type, scheme, subnets and
   * security groups returns the existing load balancer; the same name otherwise is
   * `DuplicateLoadBalancerName`.
   */
  createLoadBalancer(input: CreateV2LoadBalancerInput): V2LoadBalancer {
    validateName(input.name, 'load balancer');
    const requested = input.type ?? 'application';
    if (requested === 'gateway') {
      throw validationError('Gateway Load Balancers are not simulated by this sandbox; use application or network');
    }
    if (!isLoadBalancerType(requested)) {
      throw validationError(`Value '${requested}' at 'type' failed to satisfy constraint: Member must satisfy enum value set: [application, network, gateway]`);
    }
    const type = requested;
    const scheme = input.scheme ?? 'internet-facing';
    if (scheme !== 'internet-facing' && scheme !== 'internal') {
      throw validationError(`Value '${scheme}' at 'scheme' failed to satisfy constraint: Member must satisfy enum value set: [internet-facing, internal]`);
    }
    const subnets = [...new Set(input.subnets ?? [])];
    if (subnets.length === 0) throw validationError('At least one subnet must be specified');
    for (const subnet of subnets) {
      if (!/^subnet-[0-9A-Za-z]+$/.test(subnet)) {
        throw senderError('SubnetNotFound', `The subnet ID '${subnet}' is not valid`);
      }
    }
    const securityGroups = [...new Set(input.securityGroups ?? [])];
    for (const sg of securityGroups) {
      if (!/^sg-[0-9A-Za-z]+$/.test(sg)) {
        throw senderError('InvalidSecurityGroup', `Security group '${sg}' does not exist`);
      }
    }
    const tags = input.tags ?? {};
    validateTags(tags);
    checkTagQuota(0, tags, new Map());

    const existingArn = this.lbNames.get(input.name);
    const existing = existingArn === undefined ? undefined : this.lbs.get(existingArn);
    if (existing) {
      const same =
        existing.type === type &&
        existing.scheme === scheme &&
        sameSet(existing.availabilityZones.map((z) => z.subnetId), subnets) &&
        (securityGroups.length === 0 || sameSet(existing.securityGroups, securityGroups));
      if (same) return this.lbSnapshot(existing);
      throw senderError('DuplicateLoadBalancerName', `A load balancer with the same name '${input.name}' exists, but with different settings`);
    }

    let id: string;
    do id = randomBytes(8).toString('hex');
    while (this.lbs.has(this.lbArn(type, input.name, id)));
    const arn = this.lbArn(type, input.name, id);
    const createdTime = this.now();
    const record: LbRecord = {
      arn,
      name: input.name,
      type,
      scheme,
      dnsName: this.newDnsName(input.name, type, scheme, id),
      createdTime,
      vpcId: this.vpcId,
      availabilityZones: subnets.map((subnetId) => ({ zoneName: this.zoneOf(subnetId), subnetId })),
      securityGroups:
        securityGroups.length > 0 || type === 'network'
          ? securityGroups
          : [`sg-${hash(`default-sg:${this.vpcId}`).toString('hex').slice(0, 17)}`],
      ipAddressType: 'ipv4',
      tags: new Map(Object.entries(tags)),
      dnsVisibleAt: createdTime + this.dnsDelayMs,
      addresses: loopbackAddressesFor(arn),
    };
    this.lbs.set(arn, record);
    this.lbNames.set(record.name, arn);
    this.byDnsName.set(record.dnsName.toLowerCase(), arn);
    return this.lbSnapshot(record);
  }

  getLoadBalancer(arn: string): V2LoadBalancer | undefined {
    const record = this.lbs.get(arn);
    return record ? this.lbSnapshot(record) : undefined;
  }

  getLoadBalancerByName(name: string): V2LoadBalancer | undefined {
    const arn = this.lbNames.get(name);
    return arn === undefined ? undefined : this.getLoadBalancer(arn);
  }

  /** Every load balancer, sorted by name. */
  listLoadBalancers(): V2LoadBalancer[] {
    return [...this.lbs.values()].sort((a, b) => compare(a.name, b.name)).map((r) => this.lbSnapshot(r));
  }

  /**
   * DeleteLoadBalancer: at once (the next DescribeLoadBalancers no longer lists it), with its listeners,
   * which takes it out of its target groups; the target groups themselves stay. Deleting an absent load
   * balancer succeeds (returns false), as on AWS.
   */
  deleteLoadBalancer(arn: string): boolean {
    const record = this.lbs.get(arn);
    if (!record) return false;
    this.lbs.delete(arn);
    this.lbNames.delete(record.name);
    this.byDnsName.delete(record.dnsName.toLowerCase());
    for (const [listenerArn, listener] of this.listeners) if (listener.loadBalancerArn === arn) this.listeners.delete(listenerArn);
    for (const tg of this.tgs.values()) tg.attachedTo = tg.attachedTo.filter((a) => a !== arn);
    return true;
  }

  // -------------------------------------------------------------------------------------------------
  // Listeners

  /**
   * CreateListener with `forward` default actions. Idempotent as on AWS: the same port with the same
   * settings returns the existing listener; the same port otherwise is `DuplicateListener`.
   */
  createListener(input: CreateListenerInput): V2Listener {
    const lb = this.lbs.get(input.loadBalancerArn);
    if (!lb) throw loadBalancerArnNotFound(input.loadBalancerArn);
    const protocol = input.protocol?.toUpperCase();
    if (protocol === undefined) throw validationError('A listener protocol must be specified');
    const allowed = LISTENER_PROTOCOLS[lb.type];
    if (!allowed.includes(protocol)) {
      throw validationError(`Listener protocol '${protocol}' must be one of '${allowed.join(', ')}'`);
    }
    if (input.port === undefined) throw validationError('A listener port must be specified');
    if (!Number.isInteger(input.port) || input.port < 1 || input.port > 65535) {
      throw validationError(`Value '${input.port}' at 'port' failed to satisfy constraint: Member must have value between 1 and 65535`);
    }
    const secure = protocol === 'HTTPS' || protocol === 'TLS';
    const certificates = [...new Set(input.certificates ?? [])];
    if (secure && certificates.length === 0) throw senderError('CertificateNotFound', `A certificate must be specified for ${protocol} listeners`);
    if (!secure && (certificates.length > 0 || input.sslPolicy !== undefined)) {
      throw validationError(`Certificates and SSL policies are only for HTTPS and TLS listeners, not ${protocol}`);
    }
    if (input.defaultActions.length === 0) throw validationError('At least one default action must be specified');
    const defaultActions = input.defaultActions.map((action): V2ListenerAction => {
      if (action.type !== 'forward') {
        throw validationError(`Action type '${action.type}' is not simulated by this sandbox; use forward`);
      }
      if (action.targetGroupArn === undefined) throw validationError('A target group ARN must be specified for a forward action');
      const tg = this.requireTargetGroup(action.targetGroupArn);
      if (!(FORWARDS_TO[protocol] ?? []).includes(tg.protocol)) {
        throw senderError('IncompatibleProtocols', `The target group protocol '${tg.protocol}' is not compatible with the listener protocol '${protocol}'`);
      }
      const others = this.servedBy(tg).filter((arn) => arn !== lb.arn);
      if (others.length > 0) {
        throw senderError('TargetGroupAssociationLimit', `The following target groups cannot be associated with more than one load balancer: ${tg.arn}`);
      }
      return { type: 'forward', targetGroupArn: tg.arn, ...(action.order === undefined ? {} : { order: action.order }) };
    });
    const settings = { protocol, certificates, ...(secure ? { sslPolicy: input.sslPolicy ?? DEFAULT_SSL_POLICY } : {}), defaultActions };

    const existing = [...this.listeners.values()].find((l) => l.loadBalancerArn === lb.arn && l.port === input.port);
    if (existing) {
      const { arn: _arn, loadBalancerArn: _lb, port: _port, ...current } = existing;
      if (JSON.stringify(current) === JSON.stringify(settings)) return copyListener(existing);
      throw senderError('DuplicateListener', `A listener already exists on port ${input.port} of load balancer '${lb.arn}'`);
    }
    if ([...this.listeners.values()].filter((l) => l.loadBalancerArn === lb.arn).length >= MAX_LISTENERS) {
      throw senderError('TooManyListeners', `The quota for the number of listeners per load balancer (${MAX_LISTENERS}) has been reached`);
    }
    let arn: string;
    do arn = `${lb.arn.replace(':loadbalancer/', ':listener/')}/${randomBytes(8).toString('hex')}`;
    while (this.listeners.has(arn));
    const listener: V2Listener = { arn, loadBalancerArn: lb.arn, port: input.port, ...settings };
    this.listeners.set(arn, listener);
    return copyListener(listener);
  }

  /** The listeners of a load balancer (undefined when it does not exist), by port. */
  listListeners(loadBalancerArn: string): V2Listener[] | undefined {
    if (!this.lbs.has(loadBalancerArn)) return undefined;
    return [...this.listeners.values()]
      .filter((l) => l.loadBalancerArn === loadBalancerArn)
      .sort((a, b) => a.port - b.port)
      .map(copyListener);
  }

  getListener(arn: string): V2Listener | undefined {
    const listener = this.listeners.get(arn);
    return listener ? copyListener(listener) : undefined;
  }

  /** The load balancer whose DNS name is `host` (case-insensitive, trailing dot tolerated). */
  findByDnsName(host: string): V2LoadBalancer | undefined {
    const arn = this.byDnsName.get(host.toLowerCase().replace(/\.$/, ''));
    return arn === undefined ? undefined : this.getLoadBalancer(arn);
  }

  // -------------------------------------------------------------------------------------------------
  // Tags (load balancers and target groups alike)

  /** The tags of each ARN, in order; the first unknown ARN fails the whole call, as DescribeTags does. */
  describeTags(arns: string[]): { arn: string; tags: Map<string, string> }[] {
    return arns.map((arn) => ({ arn, tags: new Map(this.taggable(arn).tags) }));
  }

  /** AddTags: adds or overwrites tags on every resource; all-or-nothing. */
  addTags(arns: string[], tags: Record<string, string>): void {
    validateTags(tags);
    const records = arns.map((arn) => this.taggable(arn));
    for (const record of records) checkTagQuota(record.tags.size, tags, record.tags);
    for (const record of records) {
      for (const [key, value] of Object.entries(tags)) record.tags.set(key, value);
    }
  }

  /** RemoveTags: removes the keys (absent keys are ignored) from every resource. */
  removeTags(arns: string[], keys: string[]): void {
    const records = arns.map((arn) => this.taggable(arn));
    for (const record of records) for (const key of keys) record.tags.delete(key);
  }

  // -------------------------------------------------------------------------------------------------
  // Target groups and targets

  /**
   * CreateTargetGroup (instance or ip targets). Idempotent for the same protocol, port and VPC;
   * another configuration under an existing name is `DuplicateTargetGroupName`.
   */
  createTargetGroup(input: CreateTargetGroupInput): V2TargetGroup {
    validateName(input.name, 'target group');
    const targetType = input.targetType ?? 'instance';
    if (targetType !== 'instance' && targetType !== 'ip') {
      throw validationError(`Target type '${targetType}' is not simulated by this sandbox; use instance or ip`);
    }
    const protocol = input.protocol?.toUpperCase();
    if (protocol === undefined || input.port === undefined || input.vpcId === undefined) {
      throw validationError('A protocol, a port and a VPC ID must be specified for target type ' + targetType);
    }
    if (!TG_PROTOCOLS.includes(protocol)) {
      throw validationError(`Value '${protocol}' at 'protocol' failed to satisfy constraint: Member must satisfy enum value set: [${TG_PROTOCOLS.join(', ')}]`);
    }
    if (!Number.isInteger(input.port) || input.port < 1 || input.port > 65535) {
      throw validationError(`Value '${input.port}' at 'port' failed to satisfy constraint: Member must have value between 1 and 65535`);
    }
    if (!/^vpc-[0-9A-Za-z]+$/.test(input.vpcId)) {
      throw validationError(`The VPC ID '${input.vpcId}' is not found`);
    }
    const tags = input.tags ?? {};
    validateTags(tags);
    checkTagQuota(0, tags, new Map());
    const existing = [...this.tgs.values()].find((tg) => tg.name === input.name);
    if (existing) {
      if (existing.protocol === protocol && existing.port === input.port && existing.vpcId === input.vpcId) {
        return this.tgSnapshot(existing);
      }
      throw senderError('DuplicateTargetGroupName', `A target group with the same name '${input.name}' exists, but with different settings`);
    }
    const layer7 = protocol === 'HTTP' || protocol === 'HTTPS';
    const healthCheckProtocol = (input.healthCheckProtocol ?? (layer7 ? protocol : 'TCP')).toUpperCase();
    const httpCheck = healthCheckProtocol === 'HTTP' || healthCheckProtocol === 'HTTPS';
    let arn: string;
    do arn = `arn:aws:elasticloadbalancing:${this.region}:${this.accountId}:targetgroup/${input.name}/${randomBytes(8).toString('hex')}`;
    while (this.tgs.has(arn));
    const record: TgRecord = {
      arn,
      name: input.name,
      protocol,
      port: input.port,
      vpcId: input.vpcId,
      targetType,
      healthCheckProtocol,
      healthCheckPort: input.healthCheckPort ?? 'traffic-port',
      healthCheckEnabled: true,
      healthCheckIntervalSeconds: 30,
      healthCheckTimeoutSeconds: layer7 ? 5 : 10,
      healthyThresholdCount: 5,
      unhealthyThresholdCount: 2,
      ...(httpCheck ? { healthCheckPath: input.healthCheckPath ?? '/', matcherHttpCode: '200' } : {}),
      attachedTo: [],
      tags: new Map(Object.entries(tags)),
      targets: new Map(),
    };
    this.tgs.set(arn, record);
    return this.tgSnapshot(record);
  }

  getTargetGroup(arn: string): V2TargetGroup | undefined {
    const record = this.tgs.get(arn);
    return record ? this.tgSnapshot(record) : undefined;
  }

  /** Every target group, sorted by name. */
  listTargetGroups(): V2TargetGroup[] {
    return [...this.tgs.values()].sort((a, b) => compare(a.name, b.name)).map((r) => this.tgSnapshot(r));
  }

  /**
   * Puts a target group behind a load balancer without a listener, as a listener forwarding to it
   * does (CreateListener). From then on its targets report health instead of `unused`. Not an AWS
   * action: a test helper.
   */
  attachTargetGroup(targetGroupArn: string, loadBalancerArn: string): void {
    const tg = this.requireTargetGroup(targetGroupArn);
    if (!this.lbs.has(loadBalancerArn)) throw loadBalancerArnNotFound(loadBalancerArn);
    if (!tg.attachedTo.includes(loadBalancerArn)) tg.attachedTo.push(loadBalancerArn);
  }

  /** RegisterTargets: a target without a port gets the target group's. Re-registering keeps its time. */
  registerTargets(targetGroupArn: string, targets: { id: string; port?: number }[]): void {
    const tg = this.requireTargetGroup(targetGroupArn);
    const at = this.now();
    const resolved = targets.map((t) => {
      if (t.id.length === 0) throw senderError('InvalidTarget', 'The target ID is empty');
      const port = t.port ?? tg.port;
      if (!Number.isInteger(port) || port < 1 || port > 65535) {
        throw senderError('InvalidTarget', `The port '${port}' of target '${t.id}' is not valid`);
      }
      return { id: t.id, port };
    });
    for (const { id, port } of resolved) {
      const key = `${id}:${port}`;
      if (!tg.targets.has(key)) tg.targets.set(key, { id, port, registeredAt: at });
    }
  }

  /**
   * Pins a registered target's health check outcome (`healthy`, `unhealthy`), or with `null` lets the
   * warm-up decide again. The port defaults to the target group's. Not an AWS action: a test helper.
   */
  setTargetHealth(targetGroupArn: string, targetId: string, health: 'healthy' | 'unhealthy' | null, port?: number): void {
    const tg = this.requireTargetGroup(targetGroupArn);
    const target = tg.targets.get(`${targetId}:${port ?? tg.port}`);
    if (!target) throw senderError('InvalidTarget', `Target '${targetId}' is not registered with target group '${targetGroupArn}'`);
    if (health === null) delete target.pinned;
    else target.pinned = health;
  }

  /**
   * DescribeTargetHealth. A target group that no load balancer uses reports its targets `unused`
   * (Target.NotInUse); otherwise a target is `initial` for `targetWarmupMs` after registration, then
   * `healthy`, unless pinned. Asking for a target that is not registered answers `unused`
   * (Target.NotRegistered), as AWS does.
   */
  describeTargetHealth(targetGroupArn: string, only?: { id: string; port?: number }[]): TargetHealthDescription[] {
    const tg = this.requireTargetGroup(targetGroupArn);
    const now = this.now();
    const wanted =
      only && only.length > 0
        ? only.map((t) => ({ id: t.id, port: t.port ?? tg.port }))
        : [...tg.targets.values()].map((t) => ({ id: t.id, port: t.port }));
    return wanted.map(({ id, port }): TargetHealthDescription => {
      const healthCheckPort = tg.healthCheckPort === 'traffic-port' ? String(port) : tg.healthCheckPort;
      const base = { id, port, healthCheckPort };
      const target = tg.targets.get(`${id}:${port}`);
      if (!target) {
        return { ...base, state: 'unused', reason: 'Target.NotRegistered', description: 'Target is not registered to the target group' };
      }
      if (this.servedBy(tg).length === 0) {
        return { ...base, state: 'unused', reason: 'Target.NotInUse', description: 'Target group is not configured to receive traffic from the load balancer' };
      }
      if (target.pinned === 'unhealthy') {
        return { ...base, state: 'unhealthy', reason: 'Target.FailedHealthChecks', description: 'Health checks failed' };
      }
      if (target.pinned === 'healthy' || now >= target.registeredAt + this.targetWarmupMs) return { ...base, state: 'healthy' };
      return { ...base, state: 'initial', reason: 'Elb.RegistrationInProgress', description: 'Target registration is in progress' };
    });
  }

  // -------------------------------------------------------------------------------------------------

  /** The load balancers a target group serves: those it was attached to, then those whose listeners forward to it. */
  private servedBy(tg: TgRecord): string[] {
    const arns = [...tg.attachedTo];
    for (const listener of this.listeners.values()) {
      if (listener.defaultActions.some((a) => a.targetGroupArn === tg.arn) && !arns.includes(listener.loadBalancerArn)) arns.push(listener.loadBalancerArn);
    }
    return arns;
  }

  private requireTargetGroup(arn: string): TgRecord {
    const record = this.tgs.get(arn);
    if (!record) throw targetGroupNotFound(arn);
    return record;
  }

  /** A load balancer or target group by ARN, for the tag actions. */
  private taggable(arn: string): { tags: Map<string, string> } {
    if (isLoadBalancerArn(arn)) {
      const lb = this.lbs.get(arn);
      if (!lb) throw loadBalancerArnNotFound(arn);
      return lb;
    }
    if (isTargetGroupArn(arn)) return this.requireTargetGroup(arn);
    throw validationError(`'${arn}' is not a valid load balancer or target group ARN`);
  }

  private lbArn(type: LoadBalancerType, name: string, id: string): string {
    return `arn:aws:elasticloadbalancing:${this.region}:${this.accountId}:loadbalancer/${type === 'network' ? 'net' : 'app'}/${name}/${id}`;
  }

  /**
   * NLB: `NAME-<the ARN's 16 hex digits>.elb.REGION.amazonaws.com`; ALB: `NAME-<digits>.REGION.elb.amazonaws.com`;
   * internal ones start with `internal-`.
   */
  private newDnsName(name: string, type: LoadBalancerType, scheme: LoadBalancerScheme, id: string): string {
    const prefix = scheme === 'internal' ? 'internal-' : '';
    for (;;) {
      const dnsName =
        type === 'network'
          ? `${prefix}${name}-${id}.elb.${this.region}.amazonaws.com`
          : `${prefix}${name}-${randomInt(100_000_000, 2_147_483_647)}.${this.region}.elb.amazonaws.com`;
      if (!this.byDnsName.has(dnsName.toLowerCase())) return dnsName;
      if (type === 'network') throw new Error(`DNS name ${dnsName} already taken`);
    }
  }

  /** The zone a subnet is in: one of the region's a/b/c, fixed per subnet id. */
  private zoneOf(subnet: string): string {
    return `${this.region}${'abc'[(hash(subnet)[0] ?? 0) % 3]}`;
  }

  private lbSnapshot(r: LbRecord): V2LoadBalancer {
    return {
      ...r,
      canonicalHostedZoneId: r.type === 'network' ? (NLB_HOSTED_ZONE_IDS[this.region] ?? 'Z26RNL4JYFTOTI') : hostedZoneIdFor(this.region),
      createdTime: new Date(r.createdTime),
      state: this.now() >= r.dnsVisibleAt ? 'active' : 'provisioning',
      availabilityZones: r.availabilityZones.map((z) => ({ ...z })),
      securityGroups: [...r.securityGroups],
      tags: new Map(r.tags),
      addresses: [...r.addresses],
    };
  }

  private tgSnapshot(r: TgRecord): V2TargetGroup {
    const { targets: _targets, attachedTo: _attachedTo, ...rest } = r;
    return { ...rest, loadBalancerArns: this.servedBy(r), tags: new Map(r.tags) };
  }
}

function copyListener(l: V2Listener): V2Listener {
  return { ...l, certificates: [...l.certificates], defaultActions: l.defaultActions.map((a) => ({ ...a })) };
}

function isLoadBalancerType(type: string): type is LoadBalancerType {
  return type === 'application' || type === 'network';
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  const sa = new Set(a);
  const sb = new Set(b);
  return sa.size === sb.size && [...sa].every((x) => sb.has(x));
}

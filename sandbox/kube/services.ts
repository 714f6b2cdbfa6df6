/**
 * Services as the real apiserver treats them (pkg/apis/core/validation, pkg/registry/core/service),
 * written from the Kubernetes API reference and the Service docs:
 * - defaulting (type ClusterIP, sessionAffinity None, protocol TCP, targetPort = port, ipFamilies
 *   [IPv4], ipFamilyPolicy SingleStack, traffic policies Cluster, allocateLoadBalancerNodePorts);
 * - validation that reports every problem at once (422 with one cause per field);
 * - cluster IPs from the service CIDR (10.100.0.0/16, EKS's default) and node ports from
 *   30000-32767, requested or random, released on delete and when no longer needed;
 * - update rules: status and allocated values carried over, clusterIPs immutable, fields the new
 *   type does not use dropped (node ports when going to ClusterIP, load balancer status when
 *   leaving LoadBalancer, ...).
 */
import {
  GoValue,
  badRequest,
  fieldErrors,
  internalError,
  invalid,
  type FieldError,
} from './errors.js';
import type { Service, ServicePort, ServiceSpec } from './types.js';
import {
  IP_MESSAGE,
  PORT_RANGE_MESSAGE,
  dns1123LabelErrors,
  dns1123SubdomainErrors,
  formatIPv4,
  isPlainObject,
  isValidIP,
  isValidPortNum,
  labelsErrors,
  parseIPv4,
  portNumOrNameErrors,
} from './validation.js';

const SERVICE_CIDR = '10.100.0.0/16';
const NODE_PORT_MIN = 30000;
const NODE_PORT_MAX = 32767;

const SERVICE_TYPES = ['ClusterIP', 'ExternalName', 'LoadBalancer', 'NodePort'];
const PROTOCOLS = ['SCTP', 'TCP', 'UDP'];
const SERVICE_KIND = { group: '', kind: 'Service' };

/* ------------------------------------------------------------------------------------ helpers */

function needsClusterIP(svc: Service): boolean {
  return (svc.spec.type ?? 'ClusterIP') !== 'ExternalName';
}

function isHeadless(svc: Service): boolean {
  return svc.spec.clusterIP === 'None';
}

function needsNodePorts(svc: Service): boolean {
  if (svc.spec.type === 'NodePort') return true;
  return svc.spec.type === 'LoadBalancer' && svc.spec.allocateLoadBalancerNodePorts !== false;
}

function needsHealthCheckNodePort(svc: Service): boolean {
  return svc.spec.type === 'LoadBalancer' && svc.spec.externalTrafficPolicy === 'Local';
}

function externallyAccessible(svc: Service): boolean {
  return svc.spec.type === 'LoadBalancer' || svc.spec.type === 'NodePort' || (svc.spec.externalIPs?.length ?? 0) > 0;
}

function goStrings(values: string[] | undefined): GoValue {
  return new GoValue(`[]string{${(values ?? []).map((v) => JSON.stringify(v)).join(', ')}}`);
}

/* ------------------------------------------------------------------------------------- decode */

/**
 * Type checks the apiserver's JSON decoder does before anything else (a port given as a string,
 * ports not a list, ...): 400 BadRequest like `json: cannot unmarshal ...`.
 */
export function decodeService(obj: Record<string, unknown>): void {
  const fail = (field: string, goType: string, got: unknown): never => {
    const jsType = Array.isArray(got) ? 'array' : got === null ? 'null' : typeof got === 'object' ? 'object' : typeof got;
    throw badRequest(
      `Service in version "v1" cannot be handled as a Service: json: cannot unmarshal ${jsType} into Go struct field ${field} of type ${goType}`,
    );
  };
  const spec = obj.spec;
  if (spec === undefined || spec === null) return;
  if (!isPlainObject(spec)) fail('Service.spec', 'v1.ServiceSpec', spec);
  const s = spec as Record<string, unknown>;
  for (const key of ['type', 'clusterIP', 'externalName', 'sessionAffinity', 'externalTrafficPolicy', 'internalTrafficPolicy', 'ipFamilyPolicy', 'loadBalancerIP', 'loadBalancerClass'] as const) {
    const v = s[key];
    if (v !== undefined && v !== null && typeof v !== 'string') fail(`ServiceSpec.spec.${key}`, 'string', v);
  }
  for (const key of ['clusterIPs', 'externalIPs', 'ipFamilies', 'loadBalancerSourceRanges'] as const) {
    const v = s[key];
    if (v === undefined || v === null) continue;
    if (!Array.isArray(v)) fail(`ServiceSpec.spec.${key}`, '[]string', v);
    for (const item of v as unknown[]) if (typeof item !== 'string') fail(`ServiceSpec.spec.${key}`, 'string', item);
  }
  if (s.selector !== undefined && s.selector !== null) {
    if (!isPlainObject(s.selector)) fail('ServiceSpec.spec.selector', 'map[string]string', s.selector);
    for (const v of Object.values(s.selector as Record<string, unknown>)) if (typeof v !== 'string') fail('ServiceSpec.spec.selector', 'string', v);
  }
  if (s.allocateLoadBalancerNodePorts !== undefined && s.allocateLoadBalancerNodePorts !== null && typeof s.allocateLoadBalancerNodePorts !== 'boolean') {
    fail('ServiceSpec.spec.allocateLoadBalancerNodePorts', 'bool', s.allocateLoadBalancerNodePorts);
  }
  if (s.healthCheckNodePort !== undefined && s.healthCheckNodePort !== null && !Number.isInteger(s.healthCheckNodePort)) {
    fail('ServiceSpec.spec.healthCheckNodePort', 'int32', s.healthCheckNodePort);
  }
  const ports = s.ports;
  if (ports === undefined || ports === null) return;
  if (!Array.isArray(ports)) fail('ServiceSpec.spec.ports', '[]v1.ServicePort', ports);
  for (const p of ports as unknown[]) {
    if (!isPlainObject(p)) fail('ServiceSpec.spec.ports', 'v1.ServicePort', p);
    const port = p as Record<string, unknown>;
    for (const key of ['port', 'nodePort'] as const) {
      const v = port[key];
      if (v !== undefined && v !== null && !Number.isInteger(v)) fail(`ServicePort.spec.ports.${key}`, 'int32', v);
    }
    for (const key of ['name', 'protocol', 'appProtocol'] as const) {
      const v = port[key];
      if (v !== undefined && v !== null && typeof v !== 'string') fail(`ServicePort.spec.ports.${key}`, 'string', v);
    }
    const tp = port.targetPort;
    if (tp !== undefined && tp !== null && typeof tp !== 'string' && !Number.isInteger(tp)) {
      fail('ServicePort.spec.ports.targetPort', 'intstr.IntOrString', tp);
    }
  }
}

/* ----------------------------------------------------------------------------------- defaults */

/** Fills the defaults the apiserver applies on create and update (SetDefaults_Service + strategy). */
export function defaultService(svc: Service): void {
  const spec = svc.spec;
  spec.type ??= 'ClusterIP';
  spec.sessionAffinity ??= 'None';
  if (spec.sessionAffinity === 'ClientIP' && spec.sessionAffinityConfig?.clientIP?.timeoutSeconds === undefined) {
    spec.sessionAffinityConfig = { clientIP: { timeoutSeconds: 10800 } };
  }
  for (const port of spec.ports ?? []) {
    port.protocol ??= 'TCP';
    if (port.targetPort === undefined || port.targetPort === null || port.targetPort === 0 || port.targetPort === '') {
      port.targetPort = port.port;
    }
    if (port.nodePort === 0 || port.nodePort === null) delete port.nodePort;
    if (port.name === '' || port.name === null) delete port.name;
  }
  if (externallyAccessible(svc)) spec.externalTrafficPolicy ??= 'Cluster';
  if (spec.type === 'LoadBalancer') spec.allocateLoadBalancerNodePorts ??= true;
  if (spec.type === 'ExternalName') return;
  spec.internalTrafficPolicy ??= 'Cluster';
  if (spec.clusterIP === '') delete spec.clusterIP;
  if (spec.clusterIPs?.length === 0) delete spec.clusterIPs;
  if (spec.clusterIP !== undefined && spec.clusterIPs === undefined) spec.clusterIPs = [spec.clusterIP];
  if (spec.clusterIP === undefined && spec.clusterIPs?.[0] !== undefined) spec.clusterIP = spec.clusterIPs[0];
  spec.ipFamilyPolicy ??= 'SingleStack';
  if (spec.ipFamilies === undefined || spec.ipFamilies.length === 0) spec.ipFamilies = ['IPv4'];
}

/**
 * On update (the registry has already carried the stored status over): fill in values the client left out that were allocated
 * before (clusterIP, node ports by port name, health check node port), then drop the fields the
 * new type no longer uses, exactly when the client did not change them (the apiserver's
 * patchAllocatedValues + dropTypeDependentFields).
 */
export function prepareServiceUpdate(svc: Service, old: Service): void {
  const spec = svc.spec;
  const oldSpec = old.spec;
  if (needsClusterIP(old) && needsClusterIP(svc)) {
    if (spec.clusterIP === undefined || spec.clusterIP === '') spec.clusterIP = oldSpec.clusterIP;
    if ((spec.clusterIPs?.length ?? 0) === 0 && (oldSpec.clusterIPs?.length ?? 0) > 0) spec.clusterIPs = oldSpec.clusterIPs;
    if (spec.clusterIP === undefined) delete spec.clusterIP;
    if (spec.clusterIPs === undefined) delete spec.clusterIPs;
  }
  if (needsNodePorts(old) && needsNodePorts({ ...svc, spec: { ...spec, type: spec.type ?? 'ClusterIP' } })) {
    const used = (s: ServiceSpec) => new Set((s.ports ?? []).map((p) => p.nodePort).filter((n): n is number => !!n));
    const newUsed = used(spec);
    const inBoth = new Set([...used(oldSpec)].filter((n) => newUsed.has(n)));
    const byName = new Map((oldSpec.ports ?? []).map((p) => [p.name ?? '', p.nodePort]));
    for (const p of spec.ports ?? []) {
      if (p.nodePort) continue;
      const oldValue = byName.get(p.name ?? '');
      if (oldValue && !inBoth.has(oldValue)) p.nodePort = oldValue;
    }
  }
  if (needsHealthCheckNodePort(old) && spec.type === 'LoadBalancer' && spec.externalTrafficPolicy !== 'Cluster') {
    spec.healthCheckNodePort ??= oldSpec.healthCheckNodePort;
  }
  dropTypeDependentFields(svc, old);
}

function dropTypeDependentFields(svc: Service, old: Service): void {
  const spec = svc.spec;
  const typed: Service = { ...svc, spec: { ...spec, type: spec.type ?? 'ClusterIP' } };
  const type = typed.spec.type;
  if (needsClusterIP(old) && !needsClusterIP(typed)) {
    // Going to ExternalName: allocated IPs and their families go, unless the client changed them.
    const sameIPs = (spec.clusterIPs ?? []).every((ip, i) => old.spec.clusterIPs?.[i] === ip);
    if (sameIPs && (spec.clusterIP === undefined || spec.clusterIP === old.spec.clusterIP)) {
      delete spec.clusterIP;
      delete spec.clusterIPs;
    }
    if (spec.ipFamilyPolicy === old.spec.ipFamilyPolicy) delete spec.ipFamilyPolicy;
    if ((spec.ipFamilies ?? []).join() === (old.spec.ipFamilies ?? []).join()) delete spec.ipFamilies;
    if (spec.internalTrafficPolicy === old.spec.internalTrafficPolicy) delete spec.internalTrafficPolicy;
  }
  if (needsNodePorts(old) && !needsNodePorts(typed)) {
    const same = (spec.ports ?? []).every((p) => !p.nodePort || (old.spec.ports ?? []).some((o) => o.nodePort === p.nodePort));
    if (same) for (const p of spec.ports ?? []) delete p.nodePort;
  }
  if (needsHealthCheckNodePort(old) && !needsHealthCheckNodePort(typed)) {
    if (spec.healthCheckNodePort === old.spec.healthCheckNodePort) delete spec.healthCheckNodePort;
  }
  if (old.spec.type === 'LoadBalancer' && type !== 'LoadBalancer') {
    if (spec.allocateLoadBalancerNodePorts !== undefined && spec.allocateLoadBalancerNodePorts === old.spec.allocateLoadBalancerNodePorts) {
      delete spec.allocateLoadBalancerNodePorts;
    }
    if (spec.loadBalancerClass !== undefined && spec.loadBalancerClass === old.spec.loadBalancerClass) delete spec.loadBalancerClass;
  }
  if (externallyAccessible(old) && !externallyAccessible(typed) && spec.externalTrafficPolicy === old.spec.externalTrafficPolicy) {
    delete spec.externalTrafficPolicy;
  }
  // Load balancer status goes with the type, even though the cloud tears the LB down later.
  if (type !== 'LoadBalancer') svc.status = { ...(svc.status ?? {}), loadBalancer: {} };
}

/* --------------------------------------------------------------------------------- validation */

function validatePorts(svc: Service, errs: FieldError[]): void {
  const spec = svc.spec;
  const ports = spec.ports ?? [];
  const type = spec.type;
  if (ports.length === 0 && !isHeadless(svc) && type !== 'ExternalName') errs.push(fieldErrors.required('spec.ports'));
  const names = new Set<string>();
  ports.forEach((p: ServicePort, i) => {
    const path = `spec.ports[${i}]`;
    if (ports.length > 1 && !p.name) errs.push(fieldErrors.required(`${path}.name`));
    else if (p.name) {
      for (const msg of dns1123LabelErrors(p.name)) errs.push(fieldErrors.invalid(`${path}.name`, p.name, msg));
      if (names.has(p.name)) errs.push(fieldErrors.duplicate(`${path}.name`, p.name));
      names.add(p.name);
    }
    if (!isValidPortNum(p.port)) errs.push(fieldErrors.invalid(`${path}.port`, p.port ?? 0, PORT_RANGE_MESSAGE));
    if (!p.protocol) errs.push(fieldErrors.required(`${path}.protocol`));
    else if (!PROTOCOLS.includes(p.protocol)) errs.push(fieldErrors.notSupported(`${path}.protocol`, p.protocol, PROTOCOLS));
    errs.push(...portNumOrNameErrors(p.targetPort, `${path}.targetPort`));
    if (p.nodePort !== undefined) {
      if (type === 'ClusterIP') errs.push(fieldErrors.forbidden(`${path}.nodePort`, "may not be used when `type` is 'ClusterIP'"));
      else if (type === 'ExternalName') errs.push(fieldErrors.forbidden(`${path}.nodePort`, "may not be used when `type` is 'ExternalName'"));
      else if (!isValidPortNum(p.nodePort)) errs.push(fieldErrors.invalid(`${path}.nodePort`, p.nodePort, PORT_RANGE_MESSAGE));
    }
  });
  const nodePorts = new Set<string>();
  ports.forEach((p, i) => {
    if (!p.nodePort) return;
    const key = `${p.protocol}/${p.nodePort}`;
    if (nodePorts.has(key)) errs.push(fieldErrors.duplicate(`spec.ports[${i}].nodePort`, p.nodePort));
    nodePorts.add(key);
  });
  const seen = new Set<string>();
  ports.forEach((p, i) => {
    const key = `${p.protocol}/${p.port}`;
    if (seen.has(key)) {
      errs.push(
        fieldErrors.duplicate(
          `spec.ports[${i}]`,
          new GoValue(
            `core.ServicePort{Name:"", Protocol:${JSON.stringify(p.protocol ?? '')}, AppProtocol:(*string)(nil), Port:${p.port}, TargetPort:intstr.IntOrString{Type:0, IntVal:0, StrVal:""}, NodePort:0}`,
          ),
        ),
      );
    }
    seen.add(key);
  });
}

function validateClusterIPs(svc: Service, errs: FieldError[]): void {
  const spec = svc.spec;
  if (spec.type === 'ExternalName') {
    if ((spec.clusterIPs?.length ?? 0) > 0 || (spec.clusterIP !== undefined && spec.clusterIP !== '')) {
      errs.push(fieldErrors.forbidden('spec.clusterIPs', 'may not be set for ExternalName services'));
    }
    if ((spec.ipFamilies?.length ?? 0) > 0) errs.push(fieldErrors.forbidden('spec.ipFamilies', 'may not be set for ExternalName services'));
    if (spec.ipFamilyPolicy !== undefined) errs.push(fieldErrors.forbidden('spec.ipFamilyPolicy', 'may not be set for ExternalName services'));
    return;
  }
  const ips = spec.clusterIPs ?? [];
  if (spec.clusterIP !== undefined && ips.length > 0 && ips[0] !== spec.clusterIP) {
    errs.push(fieldErrors.invalid('spec.clusterIPs', goStrings(ips), 'first value must match `clusterIP`'));
  }
  if (ips.length > 1) errs.push(fieldErrors.invalid('spec.clusterIPs', goStrings(ips), 'may specify no more than one IP for each IP family'));
  ips.forEach((ip, i) => {
    if (ip === 'None') {
      if (i !== 0 || ips.length > 1) errs.push(fieldErrors.invalid(`spec.clusterIPs[${i}]`, ip, "'None' must be the first and only value"));
      else if (spec.type === 'NodePort' || spec.type === 'LoadBalancer') {
        errs.push(fieldErrors.invalid('spec.clusterIPs[0]', ip, `may not be set to 'None' for ${spec.type} services`));
      }
      return;
    }
    if (!isValidIP(ip)) errs.push(fieldErrors.invalid(`spec.clusterIPs[${i}]`, ip, IP_MESSAGE));
    else if (parseIPv4(ip) === undefined) errs.push(fieldErrors.invalid(`spec.clusterIPs[${i}]`, ip, 'expected an IPv4 value as indicated by `ipFamilies[0]`'));
  });
  (spec.ipFamilies ?? []).forEach((family, i) => {
    if (family !== 'IPv4' && family !== 'IPv6') errs.push(fieldErrors.notSupported(`spec.ipFamilies[${i}]`, family, ['IPv4', 'IPv6']));
    else if (family === 'IPv6') errs.push(fieldErrors.invalid(`spec.ipFamilies[${i}]`, family, 'not configured on this cluster'));
  });
  if ((spec.ipFamilies?.length ?? 0) > 1) errs.push(fieldErrors.invalid('spec.ipFamilies', goStrings(spec.ipFamilies), 'may specify no more than one IP for each IP family'));
  const policy = spec.ipFamilyPolicy;
  if (policy !== undefined && !['SingleStack', 'PreferDualStack', 'RequireDualStack'].includes(policy)) {
    errs.push(fieldErrors.notSupported('spec.ipFamilyPolicy', policy, ['PreferDualStack', 'RequireDualStack', 'SingleStack']));
  } else if (policy === 'RequireDualStack') {
    errs.push(fieldErrors.invalid('spec.ipFamilyPolicy', policy, 'this cluster is not configured for dual-stack services'));
  }
}

function validateTypeSpecificFields(svc: Service, errs: FieldError[]): void {
  const spec = svc.spec;
  const type = spec.type;
  if (type === 'ExternalName') {
    const cname = (spec.externalName ?? '').replace(/\.$/, '');
    if (cname === '') errs.push(fieldErrors.required('spec.externalName'));
    else for (const msg of dns1123SubdomainErrors(cname)) errs.push(fieldErrors.invalid('spec.externalName', cname, msg));
  }
  if (!externallyAccessible(svc)) {
    if (spec.externalTrafficPolicy !== undefined) {
      errs.push(fieldErrors.invalid('spec.externalTrafficPolicy', spec.externalTrafficPolicy, 'may only be set for externally-accessible services'));
    }
  } else if (spec.externalTrafficPolicy === undefined) {
    errs.push(fieldErrors.required('spec.externalTrafficPolicy'));
  } else if (!['Cluster', 'Local'].includes(spec.externalTrafficPolicy)) {
    errs.push(fieldErrors.notSupported('spec.externalTrafficPolicy', spec.externalTrafficPolicy, ['Cluster', 'Local']));
  }
  if (type !== 'ExternalName' && spec.internalTrafficPolicy !== undefined && !['Cluster', 'Local'].includes(spec.internalTrafficPolicy)) {
    errs.push(fieldErrors.notSupported('spec.internalTrafficPolicy', spec.internalTrafficPolicy, ['Cluster', 'Local']));
  }
  if (type === 'LoadBalancer') {
    if (spec.allocateLoadBalancerNodePorts === undefined) errs.push(fieldErrors.required('spec.allocateLoadBalancerNodePorts'));
  } else {
    if (spec.allocateLoadBalancerNodePorts !== undefined) {
      errs.push(fieldErrors.forbidden('spec.allocateLoadBalancerNodePorts', "may only be used when `type` is 'LoadBalancer'"));
    }
    if ((spec.loadBalancerSourceRanges?.length ?? 0) > 0) {
      errs.push(fieldErrors.forbidden('spec.loadBalancerSourceRanges', "may only be used when `type` is 'LoadBalancer'"));
    }
    if (spec.loadBalancerClass !== undefined) {
      errs.push(fieldErrors.forbidden('spec.loadBalancerClass', "may only be used when `type` is 'LoadBalancer'"));
    }
  }
  (spec.loadBalancerSourceRanges ?? []).forEach((range, i) => {
    const [ip, bits, extra] = range.trim().split('/');
    const ok = extra === undefined && ip !== undefined && parseIPv4(ip) !== undefined && bits !== undefined && /^\d+$/.test(bits) && Number(bits) <= 32;
    if (!ok) errs.push(fieldErrors.invalid(`spec.loadBalancerSourceRanges[${i}]`, range, 'must be a valid IP address or CIDR'));
  });
  if (spec.healthCheckNodePort !== undefined && spec.healthCheckNodePort !== 0 && !needsHealthCheckNodePort(svc)) {
    errs.push(fieldErrors.invalid('spec.healthCheckNodePort', spec.healthCheckNodePort, 'may only be set when `type` is \'LoadBalancer\' and `externalTrafficPolicy` is \'Local\''));
  }
  (spec.externalIPs ?? []).forEach((ip, i) => {
    if (!isValidIP(ip)) errs.push(fieldErrors.invalid(`spec.externalIPs[${i}]`, ip, IP_MESSAGE));
  });
  if (spec.loadBalancerIP !== undefined && spec.loadBalancerIP !== '' && !isValidIP(spec.loadBalancerIP)) {
    errs.push(fieldErrors.invalid('spec.loadBalancerIP', spec.loadBalancerIP, IP_MESSAGE));
  }
}

/** All the validation errors of a Service (after defaulting). */
export function validateService(svc: Service): FieldError[] {
  // metadata (name as a DNS-1035 label, labels, ...) is validated by the registry.
  const errs: FieldError[] = [];
  const spec = svc.spec;
  if (spec.type !== undefined && !SERVICE_TYPES.includes(spec.type)) {
    errs.push(fieldErrors.notSupported('spec.type', spec.type, SERVICE_TYPES));
  }
  validatePorts(svc, errs);
  if (spec.sessionAffinity !== undefined && !['ClientIP', 'None'].includes(spec.sessionAffinity)) {
    errs.push(fieldErrors.notSupported('spec.sessionAffinity', spec.sessionAffinity, ['ClientIP', 'None']));
  }
  const timeout = spec.sessionAffinityConfig?.clientIP?.timeoutSeconds;
  if (spec.sessionAffinity === 'ClientIP' && timeout !== undefined && !(Number.isInteger(timeout) && timeout > 0 && timeout <= 86400)) {
    errs.push(fieldErrors.invalid('spec.sessionAffinityConfig.clientIP.timeoutSeconds', timeout, 'must be greater than 0 and less than 86400'));
  }
  errs.push(...labelsErrors(spec.selector, 'spec.selector'));
  validateClusterIPs(svc, errs);
  validateTypeSpecificFields(svc, errs);
  return errs;
}

/** Update-only rules, then everything `validateService` checks. */
export function validateServiceUpdate(svc: Service, old: Service): FieldError[] {
  const errs: FieldError[] = [];
  const spec = svc.spec;
  const oldSpec = old.spec;
  const toOrFromExternalName = spec.type === 'ExternalName' || oldSpec.type === 'ExternalName';
  if (!toOrFromExternalName && !(isHeadless(svc) && isHeadless(old))) {
    const oldIPs = oldSpec.clusterIPs ?? [];
    const newIPs = spec.clusterIPs ?? [];
    if (newIPs.length === 0 && oldIPs.length > 0) {
      errs.push(fieldErrors.required('spec.clusterIPs', 'primary clusterIP can not be unset'));
    } else {
      oldIPs.forEach((ip, i) => {
        if (i < newIPs.length && newIPs[i] !== ip) errs.push(fieldErrors.invalid(`spec.clusterIPs[${i}]`, goStrings(newIPs), 'may not change once set'));
      });
    }
  }
  if (old.spec.loadBalancerClass !== undefined && spec.type === 'LoadBalancer' && oldSpec.type === 'LoadBalancer' && spec.loadBalancerClass !== oldSpec.loadBalancerClass) {
    errs.push(fieldErrors.invalid('spec.loadBalancerClass', spec.loadBalancerClass ?? null, 'may not change once set'));
  }
  return [...errs, ...validateService(svc)];
}

/** Validation of `status` written through the /status subresource. */
export function validateServiceStatus(svc: Service): FieldError[] {
  const errs: FieldError[] = [];
  (svc.status?.loadBalancer?.ingress ?? []).forEach((ing, i) => {
    const path = `status.loadBalancer.ingress[${i}]`;
    if (ing.ip !== undefined && ing.ip !== '' && !isValidIP(ing.ip)) errs.push(fieldErrors.invalid(`${path}.ip`, ing.ip, IP_MESSAGE));
    if (ing.hostname !== undefined && ing.hostname !== '') {
      for (const msg of dns1123SubdomainErrors(ing.hostname)) errs.push(fieldErrors.invalid(`${path}.hostname`, ing.hostname, msg));
      if (isValidIP(ing.hostname)) errs.push(fieldErrors.invalid(`${path}.hostname`, ing.hostname, 'must be a DNS name, not an IP address'));
    }
    if (ing.ipMode !== undefined) {
      if (!ing.ip) errs.push(fieldErrors.required(`${path}.ipMode`, 'must be specified when `ip` is set'));
      if (!['VIP', 'Proxy'].includes(ing.ipMode)) errs.push(fieldErrors.notSupported(`${path}.ipMode`, ing.ipMode, ['Proxy', 'VIP']));
    }
  });
  return errs;
}

/* --------------------------------------------------------------------------------- allocation */

class AllocationError extends Error {}

/** Random allocation with linear probing over a numeric range; O(1) expected while not full. */
class RangeAllocator {
  private readonly used = new Set<number>();

  constructor(
    readonly first: number,
    readonly last: number,
  ) {}

  get size(): number {
    return this.used.size;
  }

  has(n: number): boolean {
    return this.used.has(n);
  }

  inRange(n: number): boolean {
    return n >= this.first && n <= this.last;
  }

  take(n: number): void {
    this.used.add(n);
  }

  release(n: number): void {
    this.used.delete(n);
  }

  random(): number {
    const span = this.last - this.first + 1;
    if (this.used.size >= span) throw new AllocationError('range is full');
    const start = Math.floor(Math.random() * span);
    for (let i = 0; i < span; i++) {
      const n = this.first + ((start + i) % span);
      if (!this.used.has(n)) return n;
    }
    throw new AllocationError('range is full');
  }
}

/**
 * The cluster's service IP and node port allocators. Allocation for one write is a transaction:
 * on any failure (or for a dry run) everything it took is given back.
 */
export class ServiceAllocator {
  private readonly ips: RangeAllocator;
  private readonly ports = new RangeAllocator(NODE_PORT_MIN, NODE_PORT_MAX);

  constructor(readonly cidr = SERVICE_CIDR) {
    const [base, bits] = cidr.split('/');
    const network = parseIPv4(base ?? '');
    if (network === undefined || bits === undefined) throw new Error(`bad service CIDR ${cidr}`);
    const size = 2 ** (32 - Number(bits));
    // The network and broadcast addresses are never handed out.
    this.ips = new RangeAllocator(network + 1, network + size - 2);
  }

  get allocatedIPs(): number {
    return this.ips.size;
  }

  get allocatedNodePorts(): number {
    return this.ports.size;
  }

  isIPAllocated(ip: string): boolean {
    const n = parseIPv4(ip);
    return n !== undefined && this.ips.has(n);
  }

  isNodePortAllocated(port: number): boolean {
    return this.ports.has(port);
  }

  /** Records the allocations of an already stored Service (e.g. seeds). */
  adopt(svc: Service): void {
    for (const ip of clusterIPsOf(svc)) this.ips.take(ip);
    for (const port of nodePortsOf(svc)) this.ports.take(port);
  }

  /** Frees what a deleted Service held. */
  release(svc: Service): void {
    for (const ip of clusterIPsOf(svc)) this.ips.release(ip);
    for (const port of nodePortsOf(svc)) this.ports.release(port);
  }

  /**
   * Allocates what `svc` needs beyond what `old` (the stored version, on update) already holds,
   * writing the allocated values into `svc`, and releases what `old` held that `svc` no longer uses.
   * Throws a 422 KubeApiError (500 when a range is full). With `dryRun` nothing stays allocated.
   */
  allocate(svc: Service, old: Service | undefined, dryRun: boolean): void {
    const takenIPs: number[] = [];
    const takenPorts: number[] = [];
    const rollback = () => {
      for (const n of takenIPs) this.ips.release(n);
      for (const n of takenPorts) this.ports.release(n);
    };
    const fail = (errs: FieldError[]): never => {
      rollback();
      throw invalid(SERVICE_KIND, svc.metadata.name, errs);
    };
    try {
      const spec = svc.spec;
      const heldIPs = new Set(old ? clusterIPsOf(old) : []);
      if (needsClusterIP(svc) && !isHeadless(svc)) {
        if (spec.clusterIP === undefined) {
          const n = this.ips.random();
          this.ips.take(n);
          takenIPs.push(n);
          spec.clusterIP = formatIPv4(n);
          spec.clusterIPs = [spec.clusterIP];
        } else {
          const n = parseIPv4(spec.clusterIP)!;
          if (!heldIPs.has(n)) {
            if (!this.ips.inRange(n)) {
              fail([
                fieldErrors.invalid(
                  'spec.clusterIPs',
                  goStrings(spec.clusterIPs),
                  `failed to allocate IP ${spec.clusterIP}: the provided IP (${spec.clusterIP}) is not in the valid range. The range of valid IPs is ${this.cidr}`,
                ),
              ]);
            }
            if (this.ips.has(n)) {
              fail([fieldErrors.invalid('spec.clusterIPs', goStrings(spec.clusterIPs), `failed to allocate IP ${spec.clusterIP}: provided IP is already allocated`)]);
            }
            this.ips.take(n);
            takenIPs.push(n);
          }
        }
      }

      const oldPorts = new Set(old ? nodePortsOf(old) : []);
      const takeNodePort = (field: string, requested: number | undefined): number => {
        if (requested !== undefined) {
          if (oldPorts.has(requested) || takenPorts.includes(requested)) return requested;
          if (!this.ports.inRange(requested)) {
            fail([
              fieldErrors.invalid(field, requested, `provided port is not in the valid range. The range of valid ports is ${NODE_PORT_MIN}-${NODE_PORT_MAX}`),
            ]);
          }
          if (this.ports.has(requested)) fail([fieldErrors.invalid(field, requested, 'provided port is already allocated')]);
          this.ports.take(requested);
          takenPorts.push(requested);
          return requested;
        }
        const n = this.ports.random();
        this.ports.take(n);
        takenPorts.push(n);
        return n;
      };
      if (needsNodePorts(svc)) {
        // A port number and protocol pair that already has a node port keeps it for its twin with
        // another protocol (a TCP+UDP service on the same port may share the node port).
        (spec.ports ?? []).forEach((p, i) => {
          if (p.nodePort !== undefined) p.nodePort = takeNodePort(`spec.ports[${i}].nodePort`, p.nodePort);
        });
        (spec.ports ?? []).forEach((p) => {
          if (p.nodePort !== undefined) return;
          const twin = (spec.ports ?? []).find((q) => q !== p && q.port === p.port && q.nodePort !== undefined && q.protocol !== p.protocol);
          p.nodePort = twin?.nodePort ?? takeNodePort('', undefined);
        });
      }
      if (needsHealthCheckNodePort(svc)) {
        spec.healthCheckNodePort = takeNodePort('spec.healthCheckNodePort', spec.healthCheckNodePort || undefined);
      }
    } catch (err) {
      if (err instanceof AllocationError) {
        rollback();
        throw internalError(`failed to allocate a ${err.message.includes('range') ? 'serviceIP or nodePort' : 'resource'}: ${err.message}`);
      }
      throw err;
    }

    if (dryRun) {
      rollback();
      return;
    }
    if (old) {
      const keepIPs = new Set(clusterIPsOf(svc));
      for (const n of clusterIPsOf(old)) if (!keepIPs.has(n)) this.ips.release(n);
      const keepPorts = new Set(nodePortsOf(svc));
      for (const n of nodePortsOf(old)) if (!keepPorts.has(n)) this.ports.release(n);
    }
  }
}

function clusterIPsOf(svc: Service): number[] {
  if (!needsClusterIP(svc)) return [];
  return (svc.spec.clusterIPs ?? (svc.spec.clusterIP ? [svc.spec.clusterIP] : []))
    .map((ip) => parseIPv4(ip))
    .filter((n): n is number => n !== undefined);
}

function nodePortsOf(svc: Service): number[] {
  const out = (svc.spec.ports ?? []).map((p) => p.nodePort).filter((n): n is number => typeof n === 'number' && n > 0);
  if (svc.spec.healthCheckNodePort) out.push(svc.spec.healthCheckNodePort);
  return [...new Set(out)];
}

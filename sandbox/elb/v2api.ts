/**
 * The ELBv2 (API version 2015-12-01) actions of the sandbox's Elastic Load Balancing endpoint: the
 * subset svcbot needs to find load balancers, their tags, listeners and targets' health, and to delete
 * them, written from the ELBv2 API reference. `server.ts` sends a request here when its `Version` is 2015-12-01; the classic
 * API answers every other request. Each handler returns the `<ActionResult>` content.
 */
import { constraint, leaf, members, node, notNull, type QueryParams, tagParams } from './query.js';
import { senderError } from './store.js';
import {
  type ElbV2Store,
  isLoadBalancerArn,
  isTargetGroupArn,
  listenerNotFound,
  loadBalancerArnNotFound,
  loadBalancerNamesNotFound,
  targetGroupNotFound,
  type TargetHealthDescription,
  type V2Listener,
  type V2LoadBalancer,
  type V2TargetGroup,
} from './v2store.js';

export const ELBV2_VERSION = '2015-12-01';

const MAX_PAGE_SIZE = 400;
/** DescribeTags, DescribeLoadBalancers: "You can specify up to 20 … in a single call." */
const MAX_ARNS_PER_CALL = 20;

type Handler = (p: QueryParams, store: ElbV2Store) => string;

/** The `<ActionResult>` content for an ELBv2 action, or undefined when the action is not simulated. */
export function handleV2(action: string, p: QueryParams, store: ElbV2Store): string | undefined {
  const handler = Object.hasOwn(HANDLERS, action) ? HANDLERS[action] : undefined;
  return handler?.(p, store);
}

// ---------------------------------------------------------------------------------------------------
// Rendering

function tagsXml(tags: Map<string, string>): string {
  return members('Tags', [...tags], ([key, value]) => leaf('Key', key) + leaf('Value', value));
}

function loadBalancerXml(lb: V2LoadBalancer): string {
  return (
    leaf('LoadBalancerArn', lb.arn) +
    leaf('DNSName', lb.dnsName) +
    leaf('CanonicalHostedZoneId', lb.canonicalHostedZoneId) +
    leaf('CreatedTime', lb.createdTime) +
    leaf('LoadBalancerName', lb.name) +
    leaf('Scheme', lb.scheme) +
    leaf('VpcId', lb.vpcId) +
    node('State', leaf('Code', lb.state)) +
    leaf('Type', lb.type) +
    members('AvailabilityZones', lb.availabilityZones, (z) => leaf('ZoneName', z.zoneName) + leaf('SubnetId', z.subnetId) + node('LoadBalancerAddresses')) +
    (lb.type === 'application' || lb.securityGroups.length > 0 ? members('SecurityGroups', lb.securityGroups, (sg) => sg) : '') +
    leaf('IpAddressType', lb.ipAddressType)
  );
}

function targetGroupXml(tg: V2TargetGroup): string {
  return (
    leaf('TargetGroupArn', tg.arn) +
    leaf('TargetGroupName', tg.name) +
    leaf('Protocol', tg.protocol) +
    leaf('Port', tg.port) +
    leaf('VpcId', tg.vpcId) +
    leaf('HealthCheckProtocol', tg.healthCheckProtocol) +
    leaf('HealthCheckPort', tg.healthCheckPort) +
    leaf('HealthCheckEnabled', tg.healthCheckEnabled) +
    leaf('HealthCheckIntervalSeconds', tg.healthCheckIntervalSeconds) +
    leaf('HealthCheckTimeoutSeconds', tg.healthCheckTimeoutSeconds) +
    leaf('HealthyThresholdCount', tg.healthyThresholdCount) +
    leaf('UnhealthyThresholdCount', tg.unhealthyThresholdCount) +
    leaf('HealthCheckPath', tg.healthCheckPath) +
    (tg.matcherHttpCode === undefined ? '' : node('Matcher', leaf('HttpCode', tg.matcherHttpCode))) +
    members('LoadBalancerArns', tg.loadBalancerArns, (arn) => arn) +
    leaf('TargetType', tg.targetType) +
    leaf('IpAddressType', 'ipv4')
  );
}

/**
 * A listener as DescribeListeners and CreateListener answer it. A forward action names its target group
 * twice, as AWS answers it: `TargetGroupArn`, and a `ForwardConfig` of that one group with weight 1.
 */
function listenerXml(l: V2Listener): string {
  return (
    leaf('ListenerArn', l.arn) +
    leaf('LoadBalancerArn', l.loadBalancerArn) +
    leaf('Port', l.port) +
    leaf('Protocol', l.protocol) +
    (l.certificates.length > 0 ? members('Certificates', l.certificates, (arn) => leaf('CertificateArn', arn)) : '') +
    leaf('SslPolicy', l.sslPolicy) +
    members(
      'DefaultActions',
      l.defaultActions,
      (a) =>
        leaf('Type', a.type) +
        leaf('TargetGroupArn', a.targetGroupArn) +
        leaf('Order', a.order) +
        node(
          'ForwardConfig',
          members('TargetGroups', [a.targetGroupArn], (arn) => leaf('TargetGroupArn', arn) + leaf('Weight', 1)),
          node('TargetGroupStickinessConfig', leaf('Enabled', false)),
        ),
    )
  );
}

function targetHealthXml(t: TargetHealthDescription): string {
  return (
    node('Target', leaf('Id', t.id), leaf('Port', t.port)) +
    leaf('HealthCheckPort', t.healthCheckPort) +
    node('TargetHealth', leaf('State', t.state), leaf('Reason', t.reason), leaf('Description', t.description))
  );
}

// ---------------------------------------------------------------------------------------------------
// Parameters

function pageSize(p: QueryParams): number {
  const size = p.optionalInt('PageSize') ?? MAX_PAGE_SIZE;
  if (size < 1) throw constraint('PageSize', String(size), 'Member must have value greater than or equal to 1');
  if (size > MAX_PAGE_SIZE) throw constraint('PageSize', String(size), `Member must have value less than or equal to ${MAX_PAGE_SIZE}`);
  return size;
}

function atMost(key: string, list: string[], max: number): string[] {
  if (list.length > max) throw constraint(key, `[${list.join(', ')}]`, `Member must have length less than or equal to ${max}`);
  return list;
}

function requiredList(p: QueryParams, key: string): string[] {
  const list = p.list(key);
  if (list === undefined) throw notNull(key);
  if (list.length === 0) throw constraint(key, '[]', 'Member must have length greater than or equal to 1');
  return list;
}

function checkLoadBalancerArn(arn: string): string {
  if (!isLoadBalancerArn(arn)) throw senderError('ValidationError', `'${arn}' is not a valid load balancer ARN`);
  return arn;
}

function checkTargetGroupArn(arn: string): string {
  if (!isTargetGroupArn(arn)) throw senderError('ValidationError', `'${arn}' is not a valid target group ARN`);
  return arn;
}

/** `Targets.member.N.Id/Port`. */
function targetParams(p: QueryParams): { id: string; port?: number }[] | undefined {
  return p.structList('Targets')?.map(({ path, fields }) => {
    const id = fields.get('Id');
    if (id === undefined) throw notNull(`${path}.Id`);
    const rawPort = fields.get('Port');
    if (rawPort === undefined || rawPort === '') return { id };
    if (!/^\d+$/.test(rawPort)) throw constraint(`${path}.Port`, rawPort, 'Member must be an integer');
    return { id, port: Number(rawPort) };
  });
}

/** `DefaultActions.member.N.Type/TargetGroupArn/Order`. */
function actionParams(p: QueryParams): { type: string; targetGroupArn?: string; order?: number }[] {
  const list = p.structList('DefaultActions');
  if (list === undefined) throw notNull('DefaultActions');
  return list.map(({ path, fields }) => {
    const type = fields.get('Type');
    if (type === undefined || type === '') throw notNull(`${path}.Type`);
    const targetGroupArn = fields.get('TargetGroupArn') || undefined;
    if (targetGroupArn !== undefined) checkTargetGroupArn(targetGroupArn);
    const rawOrder = fields.get('Order');
    if (rawOrder !== undefined && !/^\d+$/.test(rawOrder)) throw constraint(`${path}.Order`, rawOrder, 'Member must be an integer');
    return { type, ...(targetGroupArn === undefined ? {} : { targetGroupArn }), ...(rawOrder === undefined ? {} : { order: Number(rawOrder) }) };
  });
}

/** Markers are opaque to clients: base64 of the kind of list and the last key of the previous page. */
function encodeMarker(kind: string, key: string): string {
  return Buffer.from(`elbv2:${kind}:${key}`, 'utf8').toString('base64');
}

function decodeMarker(kind: string, marker: string): string {
  const decoded = Buffer.from(marker, 'base64').toString('utf8');
  const prefix = `elbv2:${kind}:`;
  if (!decoded.startsWith(prefix) || encodeMarker(kind, decoded.slice(prefix.length)) !== marker) {
    throw senderError('ValidationError', 'Invalid Marker');
  }
  return decoded.slice(prefix.length);
}

/** One page of `items` (sorted by `key`) after `Marker`, and the `NextMarker` when more follow. */
function page<T>(p: QueryParams, kind: string, items: T[], key: (item: T) => string): { items: T[]; nextMarker?: string } {
  const size = pageSize(p);
  const marker = p.optional('Marker');
  const after = marker ? decodeMarker(kind, marker) : undefined;
  const rest = after === undefined ? items : items.filter((item) => key(item) > after);
  const items_ = rest.slice(0, size);
  const last = items_[items_.length - 1];
  return rest.length > size && last !== undefined ? { items: items_, nextMarker: encodeMarker(kind, key(last)) } : { items: items_ };
}

function byName<T extends { name: string }>(list: T[]): T[] {
  return list.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

// ---------------------------------------------------------------------------------------------------
// Actions

const HANDLERS: Record<string, Handler> = {
  DescribeLoadBalancers(p, store) {
    const arns = p.list('LoadBalancerArns') ?? [];
    const names = p.list('Names') ?? [];
    if (arns.length > 0 && names.length > 0) {
      throw senderError('ValidationError', 'Load balancer names and load balancer ARNs cannot be specified at the same time');
    }
    let lbs: V2LoadBalancer[];
    if (arns.length > 0) {
      atMost('LoadBalancerArns', arns, MAX_ARNS_PER_CALL);
      lbs = byName(
        [...new Set(arns.map(checkLoadBalancerArn))].map((arn) => {
          const lb = store.getLoadBalancer(arn);
          if (!lb) throw loadBalancerArnNotFound(arn);
          return lb;
        }),
      );
    } else if (names.length > 0) {
      atMost('Names', names, MAX_ARNS_PER_CALL);
      const unique = [...new Set(names)];
      const missing = unique.filter((name) => !store.getLoadBalancerByName(name));
      if (missing.length > 0) throw loadBalancerNamesNotFound(missing);
      lbs = byName(unique.map((name) => store.getLoadBalancerByName(name)).filter((lb) => lb !== undefined));
    } else {
      lbs = store.listLoadBalancers();
    }
    const { items, nextMarker } = page(p, 'lb', lbs, (lb) => lb.name);
    return members('LoadBalancers', items, loadBalancerXml) + leaf('NextMarker', nextMarker);
  },

  CreateLoadBalancer(p, store) {
    const lb = store.createLoadBalancer({
      name: p.required('Name'),
      type: p.optional('Type') || undefined,
      scheme: p.optional('Scheme') || undefined,
      subnets: p.list('Subnets') ?? [],
      securityGroups: p.list('SecurityGroups') ?? [],
      tags: tagParams(p, false),
    });
    return members('LoadBalancers', [lb], loadBalancerXml);
  },

  DeleteLoadBalancer(p, store) {
    store.deleteLoadBalancer(checkLoadBalancerArn(p.required('LoadBalancerArn')));
    return '';
  },

  CreateListener(p, store) {
    const certificates = p.structList('Certificates')?.map(({ path, fields }) => {
      const arn = fields.get('CertificateArn');
      if (arn === undefined || arn === '') throw notNull(`${path}.CertificateArn`);
      return arn;
    });
    const sslPolicy = p.optional('SslPolicy') || undefined;
    const listener = store.createListener({
      loadBalancerArn: checkLoadBalancerArn(p.required('LoadBalancerArn')),
      protocol: p.optional('Protocol') || undefined,
      port: p.optionalInt('Port'),
      ...(certificates ? { certificates } : {}),
      ...(sslPolicy ? { sslPolicy } : {}),
      defaultActions: actionParams(p),
    });
    return members('Listeners', [listener], listenerXml);
  },

  DescribeListeners(p, store) {
    const lbArn = p.optional('LoadBalancerArn') || undefined;
    const arns = p.list('ListenerArns') ?? [];
    if (lbArn !== undefined && arns.length > 0) {
      throw senderError('ValidationError', 'Listener ARNs and a load balancer ARN cannot be specified at the same time');
    }
    let listeners: V2Listener[];
    if (lbArn !== undefined) {
      const found = store.listListeners(checkLoadBalancerArn(lbArn));
      if (!found) throw loadBalancerArnNotFound(lbArn);
      listeners = found;
    } else if (arns.length > 0) {
      listeners = [...new Set(arns)].map((arn) => {
        const listener = store.getListener(arn);
        if (!listener) throw listenerNotFound();
        return listener;
      });
    } else {
      throw senderError('ValidationError', 'You must specify either listener ARNs or a load balancer ARN');
    }
    // The marker's key orders the listeners: by load balancer, then by port.
    const key = (l: V2Listener) => `${l.loadBalancerArn} ${String(l.port).padStart(5, '0')}`;
    const sorted = listeners.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
    const { items, nextMarker } = page(p, 'listener', sorted, key);
    return members('Listeners', items, listenerXml) + leaf('NextMarker', nextMarker);
  },

  DescribeTags(p, store) {
    const arns = atMost('ResourceArns', requiredList(p, 'ResourceArns'), MAX_ARNS_PER_CALL);
    const described = store.describeTags(arns);
    return members('TagDescriptions', described, (d) => leaf('ResourceArn', d.arn) + tagsXml(d.tags));
  },

  AddTags(p, store) {
    const arns = atMost('ResourceArns', requiredList(p, 'ResourceArns'), MAX_ARNS_PER_CALL);
    store.addTags(arns, tagParams(p, true));
    return '';
  },

  RemoveTags(p, store) {
    const arns = atMost('ResourceArns', requiredList(p, 'ResourceArns'), MAX_ARNS_PER_CALL);
    store.removeTags(arns, requiredList(p, 'TagKeys'));
    return '';
  },

  DescribeTargetGroups(p, store) {
    const lbArn = p.optional('LoadBalancerArn') || undefined;
    const arns = p.list('TargetGroupArns') ?? [];
    const names = p.list('Names') ?? [];
    if ([lbArn !== undefined, arns.length > 0, names.length > 0].filter(Boolean).length > 1) {
      throw senderError('ValidationError', 'Only one of LoadBalancerArn, TargetGroupArns or Names can be specified');
    }
    let tgs = store.listTargetGroups();
    if (lbArn !== undefined) {
      if (!store.getLoadBalancer(checkLoadBalancerArn(lbArn))) throw loadBalancerArnNotFound(lbArn);
      tgs = tgs.filter((tg) => tg.loadBalancerArns.includes(lbArn));
    } else if (arns.length > 0) {
      for (const arn of arns) checkTargetGroupArn(arn);
      if (arns.some((arn) => !store.getTargetGroup(arn))) throw targetGroupNotFound();
      tgs = tgs.filter((tg) => arns.includes(tg.arn));
    } else if (names.length > 0) {
      const missing = names.filter((name) => !tgs.some((tg) => tg.name === name));
      if (missing.length > 0) throw targetGroupNotFound(missing.join(', '));
      tgs = tgs.filter((tg) => names.includes(tg.name));
    }
    const { items, nextMarker } = page(p, 'tg', tgs, (tg) => tg.name);
    return members('TargetGroups', items, targetGroupXml) + leaf('NextMarker', nextMarker);
  },

  CreateTargetGroup(p, store) {
    const tg = store.createTargetGroup({
      name: p.required('Name'),
      protocol: p.optional('Protocol') || undefined,
      port: p.optionalInt('Port'),
      vpcId: p.optional('VpcId') || undefined,
      targetType: p.optional('TargetType') || undefined,
      healthCheckProtocol: p.optional('HealthCheckProtocol') || undefined,
      healthCheckPort: p.optional('HealthCheckPort') || undefined,
      healthCheckPath: p.optional('HealthCheckPath') || undefined,
      tags: tagParams(p, false),
    });
    return members('TargetGroups', [tg], targetGroupXml);
  },

  RegisterTargets(p, store) {
    const arn = checkTargetGroupArn(p.required('TargetGroupArn'));
    const targets = targetParams(p);
    if (targets === undefined) throw notNull('Targets');
    store.registerTargets(arn, targets);
    return '';
  },

  DescribeTargetHealth(p, store) {
    const arn = checkTargetGroupArn(p.required('TargetGroupArn'));
    return members('TargetHealthDescriptions', store.describeTargetHealth(arn, targetParams(p)), targetHealthXml);
  },
};

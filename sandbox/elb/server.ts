/**
 * The sandbox's Elastic Load Balancing endpoint: the AWS Query protocol over plain HTTP, for both APIs
 * AWS serves on one endpoint (both sign as `elasticloadbalancing`): the classic API (2012-06-01, state
 * in an `ElbStore`) and a subset of ELBv2 (2015-12-01, state in an `ElbV2Store`, actions in
 * `v2api.ts`), told apart by the request's `Version`. So `@aws-sdk/client-elastic-load-balancing`,
 * `@aws-sdk/client-elastic-load-balancing-v2`, `aws elb ...` and `aws elbv2 ...` work against it when
 * pointed at its endpoint. Requests need not be signed.
 *
 * Fault knobs read on every request from `faults.settings`, for both APIs (one window shared by them):
 * `elbThrottleRatePerSecond` (requests over that many in the last second answer 400 `Throttling`, as
 * both APIs do on AWS) and `elbLatencyMs` (added to every answer).
 *
 * Given an IAM policy (./iam.ts), actions it does not allow answer 403 `AccessDenied`.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { setTimeout as delay } from 'node:timers/promises';
import type { Faults } from '../faults.js';
import type { IamPolicy } from './iam.js';
import {
  constraint,
  ELB_NAMESPACE,
  ELBV2_NAMESPACE,
  errorXml,
  leaf,
  members,
  node,
  notNull,
  QueryParams,
  successXml,
  tagParams,
} from './query.js';
import {
  ElbError,
  type ElbStore,
  type HealthCheck,
  type InstanceHealth,
  type Listener,
  type LoadBalancer,
  loadBalancerNotFound,
  senderError,
  validateLoadBalancerName,
} from './store.js';
import { ELBV2_VERSION, handleV2 } from './v2api.js';
import { ElbV2Store } from './v2store.js';
import { readQueryBody, sendQueryXml } from '../query-http.js';

export interface ElbApiServerOptions {
  region: string;
  /** Clock for the throttling window, epoch ms; defaults to `Date.now`. */
  now?: () => number;
  /**
   * State of the ELBv2 API (requests with Version=2015-12-01). When absent, the server keeps its own
   * (no DNS delay, no target warm-up, on the same clock).
   */
  v2?: ElbV2Store;
  /**
   * Enforce this IAM policy: actions it does not allow answer 403 `AccessDenied`, except for requests
   * signed with the access key `SANDBOX_ADMIN_ACCESS_KEY_ID` (test setup, the sandbox's own tooling).
   */
  iamPolicy?: IamPolicy;
  /** Told of every request the IAM policy refused (the AccessDenied message). */
  onRefusal?: (message: string) => void;
}

/** Access key id of requests the IAM policy never refuses. */
export const SANDBOX_ADMIN_ACCESS_KEY_ID = 'sandbox-admin';

/** The access key id a SigV4-signed request names (`Credential=AKID/date/region/service/aws4_request`). */
export function accessKeyOf(req: http.IncomingMessage): string | undefined {
  return /Credential=([^/,\s]+)\//.exec(req.headers.authorization ?? '')?.[1];
}

/** The ARN a request acts on, as far as the sandbox tells it: a named load balancer, else `*`. */
function resourceOf(params: URLSearchParams, region: string): string {
  const arn = params.get('LoadBalancerArn') ?? params.get('LoadBalancerArns.member.1') ?? params.get('TargetGroupArn');
  if (arn) return arn;
  const name = params.get('LoadBalancerName') ?? params.get('LoadBalancerNames.member.1');
  return name ? `arn:aws:elasticloadbalancing:${region}:${SANDBOX_ACCOUNT_ID}:loadbalancer/${name}` : '*';
}

/** Account id the sandbox reports as owner (SourceSecurityGroup.OwnerAlias). */
const SANDBOX_ACCOUNT_ID = '123456789012';

const MAX_PAGE_SIZE = 400;
const MAX_DESCRIBE_TAGS_NAMES = 20;

type Handler = (p: QueryParams, store: ElbStore) => string;

export function createElbApiServer(store: ElbStore, faults: Faults, opts: ElbApiServerOptions): http.Server {
  const now = opts.now ?? Date.now;
  const v2 = opts.v2 ?? new ElbV2Store({ region: opts.region, dnsDelayMs: 0, targetWarmupMs: 0, now });
  const admitted: number[] = [];

  /** Sliding one-second window; throttled requests do not count against the rate. */
  const throttled = (): boolean => {
    const limit = faults.settings.elbThrottleRatePerSecond;
    if (limit <= 0) return false;
    const t = now();
    while (admitted.length > 0 && (admitted[0] ?? 0) <= t - 1000) admitted.shift();
    if (admitted.length >= limit) return true;
    admitted.push(t);
    return false;
  };

  /** How many of each action `elbThrottleNext` has throttled, for the setting as it was last set. */
  let throttleNextOf = faults.settings.elbThrottleNext;
  const throttledNext = new Map<string, number>();
  const throttleNext = (action: string | null): boolean => {
    const next = faults.settings.elbThrottleNext;
    if (next !== throttleNextOf) {
      throttleNextOf = next;
      throttledNext.clear();
    }
    if (action === null || !Object.hasOwn(next, action)) return false;
    const done = throttledNext.get(action) ?? 0;
    if (done >= (next[action] ?? 0)) return false;
    throttledNext.set(action, done + 1);
    return true;
  };

  return http.createServer((req, res) => {
    const requestId = randomUUID();
    const isThrottled = throttled();
    // The API version decides the namespace of errors too, so it is read before anything can fail.
    const params = new URLSearchParams(new URL(req.url ?? '/', 'http://localhost').search);
    const namespace = () => (params.get('Version') === ELBV2_VERSION ? ELBV2_NAMESPACE : ELB_NAMESPACE);
    void readBody(req)
      .then(async (body) => {
        if (body.length > 0) {
          for (const [key, value] of new URLSearchParams(body)) params.append(key, value);
        }
        const latency = faults.settings.elbLatencyMs;
        if (latency > 0) await delay(latency);
        if (isThrottled || throttleNext(params.get('Action'))) throw senderError('Throttling', 'Rate exceeded');
        if (req.method !== 'GET' && req.method !== 'POST') {
          throw senderError('InvalidAction', `HTTP method ${req.method ?? ''} is not supported; use POST or GET`, 405);
        }
        const action = params.get('Action');
        if (opts.iamPolicy && action && accessKeyOf(req) !== SANDBOX_ADMIN_ACCESS_KEY_ID) {
          const denial = opts.iamPolicy.check(`elasticloadbalancing:${action}`, resourceOf(params, opts.region));
          if (denial) {
            opts.onRefusal?.(denial.message);
            throw senderError('AccessDenied', denial.message, 403);
          }
        }
        return handle(new QueryParams(params), store, v2, requestId);
      })
      .then(
        (xml) => send(res, 200, requestId, xml),
        (err: unknown) => {
          const elbError =
            err instanceof ElbError
              ? err
              : new ElbError('InternalFailure', `Internal error: ${err instanceof Error ? err.message : String(err)}`, 500, 'Receiver');
          send(res, elbError.status, requestId, errorXml(elbError, requestId, namespace()));
        },
      );
  });
}

function send(res: http.ServerResponse, status: number, requestId: string, xml: string): void {
  sendQueryXml(res, status, requestId, xml, 'text/xml');
}

const readBody = (req: http.IncomingMessage) => readQueryBody(req, (max) => senderError('ValidationError', `Request body larger than ${max} bytes`, 413));

function handle(p: QueryParams, store: ElbStore, v2: ElbV2Store, requestId: string): string {
  const action = p.optional('Action');
  if (action === undefined || action === '') {
    throw senderError('MissingAction', 'The request must contain the parameter Action.');
  }
  if (p.optional('Version') === ELBV2_VERSION) {
    const result = handleV2(action, p, v2);
    if (result === undefined) {
      throw senderError('InvalidAction', `The action ${action} is not valid for this web service.`);
    }
    return successXml(action, requestId, result, ELBV2_NAMESPACE);
  }
  const handler = Object.hasOwn(HANDLERS, action) ? HANDLERS[action] : undefined;
  if (!handler) {
    throw senderError('InvalidAction', `The action ${action} is not valid for this web service.`);
  }
  return successXml(action, requestId, handler(p, store));
}

// ---------------------------------------------------------------------------------------------------
// Rendering

function listenerXml(l: Listener): string {
  return node(
    'Listener',
    leaf('Protocol', l.protocol),
    leaf('LoadBalancerPort', l.loadBalancerPort),
    leaf('InstanceProtocol', l.instanceProtocol),
    leaf('InstancePort', l.instancePort),
    leaf('SSLCertificateId', l.sslCertificateId),
  );
}

function healthCheckXml(hc: HealthCheck): string {
  return node(
    'HealthCheck',
    leaf('Target', hc.target),
    leaf('Interval', hc.interval),
    leaf('Timeout', hc.timeout),
    leaf('UnhealthyThreshold', hc.unhealthyThreshold),
    leaf('HealthyThreshold', hc.healthyThreshold),
  );
}

function instancesXml(ids: string[]): string {
  return members('Instances', ids, (id) => leaf('InstanceId', id));
}

function loadBalancerXml(lb: LoadBalancer, groupName: (groupId: string) => string): string {
  return (
    leaf('LoadBalancerName', lb.name) +
    leaf('DNSName', lb.dnsName) +
    leaf('CanonicalHostedZoneName', lb.canonicalHostedZoneName) +
    leaf('CanonicalHostedZoneNameID', lb.canonicalHostedZoneNameID) +
    members('ListenerDescriptions', lb.listeners, (l) => listenerXml(l) + node('PolicyNames')) +
    node('Policies', node('AppCookieStickinessPolicies'), node('LBCookieStickinessPolicies'), node('OtherPolicies')) +
    node('BackendServerDescriptions') +
    members('AvailabilityZones', lb.availabilityZones, (z) => z) +
    members('Subnets', lb.subnets, (s) => s) +
    leaf('VPCId', lb.vpcId) +
    instancesXml(lb.instances) +
    healthCheckXml(lb.healthCheck) +
    node(
      'SourceSecurityGroup',
      leaf('OwnerAlias', SANDBOX_ACCOUNT_ID),
      leaf('GroupName', lb.securityGroups[0] === undefined ? undefined : groupName(lb.securityGroups[0])),
    ) +
    members('SecurityGroups', lb.securityGroups, (sg) => sg) +
    leaf('CreatedTime', lb.createdTime) +
    leaf('Scheme', lb.scheme)
  );
}

function instanceStateXml(s: InstanceHealth): string {
  return (
    leaf('InstanceId', s.instanceId) +
    leaf('State', s.state) +
    leaf('ReasonCode', s.reasonCode) +
    leaf('Description', s.description)
  );
}

function tagsXml(tags: Map<string, string>): string {
  return members('Tags', [...tags], ([key, value]) => leaf('Key', key) + leaf('Value', value));
}

// ---------------------------------------------------------------------------------------------------
// Parameters

/** `LoadBalancerNames.member.N`, required and non-empty. */
function requiredNames(p: QueryParams, key: string): string[] {
  const names = p.list(key);
  if (names === undefined) throw notNull(key);
  if (names.length === 0) throw constraint(key, '[]', 'Member must have length greater than or equal to 1');
  return names;
}

function requireExisting(store: ElbStore, names: string[]): LoadBalancer[] {
  return names.map((name) => {
    const lb = store.get(name);
    if (!lb) throw loadBalancerNotFound(name);
    return lb;
  });
}

function instanceParams(p: QueryParams, required: boolean): string[] {
  const list = p.structList('Instances');
  if (list === undefined) {
    if (required) throw notNull('Instances');
    return [];
  }
  return list.map(({ path, fields }) => {
    const id = fields.get('InstanceId');
    if (id === undefined) throw notNull(`${path}.InstanceId`);
    return id;
  });
}

function int(path: string, value: string | undefined): number {
  if (value === undefined || value === '') throw notNull(path);
  if (!/^-?\d+$/.test(value)) throw constraint(path, value, 'Member must be an integer');
  return Number(value);
}

function encodeMarker(name: string): string {
  return Buffer.from(`elb:${name}`, 'utf8').toString('base64');
}

function decodeMarker(marker: string): string {
  const decoded = Buffer.from(marker, 'base64').toString('utf8');
  if (!decoded.startsWith('elb:') || encodeMarker(decoded.slice(4)) !== marker) {
    throw senderError('ValidationError', 'Invalid Marker');
  }
  return decoded.slice(4);
}

// ---------------------------------------------------------------------------------------------------
// Actions

const HANDLERS: Record<string, Handler> = {
  DescribeLoadBalancers(p, store) {
    const names = p.list('LoadBalancerNames');
    const pageSize = p.optionalInt('PageSize') ?? MAX_PAGE_SIZE;
    if (pageSize < 1) throw constraint('PageSize', String(pageSize), 'Member must have value greater than or equal to 1');
    if (pageSize > MAX_PAGE_SIZE) {
      throw constraint('PageSize', String(pageSize), `Member must have value less than or equal to ${MAX_PAGE_SIZE}`);
    }
    let lbs: LoadBalancer[];
    if (names && names.length > 0) {
      for (const name of names) validateLoadBalancerName(name);
      lbs = requireExisting(store, [...new Set(names)]).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    } else {
      lbs = store.list();
    }
    const marker = p.optional('Marker');
    if (marker) {
      const after = decodeMarker(marker);
      lbs = lbs.filter((lb) => lb.name > after);
    }
    const page = lbs.slice(0, pageSize);
    const last = page[page.length - 1];
    const more = lbs.length > pageSize && last !== undefined;
    return (
      members('LoadBalancerDescriptions', page, (lb) => loadBalancerXml(lb, (id) => store.securityGroupName(id))) +
      (more ? leaf('NextMarker', encodeMarker(last.name)) : '')
    );
  },

  DescribeTags(p, store) {
    const names = requiredNames(p, 'LoadBalancerNames');
    if (names.length > MAX_DESCRIBE_TAGS_NAMES) {
      throw constraint(
        'LoadBalancerNames',
        `[${names.join(', ')}]`,
        `Member must have length less than or equal to ${MAX_DESCRIBE_TAGS_NAMES}`,
      );
    }
    const lbs = requireExisting(store, names);
    return members('TagDescriptions', lbs, (lb) => leaf('LoadBalancerName', lb.name) + tagsXml(lb.tags));
  },

  DescribeInstanceHealth(p, store) {
    const name = p.required('LoadBalancerName');
    const states = store.instanceHealth(name, instanceParams(p, false));
    return members('InstanceStates', states, instanceStateXml);
  },

  CreateLoadBalancer(p, store) {
    const name = p.required('LoadBalancerName');
    const listenerParams = p.structList('Listeners');
    if (listenerParams === undefined) throw notNull('Listeners');
    const listeners: Listener[] = listenerParams.map(({ path, fields }) => {
      const protocol = fields.get('Protocol');
      if (!protocol) throw notNull(`${path}.Protocol`);
      const l: Listener = {
        protocol,
        loadBalancerPort: int(`${path}.LoadBalancerPort`, fields.get('LoadBalancerPort')),
        instanceProtocol: fields.get('InstanceProtocol') ?? '',
        instancePort: int(`${path}.InstancePort`, fields.get('InstancePort')),
      };
      const cert = fields.get('SSLCertificateId');
      if (cert) l.sslCertificateId = cert;
      return l;
    });
    const scheme = p.optional('Scheme');
    const lb = store.create({
      name,
      listeners,
      availabilityZones: p.list('AvailabilityZones') ?? [],
      subnets: p.list('Subnets') ?? [],
      securityGroups: p.list('SecurityGroups') ?? [],
      // The store rejects anything but the two schemes with a ValidationError.
      scheme: scheme === undefined || scheme === '' ? undefined : (scheme as 'internet-facing' | 'internal'),
      tags: tagParams(p, false),
    });
    return leaf('DNSName', lb.dnsName);
  },

  DeleteLoadBalancer(p, store) {
    store.delete(p.required('LoadBalancerName'));
    return '';
  },

  AddTags(p, store) {
    const names = requiredNames(p, 'LoadBalancerNames');
    if (names.length > 1) {
      throw constraint('LoadBalancerNames', `[${names.join(', ')}]`, 'Member must have length less than or equal to 1');
    }
    store.addTags(names, tagParams(p, true));
    return '';
  },

  RemoveTags(p, store) {
    const names = requiredNames(p, 'LoadBalancerNames');
    if (names.length > 1) {
      throw constraint('LoadBalancerNames', `[${names.join(', ')}]`, 'Member must have length less than or equal to 1');
    }
    const list = p.structList('Tags');
    if (list === undefined) throw notNull('Tags');
    if (list.length === 0) throw constraint('Tags', '[]', 'Member must have length greater than or equal to 1');
    const keys = list.map(({ path, fields }) => {
      const key = fields.get('Key');
      if (key === undefined) throw notNull(`${path}.Key`);
      return key;
    });
    store.removeTags(names, keys);
    return '';
  },

  ConfigureHealthCheck(p, store) {
    const name = p.required('LoadBalancerName');
    const hc = store.configureHealthCheck(name, {
      target: p.required('HealthCheck.Target'),
      interval: p.requiredInt('HealthCheck.Interval'),
      timeout: p.requiredInt('HealthCheck.Timeout'),
      unhealthyThreshold: p.requiredInt('HealthCheck.UnhealthyThreshold'),
      healthyThreshold: p.requiredInt('HealthCheck.HealthyThreshold'),
    });
    return healthCheckXml(hc);
  },

  RegisterInstancesWithLoadBalancer(p, store) {
    const name = p.required('LoadBalancerName');
    return instancesXml(store.registerInstances(name, instanceParams(p, true)));
  },

  DeregisterInstancesFromLoadBalancer(p, store) {
    const name = p.required('LoadBalancerName');
    return instancesXml(store.deregisterInstances(name, instanceParams(p, true)));
  },

  DescribeLoadBalancerAttributes(p, store) {
    const name = p.required('LoadBalancerName');
    if (!store.get(name)) throw loadBalancerNotFound(name);
    return node(
      'LoadBalancerAttributes',
      node('CrossZoneLoadBalancing', leaf('Enabled', false)),
      node('AccessLog', leaf('Enabled', false)),
      node('ConnectionDraining', leaf('Enabled', false), leaf('Timeout', 300)),
      node('ConnectionSettings', leaf('IdleTimeout', 60)),
      members('AdditionalAttributes', [['elb.http.desyncmitigationmode', 'defensive']], ([key, value]) =>
        leaf('Key', key) + leaf('Value', value),
      ),
    );
  },
};

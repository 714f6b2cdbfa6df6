/**
 * The sandbox's EC2 endpoint: the EC2 Query API (version 2016-11-15) over plain HTTP on its own loopback
 * port, so that `aws ec2 … --endpoint-url`, `AWS_ENDPOINT_URL_EC2` and `@aws-sdk/client-ec2` work
 * against it unchanged. Requests need not be signed. Actions: DescribeInstances,
 * DescribeSecurityGroups, AuthorizeSecurityGroupIngress, RevokeSecurityGroupIngress (state in an
 * `Ec2Store`).
 *
 * Given an IAM policy (../elb/iam.ts, the same evaluation as the ELB APIs, for `ec2:` actions; a change
 * to a security group is evaluated with the group's tags, for `aws:ResourceTag/…` conditions), actions
 * it does not allow answer 403 `UnauthorizedOperation`, as EC2 does; requests signed with the access
 * key `sandbox-admin` are never refused.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { IamPolicy } from '../elb/iam.js';
import { accessKeyOf, SANDBOX_ADMIN_ACCESS_KEY_ID } from '../elb/server.js';
import type { IngressRule } from './ingress.js';
import {
  Ec2Error,
  ec2ErrorXml,
  Ec2Params,
  ec2SuccessXml,
  filtersOf,
  items,
  leaf,
  node,
} from './query.js';
import { type Ec2Store, type GroupRef, type Instance, type PermissionInput, SANDBOX_ACCOUNT_ID, type SecurityGroup } from './store.js';
import { readQueryBody, sendQueryXml } from '../query-http.js';

export interface Ec2ApiServerOptions {
  region: string;
  /** Enforce this IAM policy on `ec2:` actions, except for requests signed with the `sandbox-admin` key. */
  iamPolicy?: IamPolicy;
  /** Told of every request the IAM policy refused (the UnauthorizedOperation message). */
  onRefusal?: (message: string) => void;
}


type Handler = (p: Ec2Params, store: Ec2Store) => string;

export function createEc2ApiServer(store: Ec2Store, opts: Ec2ApiServerOptions): http.Server {
  return http.createServer((req, res) => {
    const requestId = randomUUID();
    const params = new URLSearchParams(new URL(req.url ?? '/', 'http://localhost').search);
    void readBody(req)
      .then((body) => {
        for (const [key, value] of new URLSearchParams(body)) params.append(key, value);
        if (req.method !== 'GET' && req.method !== 'POST') {
          throw new Ec2Error('InvalidAction', `HTTP method ${req.method ?? ''} is not supported; use POST or GET`, 405);
        }
        const action = params.get('Action');
        if (action === null || action === '') throw new Ec2Error('MissingAction', 'The request must contain the parameter Action');
        const handler = Object.hasOwn(HANDLERS, action) ? HANDLERS[action] : undefined;
        if (!handler) throw new Ec2Error('InvalidAction', `The action ${action} is not valid for this web service.`);
        if (opts.iamPolicy && accessKeyOf(req) !== SANDBOX_ADMIN_ACCESS_KEY_ID) {
          const group = action.startsWith('Describe') ? undefined : store.findGroup(params.get('GroupId') ?? '');
          const denial = opts.iamPolicy.check(`ec2:${action}`, resourceOf(action, params, opts.region), group ? { resourceTags: group.tags } : {});
          if (denial) {
            const message = `You are not authorized to perform this operation. ${denial.message}`;
            opts.onRefusal?.(message);
            throw new Ec2Error('UnauthorizedOperation', message, 403);
          }
        }
        return ec2SuccessXml(action, requestId, handler(new Ec2Params(params), store));
      })
      .then(
        (xml) => send(res, 200, requestId, xml),
        (err: unknown) => {
          const ec2Error =
            err instanceof Ec2Error ? err : new Ec2Error('InternalError', 'An internal error has occurred', 500);
          send(res, ec2Error.status, requestId, ec2ErrorXml(ec2Error, requestId));
        },
      );
  });
}

/** The ARN an action acts on: the security group a change names; `*` for Describe actions, as on AWS. */
function resourceOf(action: string, params: URLSearchParams, region: string): string {
  const groupId = params.get('GroupId');
  if (!action.startsWith('Describe') && groupId) return `arn:aws:ec2:${region}:${SANDBOX_ACCOUNT_ID}:security-group/${groupId}`;
  return '*';
}

function send(res: http.ServerResponse, status: number, requestId: string, xml: string): void {
  sendQueryXml(res, status, requestId, xml, 'text/xml;charset=UTF-8');
}

const readBody = (req: http.IncomingMessage) => readQueryBody(req, (max) => new Ec2Error('RequestEntityTooLarge', `Request body larger than ${max} bytes`, 413));

// ---------------------------------------------------------------------------------------------------
// Parameters

/** `IpPermissions.N.*`, or the legacy top-level `IpProtocol`/`FromPort`/`ToPort`/`CidrIp`/`SourceSecurityGroupName`. */
function permissionsOf(p: Ec2Params): PermissionInput[] {
  const structured = p.structs('IpPermissions');
  if (structured.length > 0) {
    return structured.map((perm) => ({
      protocol: perm.get('IpProtocol'),
      fromPort: perm.get('FromPort'),
      toPort: perm.get('ToPort'),
      cidrs: perm.structs('IpRanges').flatMap((r) => {
        const cidr = r.get('CidrIp');
        const description = r.get('Description');
        return cidr === undefined ? [] : [{ cidr, ...(description === undefined ? {} : { description }) }];
      }),
      groups: perm.structs('Groups').map((g) => {
        const [groupId, groupName, description] = [g.get('GroupId'), g.get('GroupName'), g.get('Description')];
        return {
          ...(groupId === undefined ? {} : { groupId }),
          ...(groupName === undefined ? {} : { groupName }),
          ...(description === undefined ? {} : { description }),
        };
      }),
    }));
  }
  const protocol = p.get('IpProtocol');
  const cidr = p.get('CidrIp');
  const sourceGroup = p.get('SourceSecurityGroupName');
  if (protocol === undefined && cidr === undefined && sourceGroup === undefined) return [];
  return [
    {
      // A source group alone (the legacy form) means all traffic from it.
      protocol: protocol ?? (sourceGroup !== undefined ? '-1' : undefined),
      fromPort: p.get('FromPort'),
      toPort: p.get('ToPort'),
      cidrs: cidr === undefined ? [] : [{ cidr }],
      groups: sourceGroup === undefined ? [] : [{ groupName: sourceGroup }],
    },
  ];
}

function groupRefOf(p: Ec2Params): GroupRef {
  const [groupId, groupName] = [p.get('GroupId'), p.get('GroupName')];
  return { ...(groupId === undefined ? {} : { groupId }), ...(groupName === undefined ? {} : { groupName }) };
}

// ---------------------------------------------------------------------------------------------------
// Rendering

function tagSetXml(tags: readonly [string, string][]): string {
  return items('tagSet', tags, ([key, value]) => leaf('key', key) + leaf('value', value));
}

function groupSetXml(groups: Instance['securityGroups']): string {
  return items('groupSet', groups, (g) => leaf('groupId', g.groupId) + leaf('groupName', g.groupName));
}

function instanceXml(i: Instance): string {
  const association =
    i.publicIpAddress === undefined
      ? ''
      : node('association', leaf('publicIp', i.publicIpAddress), node('publicDnsName'), leaf('ipOwnerId', 'amazon'));
  return (
    leaf('instanceId', i.instanceId) +
    leaf('imageId', i.imageId) +
    node('instanceState', leaf('code', i.state.code), leaf('name', i.state.name)) +
    leaf('privateDnsName', i.privateDnsName) +
    // No public DNS name: the public address is a loopback one, which no public name could stand for.
    node('dnsName') +
    node('reason') +
    leaf('amiLaunchIndex', 0) +
    node('productCodes') +
    leaf('instanceType', i.instanceType) +
    leaf('launchTime', i.launchTime) +
    node('placement', leaf('availabilityZone', i.availabilityZone), node('groupName'), leaf('tenancy', 'default')) +
    node('monitoring', leaf('state', 'disabled')) +
    leaf('subnetId', i.subnetId) +
    leaf('vpcId', i.vpcId) +
    leaf('privateIpAddress', i.privateIpAddress) +
    leaf('ipAddress', i.publicIpAddress) +
    leaf('sourceDestCheck', true) +
    groupSetXml(i.securityGroups) +
    leaf('architecture', 'x86_64') +
    leaf('rootDeviceType', 'ebs') +
    leaf('rootDeviceName', '/dev/xvda') +
    node('blockDeviceMapping') +
    leaf('virtualizationType', 'hvm') +
    tagSetXml(i.tags) +
    leaf('hypervisor', 'xen') +
    items('networkInterfaceSet', [i], () =>
      leaf('networkInterfaceId', i.instanceId.replace(/^i-/, 'eni-')) +
        leaf('subnetId', i.subnetId) +
        leaf('vpcId', i.vpcId) +
        leaf('ownerId', SANDBOX_ACCOUNT_ID) +
        leaf('status', 'in-use') +
        leaf('privateIpAddress', i.privateIpAddress) +
        leaf('privateDnsName', i.privateDnsName) +
        leaf('sourceDestCheck', true) +
        groupSetXml(i.securityGroups) +
        node('attachment', leaf('deviceIndex', 0), leaf('status', 'attached'), leaf('deleteOnTermination', true)) +
        association,
    ) +
    leaf('ebsOptimized', false)
  );
}

/** Flat rules as EC2 lists them: one permission per protocol and port range, with its sources. */
function permissionsXml(name: string, rules: readonly Omit<IngressRule, 'ruleId'>[]): string {
  const byRange = new Map<string, Omit<IngressRule, 'ruleId'>[]>();
  for (const rule of rules) {
    const key = `${rule.protocol}/${rule.fromPort}/${rule.toPort}`;
    byRange.set(key, [...(byRange.get(key) ?? []), rule]);
  }
  return items(name, [...byRange.values()], (sameRange) => {
    const first = sameRange[0];
    const hasPorts = first !== undefined && first.protocol !== '-1';
    return (
      leaf('ipProtocol', first?.protocol) +
      (hasPorts ? leaf('fromPort', first.fromPort) + leaf('toPort', first.toPort) : '') +
      items(
        'groups',
        sameRange.flatMap((r) => ('groupId' in r.source ? [{ groupId: r.source.groupId, description: r.description }] : [])),
        (g) => leaf('userId', SANDBOX_ACCOUNT_ID) + leaf('groupId', g.groupId) + leaf('description', g.description),
      ) +
      items(
        'ipRanges',
        sameRange.flatMap((r) => ('cidr' in r.source ? [{ cidr: r.source.cidr, description: r.description }] : [])),
        (c) => leaf('cidrIp', c.cidr) + leaf('description', c.description),
      ) +
      node('ipv6Ranges') +
      node('prefixListIds')
    );
  });
}

function securityGroupXml(g: SecurityGroup): string {
  return (
    leaf('ownerId', g.ownerId) +
    leaf('groupId', g.groupId) +
    leaf('groupName', g.groupName) +
    leaf('groupDescription', g.description) +
    leaf('vpcId', g.vpcId) +
    permissionsXml('ipPermissions', g.ingress) +
    permissionsXml('ipPermissionsEgress', g.egress) +
    tagSetXml(g.tags)
  );
}

/** A rule as AuthorizeSecurityGroupIngress (`referencedGroupInfo`) or RevokeSecurityGroupIngress (`referencedGroupId`) returns it. */
function ruleXml(groupId: string, r: IngressRule, referenced: 'info' | 'id'): string {
  const hasPorts = r.protocol !== '-1';
  return (
    leaf('securityGroupRuleId', r.ruleId) +
    leaf('groupId', groupId) +
    leaf('groupOwnerId', SANDBOX_ACCOUNT_ID) +
    leaf('isEgress', false) +
    leaf('ipProtocol', r.protocol) +
    leaf('fromPort', hasPorts ? r.fromPort : -1) +
    leaf('toPort', hasPorts ? r.toPort : -1) +
    ('cidr' in r.source
      ? leaf('cidrIpv4', r.source.cidr)
      : referenced === 'id'
        ? leaf('referencedGroupId', r.source.groupId)
        : node('referencedGroupInfo', leaf('groupId', r.source.groupId), leaf('userId', SANDBOX_ACCOUNT_ID))) +
    leaf('description', r.description)
  );
}

// ---------------------------------------------------------------------------------------------------
// Actions

const HANDLERS: Record<string, Handler> = {
  DescribeInstances(p, store) {
    const instances = store.describeInstances(p.list('InstanceId'), filtersOf(p));
    const reservations = new Map<string, Instance[]>();
    for (const i of instances) reservations.set(i.reservationId, [...(reservations.get(i.reservationId) ?? []), i]);
    return items('reservationSet', [...reservations], ([reservationId, members]) =>
      leaf('reservationId', reservationId) +
        leaf('ownerId', SANDBOX_ACCOUNT_ID) +
        node('groupSet') +
        items('instancesSet', members, instanceXml),
    );
  },

  DescribeSecurityGroups(p, store) {
    const groups = store.describeSecurityGroups(p.list('GroupId'), p.list('GroupName'), filtersOf(p));
    return items('securityGroupInfo', groups, securityGroupXml);
  },

  AuthorizeSecurityGroupIngress(p, store) {
    const ref = groupRefOf(p);
    const added = store.authorizeIngress(ref, permissionsOf(p));
    const groupId = store.group(ref).groupId;
    return leaf('return', true) + items('securityGroupRuleSet', added, (r) => ruleXml(groupId, r, 'info'));
  },

  RevokeSecurityGroupIngress(p, store) {
    const ref = groupRefOf(p);
    const { revoked, unknown } = store.revokeIngress(ref, permissionsOf(p));
    const groupId = store.group(ref).groupId;
    return (
      leaf('return', true) +
      (unknown.length > 0 ? permissionsXml('unknownIpPermissionSet', unknown) : '') +
      items('revokedSecurityGroupRuleSet', revoked, (r) => ruleXml(groupId, r, 'id'))
    );
  },
};

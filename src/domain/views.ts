/**
 * The domain's own picture of cluster and AWS objects, independent of any SDK: adapters build these from
 * API objects, services return them inside result objects, renderers turn the results into replies.
 */
import type { Protocol, Scope } from './command.js';
import type { NodePortAccess } from './node-port-access.js';

/** Every Service type Kubernetes knows (svcbot only creates the first three; it may still list the fourth). */
export type ServiceViewType = 'ClusterIP' | 'NodePort' | 'LoadBalancer' | 'ExternalName';

export interface ServicePortView {
  name?: string;
  port: number;
  targetPort: number | string;
  protocol: Protocol;
  /** Allocated by the API server for NodePort and LoadBalancer Services. */
  nodePort?: number;
}

export interface ServiceView {
  /** Name of the configured cluster the Service lives on. */
  cluster: string;
  namespace: string;
  name: string;
  uid: string;
  /** `metadata.resourceVersion`: changes with every change of the Service (opaque; compared for equality only). */
  resourceVersion: string;
  type: ServiceViewType;
  /** `spec.clusterIP`: an address, `'None'` for a headless Service, absent before allocation / for ExternalName. */
  clusterIP?: string;
  /** `spec.externalName`, for ExternalName Services only. */
  externalName?: string;
  ports: ServicePortView[];
  selector: Record<string, string>;
  /** `status.loadBalancer.ingress[]`: hostname, or IP where there is no hostname. Empty while provisioning. */
  loadBalancerHostnames: string[];
  createdAt: Date;
  /** `metadata.deletionTimestamp` is set: deletion has started and waits for finalizers. */
  deleting: boolean;
  finalizers: string[];
}

export interface NodeView {
  name: string;
  internalIP?: string;
  externalIP?: string;
  hostname?: string;
  /** The node's `Ready` condition is `True`. */
  ready: boolean;
  /** `spec.providerID`, e.g. `aws:///us-east-1a/i-0abc…` (the node's EC2 instance). */
  providerID?: string;
}

/** One address:port behind a Service, from its EndpointSlices (or Endpoints). */
export interface PodEndpointView {
  ip: string;
  port: number;
  protocol: Protocol;
  portName?: string;
  ready: boolean;
  nodeName?: string;
  podName?: string;
}

export interface EventView {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
  count: number;
  lastSeen: Date;
}

interface LoadBalancerListenerView {
  protocol: string;
  loadBalancerPort: number;
  instanceProtocol: string;
  instancePort: number;
}

interface HealthCheckView {
  /** e.g. `TCP:30080` or `HTTP:30080/healthz`. */
  target: string;
  /** Seconds. */
  interval: number;
  /** Seconds. */
  timeout: number;
  healthyThreshold: number;
  unhealthyThreshold: number;
}

export type InstanceState = 'InService' | 'OutOfService' | 'Unknown';

interface InstanceHealthView {
  instanceId: string;
  state: InstanceState;
  description?: string;
}

/** A classic ELB, as DescribeLoadBalancers + DescribeInstanceHealth report it. */
export interface LoadBalancerView {
  name: string;
  dnsName: string;
  /** `internet-facing` or `internal`. */
  scheme: string;
  listeners: LoadBalancerListenerView[];
  healthCheck?: HealthCheckView;
  instances: InstanceHealthView[];
  /** Its security groups (`SecurityGroups`; a load balancer in EC2-Classic or an old one may have none). */
  securityGroups?: string[];
  createdAt?: Date;
}

// ---- Results the services return and the renderers render ----

export interface CreateResult {
  service: ServiceView;
  nodes: NodeView[];
  /** Whether the node ports are open in the nodes' security groups (NodePort and LoadBalancer Services). */
  nodePortAccess?: NodePortAccess;
}

export interface DryRunResult {
  /** The manifest svcbot would apply, as YAML. */
  manifestYaml: string;
  scope: Scope;
  /** The resolved cluster name (the scope's, or the default cluster). */
  cluster: string;
}

export interface TypeChangeResult {
  /** The type before the change; equal to `service.type` when nothing changed. */
  before: ServiceViewType;
  service: ServiceView;
  nodes: NodeView[];
  /** Whether the node ports are open in the nodes' security groups (NodePort and LoadBalancer Services). */
  nodePortAccess?: NodePortAccess;
}

export interface DeleteResult {
  cluster: string;
  namespace: string;
  name: string;
  type: ServiceViewType;
  /** Deletion has started but finalizers (e.g. the load balancer's) still hold the object. */
  deleting: boolean;
}

export interface ListResult {
  cluster: string;
  /** The namespace listed, or null for all namespaces. */
  namespace: string | null;
  /** With `namespace` null on a namespaced install: the namespaces svcbot works in, which were listed. */
  namespaces?: readonly string[];
  services: ServiceView[];
  now: Date;
}

export interface DescribeResult {
  service: ServiceView;
  nodes: NodeView[];
  /** Whether the node ports are open in the nodes' security groups (NodePort and LoadBalancer Services). */
  nodePortAccess?: NodePortAccess;
  endpoints: PodEndpointView[];
  loadBalancer?: LoadBalancerView;
  /** Why the load balancer could not be described (user-facing plain text), when it could not. */
  loadBalancerError?: string;
  events: EventView[];
  now: Date;
}

/**
 * Hand-written OpenAPI v3 component schemas for the kinds the sandbox serves, trimmed from the
 * Kubernetes API reference: every field of Service, Namespace, Endpoints and EndpointSlice (and of
 * what they reference) with the extensions kubectl reads — `x-kubernetes-group-version-kind` to find a
 * kind, `x-kubernetes-patch-merge-key`/`x-kubernetes-patch-strategy` for client-side apply's
 * strategic merge patch, `x-kubernetes-list-type`/`-map-keys` for server-side apply. Descriptions
 * are one line, not the reference's paragraphs.
 *
 * Pod, Node, Event and Deployment are described only down to `spec`/`status`, which accept anything
 * (`x-kubernetes-preserve-unknown-fields`). They carry no GVK extension on purpose: kubectl then
 * computes their apply patches from its built-in Go types instead of warning that our schema lacks
 * a field.
 */

export type Schema = Record<string, unknown>;

const META = 'io.k8s.apimachinery.pkg.apis.meta.v1';
const CORE = 'io.k8s.api.core.v1';
const DISCOVERY = 'io.k8s.api.discovery.v1';
const APPS = 'io.k8s.api.apps.v1';

export function ref(name: string): Schema {
  return { $ref: `#/components/schemas/${name}` };
}
/** A property holding another component, written the way the apiserver writes it (allOf + default). */
function obj(name: string, description: string, extra: Schema = {}): Schema {
  return { allOf: [ref(name)], default: {}, description, ...extra };
}
function str(description: string, extra: Schema = {}): Schema {
  return { type: 'string', description, ...extra };
}
function int32(description: string, extra: Schema = {}): Schema {
  return { type: 'integer', format: 'int32', description, ...extra };
}
function int64(description: string, extra: Schema = {}): Schema {
  return { type: 'integer', format: 'int64', description, ...extra };
}
function bool(description: string): Schema {
  return { type: 'boolean', description };
}
function strings(description: string, listType: 'atomic' | 'set' = 'atomic', extra: Schema = {}): Schema {
  return { type: 'array', items: { type: 'string', default: '' }, description, 'x-kubernetes-list-type': listType, ...extra };
}
function stringMap(description: string, extra: Schema = {}): Schema {
  return { type: 'object', additionalProperties: { type: 'string', default: '' }, description, ...extra };
}
function items(name: string, description: string, extra: Schema = {}): Schema {
  return { type: 'array', items: { allOf: [ref(name)], default: {} }, description, ...extra };
}
function gvk(group: string, version: string, kind: string): Schema {
  return { 'x-kubernetes-group-version-kind': [{ group, kind, version }] };
}
const timeProp = (description: string): Schema => obj(`${META}.Time`, description, { default: undefined });

const API_VERSION = str('APIVersion defines the versioned schema of this representation of an object.');
const KIND = str('Kind is a string value representing the REST resource this object represents.');

/** Top-level object: apiVersion, kind, metadata and the given properties. */
function topLevel(description: string, properties: Schema, extra: Schema = {}): Schema {
  return {
    description,
    type: 'object',
    properties: {
      apiVersion: API_VERSION,
      kind: KIND,
      metadata: obj(`${META}.ObjectMeta`, "Standard object's metadata."),
      ...properties,
    },
    ...extra,
  };
}
function listOf(itemName: string, group: string, version: string, kind: string): Schema {
  return {
    description: `${kind}List is a list of ${kind} objects.`,
    type: 'object',
    required: ['items'],
    properties: {
      apiVersion: API_VERSION,
      items: items(itemName, `List of ${kind} objects.`),
      kind: KIND,
      metadata: obj(`${META}.ListMeta`, "Standard list metadata."),
    },
    ...gvk(group, version, `${kind}List`),
  };
}
/** spec/status that accept anything: for kinds the sandbox does not describe field by field. */
const OPEN_OBJECT: Schema = { type: 'object', 'x-kubernetes-preserve-unknown-fields': true };
function loose(description: string): Schema {
  return topLevel(description, {
    spec: { ...OPEN_OBJECT, description: 'Desired state (not described field by field by the sandbox).' },
    status: { ...OPEN_OBJECT, description: 'Observed state (not described field by field by the sandbox).' },
  });
}

const metaSchemas: Record<string, Schema> = {
  [`${META}.Time`]: {
    description: 'Time is a wrapper around time.Time which supports correct marshaling to YAML and JSON (RFC3339).',
    type: 'string',
    format: 'date-time',
  },
  [`${META}.MicroTime`]: {
    description: 'MicroTime is version of Time with microsecond level precision.',
    type: 'string',
    format: 'date-time',
  },
  [`${META}.FieldsV1`]: {
    description: 'FieldsV1 stores a set of fields in a data structure like a Trie, in JSON format.',
    type: 'object',
  },
  [`${META}.ManagedFieldsEntry`]: {
    description: 'ManagedFieldsEntry is a workflow-id, a FieldSet and the group version of the resource that the fieldset applies to.',
    type: 'object',
    properties: {
      apiVersion: str('APIVersion defines the version of this resource that this field set applies to.'),
      fieldsType: str('FieldsType is the discriminator for the different fields format and version.'),
      fieldsV1: obj(`${META}.FieldsV1`, 'FieldsV1 holds the first JSON version format as described in the "FieldsV1" type.', {
        default: undefined,
      }),
      manager: str('Manager is an identifier of the workflow managing these fields.'),
      operation: str("Operation is the type of operation which lead to this ManagedFieldsEntry being created: 'Apply' or 'Update'."),
      subresource: str('Subresource is the name of the subresource used to update that object, or empty string if the object was updated through the main resource.'),
      time: timeProp('Time is the timestamp of when the ManagedFields entry was added.'),
    },
  },
  [`${META}.OwnerReference`]: {
    description: 'OwnerReference contains enough information to let you identify an owning object.',
    type: 'object',
    required: ['apiVersion', 'kind', 'name', 'uid'],
    properties: {
      apiVersion: str('API version of the referent.', { default: '' }),
      blockOwnerDeletion: bool('If true, AND if the owner has the "foregroundDeletion" finalizer, then the owner cannot be deleted from the key-value store until this reference is removed.'),
      controller: bool('If true, this reference points to the managing controller.'),
      kind: str('Kind of the referent.', { default: '' }),
      name: str('Name of the referent.', { default: '' }),
      uid: str('UID of the referent.', { default: '' }),
    },
    'x-kubernetes-map-type': 'atomic',
  },
  [`${META}.ObjectMeta`]: {
    description: 'ObjectMeta is metadata that all persisted resources must have, which includes all objects users must create.',
    type: 'object',
    properties: {
      annotations: stringMap('Annotations is an unstructured key value map stored with a resource that may be set by external tools to store and retrieve arbitrary metadata.'),
      creationTimestamp: timeProp('CreationTimestamp is a timestamp representing the server time when this object was created. Read-only.'),
      deletionGracePeriodSeconds: int64('Number of seconds allowed for this object to gracefully terminate before it will be removed from the system.'),
      deletionTimestamp: timeProp('DeletionTimestamp is RFC 3339 date and time at which this resource will be deleted. Read-only.'),
      finalizers: strings('Must be empty before the object is deleted from the registry.', 'set', {
        'x-kubernetes-patch-strategy': 'merge',
      }),
      generateName: str('GenerateName is an optional prefix, used by the server, to generate a unique name ONLY IF the Name field has not been provided.'),
      generation: int64('A sequence number representing a specific generation of the desired state. Read-only.'),
      labels: stringMap('Map of string keys and values that can be used to organize and categorize (scope and select) objects.'),
      managedFields: items(`${META}.ManagedFieldsEntry`, 'ManagedFields maps workflow-id and version to the set of fields that are managed by that workflow.', {
        'x-kubernetes-list-type': 'atomic',
      }),
      name: str('Name must be unique within a namespace. Cannot be updated.'),
      namespace: str('Namespace defines the space within which each name must be unique. Cannot be updated.'),
      ownerReferences: items(`${META}.OwnerReference`, 'List of objects depended by this object.', {
        'x-kubernetes-list-map-keys': ['uid'],
        'x-kubernetes-list-type': 'map',
        'x-kubernetes-patch-merge-key': 'uid',
        'x-kubernetes-patch-strategy': 'merge',
      }),
      resourceVersion: str('An opaque value that represents the internal version of this object. Read-only.'),
      selfLink: str('Deprecated: selfLink is a legacy read-only field that is no longer populated by the system.'),
      uid: str('UID is the unique in time and space value for this object. Read-only.'),
    },
  },
  [`${META}.ListMeta`]: {
    description: 'ListMeta describes metadata that synthetic resources must have, including lists and various status objects.',
    type: 'object',
    properties: {
      continue: str('continue may be set if the user set a limit on the number of items returned.'),
      remainingItemCount: int64('remainingItemCount is the number of subsequent items in the list which are not included in this list response.'),
      resourceVersion: str("String that identifies the server's internal version of this object. Read-only."),
      selfLink: str('Deprecated: selfLink is a legacy read-only field that is no longer populated by the system.'),
    },
  },
  [`${META}.Condition`]: {
    description: 'Condition contains details for one aspect of the current state of this API Resource.',
    type: 'object',
    required: ['type', 'status', 'lastTransitionTime', 'reason', 'message'],
    properties: {
      lastTransitionTime: timeProp('lastTransitionTime is the last time the condition transitioned from one status to another.'),
      message: str('message is a human readable message indicating details about the transition.', { default: '' }),
      observedGeneration: int64('observedGeneration represents the .metadata.generation that the condition was set based upon.'),
      reason: str("reason contains a programmatic identifier indicating the reason for the condition's last transition.", { default: '' }),
      status: str('status of the condition, one of True, False, Unknown.', { default: '' }),
      type: str('type of condition in CamelCase or in foo.example.com/CamelCase.', { default: '' }),
    },
  },
  [`${META}.StatusCause`]: {
    description: 'StatusCause provides more information about an api.Status failure, including cases when multiple errors are encountered.',
    type: 'object',
    properties: {
      field: str('The field of the resource that has caused this error, as named by its JSON serialization.'),
      message: str('A human-readable description of the cause of the error.'),
      reason: str('A machine-readable description of the cause of the error.'),
    },
  },
  [`${META}.StatusDetails`]: {
    description: 'StatusDetails is a set of additional properties that MAY be set by the server to provide additional information about a response.',
    type: 'object',
    properties: {
      causes: items(`${META}.StatusCause`, 'The Causes array includes more details associated with the StatusReason failure.', {
        'x-kubernetes-list-type': 'atomic',
      }),
      group: str('The group attribute of the resource associated with the status StatusReason.'),
      kind: str('The kind attribute of the resource associated with the status StatusReason.'),
      name: str('The name attribute of the resource associated with the status StatusReason (when there is a single name which can be described).'),
      retryAfterSeconds: int32('If specified, the time in seconds before the operation should be retried.'),
      uid: str('UID of the resource.'),
    },
  },
  [`${META}.Status`]: {
    description: 'Status is a return value for calls that don\'t return other objects.',
    type: 'object',
    properties: {
      apiVersion: API_VERSION,
      code: int32('Suggested HTTP return code for this status, 0 if not set.'),
      details: obj(`${META}.StatusDetails`, 'Extended data associated with the reason.', { default: undefined }),
      kind: KIND,
      message: str('A human-readable description of the status of this operation.'),
      metadata: obj(`${META}.ListMeta`, 'Standard list metadata.'),
      reason: str('A machine-readable description of why this operation is in the "Failure" status.'),
      status: str('Status of the operation. One of: "Success" or "Failure".'),
    },
    ...gvk('', 'v1', 'Status'),
  },
  [`${META}.Preconditions`]: {
    description: 'Preconditions must be fulfilled before an operation (update, delete, etc.) is carried out.',
    type: 'object',
    properties: {
      resourceVersion: str('Specifies the target ResourceVersion'),
      uid: str('Specifies the target UID.'),
    },
  },
  [`${META}.DeleteOptions`]: {
    description: 'DeleteOptions may be provided when deleting an API object.',
    type: 'object',
    properties: {
      apiVersion: API_VERSION,
      dryRun: strings('When present, indicates that modifications should not be persisted.'),
      gracePeriodSeconds: int64('The duration in seconds before the object should be deleted.'),
      kind: KIND,
      orphanDependents: bool('Deprecated: please use the PropagationPolicy.'),
      preconditions: obj(`${META}.Preconditions`, 'Must be fulfilled before a deletion is carried out.', { default: undefined }),
      propagationPolicy: str("Whether and how garbage collection will be performed: 'Orphan', 'Background' or 'Foreground'."),
    },
    'x-kubernetes-group-version-kind': [
      { group: '', kind: 'DeleteOptions', version: 'v1' },
      { group: 'apps', kind: 'DeleteOptions', version: 'v1' },
      { group: 'discovery.k8s.io', kind: 'DeleteOptions', version: 'v1' },
    ],
  },
  [`${META}.Patch`]: {
    description: 'Patch is provided to give a concrete name and type to the Kubernetes PATCH request body.',
    type: 'object',
  },
  [`${META}.WatchEvent`]: {
    description: 'Event represents a single event to a watched resource.',
    type: 'object',
    required: ['type', 'object'],
    properties: {
      object: obj('io.k8s.apimachinery.pkg.runtime.RawExtension', 'Object is the object of the event: the full object for ADDED/MODIFIED/DELETED, a Status for ERROR.', {
        default: undefined,
      }),
      type: str('ADDED, MODIFIED, DELETED, BOOKMARK or ERROR.', { default: '' }),
    },
  },
  'io.k8s.apimachinery.pkg.runtime.RawExtension': {
    description: 'RawExtension is used to hold extensions in external versions.',
    type: 'object',
  },
  'io.k8s.apimachinery.pkg.util.intstr.IntOrString': {
    description: 'IntOrString is a type that can hold an int32 or a string.',
    type: 'string',
    format: 'int-or-string',
  },
};

const PROTOCOL = str('The IP protocol for this port. Supports "TCP", "UDP", and "SCTP". Default is TCP.', {
  enum: ['SCTP', 'TCP', 'UDP'],
});

const serviceSchemas: Record<string, Schema> = {
  [`${CORE}.Service`]: topLevel(
    'Service is a named abstraction of software service (for example, mysql) consisting of local port (for example 3306) that the proxy listens on, and the selector that determines which pods will answer requests sent through the proxy.',
    {
      spec: obj(`${CORE}.ServiceSpec`, 'Spec defines the behavior of a service.'),
      status: obj(`${CORE}.ServiceStatus`, 'Most recently observed status of the service. Populated by the system. Read-only.'),
    },
    gvk('', 'v1', 'Service'),
  ),
  [`${CORE}.ServiceList`]: listOf(`${CORE}.Service`, '', 'v1', 'Service'),
  [`${CORE}.ServiceSpec`]: {
    description: 'ServiceSpec describes the attributes that a user creates on a service.',
    type: 'object',
    properties: {
      allocateLoadBalancerNodePorts: bool('allocateLoadBalancerNodePorts defines if NodePorts will be automatically allocated for services with type LoadBalancer. Default is "true".'),
      clusterIP: str('clusterIP is the IP address of the service and is usually assigned randomly; "None" makes a headless service.'),
      clusterIPs: strings('ClusterIPs is a list of IP addresses assigned to this service, and are usually assigned randomly.'),
      externalIPs: strings('externalIPs is a list of IP addresses for which nodes in the cluster will also accept traffic for this service.'),
      externalName: str('externalName is the external reference that discovery mechanisms will return as an alias for this service (e.g. a DNS CNAME record). Requires type ExternalName.'),
      externalTrafficPolicy: str('externalTrafficPolicy describes how nodes distribute service traffic they receive on one of the Service\'s "externally-facing" addresses.', {
        enum: ['Cluster', 'Local'],
      }),
      healthCheckNodePort: int32('healthCheckNodePort specifies the healthcheck nodePort for the service (LoadBalancer with externalTrafficPolicy Local).'),
      internalTrafficPolicy: str('InternalTrafficPolicy describes how nodes distribute service traffic they receive on the ClusterIP.', {
        enum: ['Cluster', 'Local'],
      }),
      ipFamilies: strings('IPFamilies is a list of IP families (e.g. IPv4, IPv6) assigned to this service.'),
      ipFamilyPolicy: str('IPFamilyPolicy represents the dual-stack-ness requested or required by this Service.', {
        enum: ['PreferDualStack', 'RequireDualStack', 'SingleStack'],
      }),
      loadBalancerClass: str('loadBalancerClass is the class of the load balancer implementation this Service belongs to.'),
      loadBalancerIP: str('Only applies to Service Type: LoadBalancer. Deprecated.'),
      loadBalancerSourceRanges: strings('If specified and supported by the platform, traffic through the cloud-provider load-balancer will be restricted to the specified client IPs.'),
      ports: items(`${CORE}.ServicePort`, 'The list of ports that are exposed by this service.', {
        'x-kubernetes-list-map-keys': ['port', 'protocol'],
        'x-kubernetes-list-type': 'map',
        'x-kubernetes-patch-merge-key': 'port',
        'x-kubernetes-patch-strategy': 'merge',
      }),
      publishNotReadyAddresses: bool('publishNotReadyAddresses indicates that any agent which deals with endpoints for this Service should disregard any indications of ready/not-ready.'),
      selector: stringMap('Route service traffic to pods with label keys and values matching this selector.', {
        'x-kubernetes-map-type': 'atomic',
      }),
      sessionAffinity: str('Supports "ClientIP" and "None". Used to maintain session affinity. Defaults to None.', {
        enum: ['ClientIP', 'None'],
      }),
      sessionAffinityConfig: obj(`${CORE}.SessionAffinityConfig`, 'sessionAffinityConfig contains the configurations of session affinity.', {
        default: undefined,
      }),
      trafficDistribution: str('TrafficDistribution offers a way to express preferences for how traffic is distributed to Service endpoints.'),
      type: str('type determines how the Service is exposed. Defaults to ClusterIP.', {
        enum: ['ClusterIP', 'ExternalName', 'LoadBalancer', 'NodePort'],
      }),
    },
  },
  [`${CORE}.ServicePort`]: {
    description: "ServicePort contains information on service's port.",
    type: 'object',
    required: ['port'],
    properties: {
      appProtocol: str('The application protocol for this port.'),
      name: str('The name of this port within the service. This must be a DNS_LABEL.'),
      nodePort: int32('The port on each node on which this service is exposed when type is NodePort or LoadBalancer.'),
      port: int32('The port that will be exposed by this service.', { default: 0 }),
      protocol: { ...PROTOCOL, default: 'TCP' },
      targetPort: obj('io.k8s.apimachinery.pkg.util.intstr.IntOrString', 'Number or name of the port to access on the pods targeted by the service.', {
        default: undefined,
      }),
    },
  },
  [`${CORE}.SessionAffinityConfig`]: {
    description: 'SessionAffinityConfig represents the configurations of session affinity.',
    type: 'object',
    properties: {
      clientIP: obj(`${CORE}.ClientIPConfig`, 'clientIP contains the configurations of Client IP based session affinity.', {
        default: undefined,
      }),
    },
  },
  [`${CORE}.ClientIPConfig`]: {
    description: 'ClientIPConfig represents the configurations of Client IP based session affinity.',
    type: 'object',
    properties: {
      timeoutSeconds: int32('timeoutSeconds specifies the seconds of ClientIP type session sticky time (0 < value <= 86400).'),
    },
  },
  [`${CORE}.ServiceStatus`]: {
    description: 'ServiceStatus represents the current status of a service.',
    type: 'object',
    properties: {
      conditions: items(`${META}.Condition`, 'Current service state', {
        'x-kubernetes-list-map-keys': ['type'],
        'x-kubernetes-list-type': 'map',
        'x-kubernetes-patch-merge-key': 'type',
        'x-kubernetes-patch-strategy': 'merge',
      }),
      loadBalancer: obj(`${CORE}.LoadBalancerStatus`, 'LoadBalancer contains the current status of the load-balancer, if one is present.'),
    },
  },
  [`${CORE}.LoadBalancerStatus`]: {
    description: 'LoadBalancerStatus represents the status of a load-balancer.',
    type: 'object',
    properties: {
      ingress: items(`${CORE}.LoadBalancerIngress`, 'Ingress is a list containing ingress points for the load-balancer.', {
        'x-kubernetes-list-type': 'atomic',
      }),
    },
  },
  [`${CORE}.LoadBalancerIngress`]: {
    description: 'LoadBalancerIngress represents the status of a load-balancer ingress point.',
    type: 'object',
    properties: {
      hostname: str('Hostname is set for load-balancer ingress points that are DNS based (typically AWS load-balancers).'),
      ip: str('IP is set for load-balancer ingress points that are IP based.'),
      ipMode: str('IPMode specifies how the load-balancer IP behaves: "VIP" or "Proxy".'),
      ports: items(`${CORE}.PortStatus`, 'Ports is a list of records of service ports.', { 'x-kubernetes-list-type': 'atomic' }),
    },
  },
  [`${CORE}.PortStatus`]: {
    description: 'PortStatus represents the error condition of a service port.',
    type: 'object',
    required: ['port', 'protocol'],
    properties: {
      error: str('Error is to record the problem with the service port.'),
      port: int32('Port is the port number of the service port of which status is recorded here', { default: 0 }),
      protocol: { ...PROTOCOL, default: '' },
    },
  },
};

const namespaceSchemas: Record<string, Schema> = {
  [`${CORE}.Namespace`]: topLevel(
    'Namespace provides a scope for Names. Use of multiple namespaces is optional.',
    {
      spec: obj(`${CORE}.NamespaceSpec`, 'Spec defines the behavior of the Namespace.'),
      status: obj(`${CORE}.NamespaceStatus`, 'Status describes the current status of a Namespace.'),
    },
    gvk('', 'v1', 'Namespace'),
  ),
  [`${CORE}.NamespaceList`]: listOf(`${CORE}.Namespace`, '', 'v1', 'Namespace'),
  [`${CORE}.NamespaceSpec`]: {
    description: 'NamespaceSpec describes the attributes on a Namespace.',
    type: 'object',
    properties: {
      finalizers: strings('Finalizers is an opaque list of values that must be empty to permanently remove object from storage.'),
    },
  },
  [`${CORE}.NamespaceStatus`]: {
    description: 'NamespaceStatus is information about the current status of a Namespace.',
    type: 'object',
    properties: {
      conditions: items(`${CORE}.NamespaceCondition`, "Represents the latest available observations of a namespace's current state.", {
        'x-kubernetes-list-map-keys': ['type'],
        'x-kubernetes-list-type': 'map',
        'x-kubernetes-patch-merge-key': 'type',
        'x-kubernetes-patch-strategy': 'merge',
      }),
      phase: str('Phase is the current lifecycle phase of the namespace.', { enum: ['Active', 'Terminating'] }),
    },
  },
  [`${CORE}.NamespaceCondition`]: {
    description: "NamespaceCondition contains details about state of namespace.",
    type: 'object',
    required: ['type', 'status'],
    properties: {
      lastTransitionTime: timeProp('Last time the condition transitioned from one status to another.'),
      message: str('Human-readable message indicating details about last transition.'),
      reason: str("Unique, one-word, CamelCase reason for the condition's last transition."),
      status: str('Status of the condition, one of True, False, Unknown.', { default: '' }),
      type: str('Type of namespace controller condition.', { default: '' }),
    },
  },
};

const endpointsSchemas: Record<string, Schema> = {
  [`${CORE}.Endpoints`]: topLevel(
    'Endpoints is a collection of endpoints that implement the actual service.',
    {
      subsets: items(`${CORE}.EndpointSubset`, 'The set of all endpoints is the union of all subsets.', {
        'x-kubernetes-list-type': 'atomic',
      }),
    },
    gvk('', 'v1', 'Endpoints'),
  ),
  [`${CORE}.EndpointsList`]: listOf(`${CORE}.Endpoints`, '', 'v1', 'Endpoints'),
  [`${CORE}.EndpointSubset`]: {
    description: 'EndpointSubset is a group of addresses with a common set of ports.',
    type: 'object',
    properties: {
      addresses: items(`${CORE}.EndpointAddress`, 'IP addresses which offer the related ports that are marked as ready.', {
        'x-kubernetes-list-type': 'atomic',
      }),
      notReadyAddresses: items(`${CORE}.EndpointAddress`, 'IP addresses which offer the related ports but are not currently marked as ready.', {
        'x-kubernetes-list-type': 'atomic',
      }),
      ports: items(`${CORE}.EndpointPort`, 'Port numbers available on the related IP addresses.', {
        'x-kubernetes-list-type': 'atomic',
      }),
    },
  },
  [`${CORE}.EndpointAddress`]: {
    description: 'EndpointAddress is a tuple that describes single IP address.',
    type: 'object',
    required: ['ip'],
    properties: {
      hostname: str('The Hostname of this endpoint'),
      ip: str('The IP of this endpoint.', { default: '' }),
      nodeName: str('Optional: Node hosting this endpoint.'),
      targetRef: obj(`${CORE}.ObjectReference`, 'Reference to object providing the endpoint.', { default: undefined }),
    },
    'x-kubernetes-map-type': 'atomic',
  },
  [`${CORE}.EndpointPort`]: {
    description: 'EndpointPort is a tuple that describes a single port.',
    type: 'object',
    required: ['port'],
    properties: {
      appProtocol: str('The application protocol for this port.'),
      name: str('The name of this port. Must match the name field in the ServicePort.'),
      port: int32('The port number of the endpoint.', { default: 0 }),
      protocol: PROTOCOL,
    },
    'x-kubernetes-map-type': 'atomic',
  },
  [`${CORE}.ObjectReference`]: {
    description: 'ObjectReference contains enough information to let you inspect or modify the referred object.',
    type: 'object',
    properties: {
      apiVersion: str('API version of the referent.'),
      fieldPath: str('If referring to a piece of an object instead of an entire object, this string should contain a valid JSON/Go field access statement.'),
      kind: str('Kind of the referent.'),
      name: str('Name of the referent.'),
      namespace: str('Namespace of the referent.'),
      resourceVersion: str('Specific resourceVersion to which this reference is made, if any.'),
      uid: str('UID of the referent.'),
    },
    'x-kubernetes-map-type': 'atomic',
  },
};

/** Components of the /openapi/v3/api/v1 document. */
export const CORE_V1_SCHEMAS: Readonly<Record<string, Schema>> = {
  ...metaSchemas,
  ...serviceSchemas,
  ...namespaceSchemas,
  ...endpointsSchemas,
  [`${CORE}.Pod`]: loose('Pod is a collection of containers that can run on a host.'),
  [`${CORE}.PodList`]: listOf(`${CORE}.Pod`, '', 'v1', 'Pod'),
  [`${CORE}.Node`]: loose('Node is a worker node in Kubernetes.'),
  [`${CORE}.NodeList`]: listOf(`${CORE}.Node`, '', 'v1', 'Node'),
  [`${CORE}.Event`]: {
    ...topLevel('Event is a report of an event somewhere in the cluster.', {}),
    'x-kubernetes-preserve-unknown-fields': true,
  },
  [`${CORE}.EventList`]: listOf(`${CORE}.Event`, '', 'v1', 'Event'),
};

/** Components of the /openapi/v3/apis/apps/v1 document. */
export const APPS_V1_SCHEMAS: Readonly<Record<string, Schema>> = {
  ...metaSchemas,
  [`${APPS}.Deployment`]: loose('Deployment enables declarative updates for Pods and ReplicaSets.'),
  [`${APPS}.DeploymentList`]: listOf(`${APPS}.Deployment`, 'apps', 'v1', 'Deployment'),
};

/** Components of the /openapi/v3/apis/discovery.k8s.io/v1 document. */
export const DISCOVERY_V1_SCHEMAS: Readonly<Record<string, Schema>> = {
  ...metaSchemas,
  [`${CORE}.ObjectReference`]: endpointsSchemas[`${CORE}.ObjectReference`] as Schema,
  [`${DISCOVERY}.EndpointSlice`]: {
    ...topLevel(
      'EndpointSlice represents a subset of the endpoints that implement a service.',
      {
        addressType: str('addressType specifies the type of address carried by this EndpointSlice: IPv4, IPv6 or FQDN.', {
          default: '',
          enum: ['FQDN', 'IPv4', 'IPv6'],
        }),
        endpoints: items(`${DISCOVERY}.Endpoint`, 'endpoints is a list of unique endpoints in this slice.', {
          'x-kubernetes-list-type': 'atomic',
        }),
        ports: items(`${DISCOVERY}.EndpointPort`, 'ports specifies the list of network ports exposed by each endpoint in this slice.', {
          'x-kubernetes-list-type': 'atomic',
        }),
      },
      gvk('discovery.k8s.io', 'v1', 'EndpointSlice'),
    ),
    required: ['addressType', 'endpoints'],
  },
  [`${DISCOVERY}.EndpointSliceList`]: listOf(`${DISCOVERY}.EndpointSlice`, 'discovery.k8s.io', 'v1', 'EndpointSlice'),
  [`${DISCOVERY}.Endpoint`]: {
    description: 'Endpoint represents a single logical "backend" implementing a service.',
    type: 'object',
    required: ['addresses'],
    properties: {
      addresses: strings('addresses of this endpoint.', 'set'),
      conditions: obj(`${DISCOVERY}.EndpointConditions`, 'conditions contains information about the current status of the endpoint.'),
      deprecatedTopology: stringMap('deprecatedTopology contains topology information part of the v1beta1 API.'),
      hints: obj(`${DISCOVERY}.EndpointHints`, 'hints contains information associated with how an endpoint should be consumed.', {
        default: undefined,
      }),
      hostname: str('hostname of this endpoint.'),
      nodeName: str('nodeName represents the name of the Node hosting this endpoint.'),
      targetRef: obj(`${CORE}.ObjectReference`, 'targetRef is a reference to a Kubernetes object that represents this endpoint.', {
        default: undefined,
      }),
      zone: str('zone is the name of the Zone this endpoint exists in.'),
    },
  },
  [`${DISCOVERY}.EndpointConditions`]: {
    description: 'EndpointConditions represents the current condition of an endpoint.',
    type: 'object',
    properties: {
      ready: bool('ready indicates that this endpoint is prepared to receive traffic.'),
      serving: bool('serving is identical to ready except that it is set regardless of the terminating state of endpoints.'),
      terminating: bool('terminating indicates that this endpoint is terminating.'),
    },
  },
  [`${DISCOVERY}.EndpointHints`]: {
    description: 'EndpointHints provides hints describing how an endpoint should be consumed.',
    type: 'object',
    properties: {
      forZones: items(`${DISCOVERY}.ForZone`, 'forZones indicates the zone(s) this endpoint should be consumed by.', {
        'x-kubernetes-list-type': 'atomic',
      }),
    },
  },
  [`${DISCOVERY}.ForZone`]: {
    description: 'ForZone provides information about which zones should consume this endpoint.',
    type: 'object',
    required: ['name'],
    properties: { name: str('name represents the name of the zone.', { default: '' }) },
  },
  [`${DISCOVERY}.EndpointPort`]: {
    description: 'EndpointPort represents a Port used by an EndpointSlice',
    type: 'object',
    properties: {
      appProtocol: str('The application protocol for this port.'),
      name: str('name represents the name of this port.'),
      port: int32('port represents the port number of the endpoint.'),
      protocol: PROTOCOL,
    },
    'x-kubernetes-map-type': 'atomic',
  },
};

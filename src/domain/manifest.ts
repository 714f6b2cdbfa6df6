/**
 * The Service manifest svcbot applies (and shows for `--dry-run`). It is built from scratch from the
 * command's fields only, so it can never carry `externalIPs`, `loadBalancerIP`, `clusterIP` or `status`.
 */
import { stringify } from 'yaml';
import type { PortSpec, Protocol, ServiceType } from './command.js';

export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
const MANAGED_BY_VALUE = 'svcbot';

export interface ServiceManifestInput {
  name: string;
  namespace: string;
  selector: Record<string, string>;
  ports: PortSpec[];
  type: ServiceType;
  /** Extra labels; `app.kubernetes.io/managed-by` is always `svcbot` whatever is given here. */
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

interface ServiceManifestPort {
  name?: string;
  port: number;
  targetPort: number | string;
  protocol: Protocol;
}

export interface ServiceManifest {
  apiVersion: 'v1';
  kind: 'Service';
  metadata: {
    name: string;
    namespace: string;
    labels: Record<string, string>;
    annotations?: Record<string, string>;
  };
  spec: {
    type: ServiceType;
    selector: Record<string, string>;
    ports: ServiceManifestPort[];
  };
}

function manifestPort(p: PortSpec): ServiceManifestPort {
  const port: ServiceManifestPort = { port: p.port, targetPort: p.targetPort ?? p.port, protocol: p.protocol };
  return p.name === undefined ? port : { name: p.name, ...port };
}

/** The Service manifest for a create/expose command (fresh objects: nothing is shared with `input`). */
export function serviceManifest(input: ServiceManifestInput): ServiceManifest {
  const metadata: ServiceManifest['metadata'] = {
    name: input.name,
    namespace: input.namespace,
    labels: { ...input.labels, [MANAGED_BY_LABEL]: MANAGED_BY_VALUE },
  };
  if (input.annotations && Object.keys(input.annotations).length > 0) metadata.annotations = { ...input.annotations };
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata,
    spec: {
      type: input.type,
      selector: { ...input.selector },
      ports: input.ports.map(manifestPort),
    },
  };
}

/** YAML for `--dry-run` (and for anyone who wants to `kubectl apply -f` it themselves). */
export function manifestYaml(manifest: object): string {
  return stringify(manifest, { lineWidth: 0 });
}

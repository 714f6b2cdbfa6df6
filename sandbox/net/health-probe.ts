/**
 * The classic load balancer's health check, answered from the cluster's state: what an instance (a
 * node) would answer the ELB's probe of `PROTOCOL:PORT[/PATH]` now. `startSandbox` installs it as the
 * ELB store's health probe, so DescribeInstanceHealth (and the data plane, which routes only to
 * InService instances) follows pods becoming ready or not, with no timer.
 *
 * From the Kubernetes documentation of kube-proxy and the AWS cloud provider:
 * - The port is a Service's `healthCheckNodePort` (a LoadBalancer Service with `externalTrafficPolicy:
 *   Local`; the provider's target is `HTTP:<port>/healthz`): kube-proxy's health server answers 200 on
 *   a node that has a ready endpoint of that Service, 503 on the others — healthy only there.
 * - The port is a node port (the provider's `TCP:<nodePort>` for `externalTrafficPolicy: Cluster`):
 *   kube-proxy forwards the probe to a ready endpoint of the Service port and rejects it when there is
 *   none — healthy when the Service port has a ready endpoint (with `Local`, one on this node), the
 *   rule the data plane routes by (`ClusterView.readyEndpoints`). An HTTP(S)/SSL target on a node port
 *   is judged the same way: the pod's answer itself is not looked at.
 * - Any other port: nothing listens on the node, the probe fails.
 * An instance id that is no node of this cluster (an id registered by hand, another cluster's node):
 * undefined, the warm-up alone decides, as before there was a probe.
 */
import type { HealthProbe } from '../elb/store.js';
import type { KubeCluster } from '../kube/cluster.js';
import { ClusterView } from './cluster-view.js';

/** The probe `ElbStore.setHealthProbe` takes, reading `cluster` on every call. */
export function clusterHealthProbe(cluster: KubeCluster): HealthProbe {
  const view = new ClusterView(cluster);
  return (lb, instanceId) => {
    const node = view.nodeByInstanceId(instanceId);
    if (!node) return undefined;
    const match = /^(?:TCP|SSL|HTTP|HTTPS):(\d+)/i.exec(lb.healthCheck.target);
    if (!match) return false;
    const port = Number(match[1]);
    const nodeName = node.metadata.name;

    // One look over the Services: the port is a health check node port or a node port.
    for (const service of view.services()) {
      const { type, externalTrafficPolicy, healthCheckNodePort, ports = [] } = service.spec;
      if (type !== 'LoadBalancer' && type !== 'NodePort') continue;
      const tcp = ports.filter((p) => (p.protocol ?? 'TCP') === 'TCP');
      if (type === 'LoadBalancer' && externalTrafficPolicy === 'Local' && healthCheckNodePort === port) {
        return tcp.some((p) => view.readyEndpoints(service, p, nodeName).length > 0);
      }
      const owned = tcp.find((p) => p.nodePort === port);
      if (owned) {
        const onlyHere = externalTrafficPolicy === 'Local' ? nodeName : undefined;
        return view.readyEndpoints(service, owned, onlyHere).length > 0;
      }
    }
    return false;
  };
}

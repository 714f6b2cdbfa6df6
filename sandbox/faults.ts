/**
 * Fault knobs of the sandbox. One mutable object shared by the simulated apiserver, the ELB API and
 * the cloud controller; each reads the knobs it cares about on every request or reconcile, so tests
 * can turn faults on and off while the sandbox runs (`sandbox.faults.set({...})`).
 */
/** A permission the sandbox's RBAC denies: `verb` on `resource` (e.g. `services`), in `namespace` or everywhere. */
interface DeniedPermission {
  /** `get`, `list`, `watch`, `create`, `update`, `patch`, `delete`, `deletecollection`, or `*`. */
  verb: string;
  /** Plural resource, with `/subresource` for one (`services/status`). */
  resource: string;
  /** Only in this namespace; everywhere when absent. */
  namespace?: string;
}

export interface FaultSettings {
  /** Close every open watch connection every N seconds (0 = never). */
  watchDropEverySeconds: number;
  /** Answer every Nth Kubernetes API request with a 500 InternalError Status (0 = never). */
  kubeErrorEveryN: number;
  /** Extra latency added to every Kubernetes API request, in ms. */
  kubeLatencyMs: number;
  /** ELB API requests per second above which requests answer `Throttling` (0 = unlimited). */
  elbThrottleRatePerSecond: number;
  /**
   * The next N requests of each named ELB action answer `Throttling` (`{ DescribeLoadBalancers: 2 }`), as
   * AWS's per-action buckets do when one action is exhausted: a fault a test can count on, whatever the
   * timing. Setting it again starts the count again.
   */
  elbThrottleNext: Readonly<Record<string, number>>;
  /** Extra latency added to every ELB API call, in ms. */
  elbLatencyMs: number;
  /** When set, the cloud controller fails to provision load balancers with this message. */
  failProvisioning: string | null;
  /** When true, deleting a LoadBalancer Service removes it but leaves its ELB behind (an orphan). */
  leakLoadBalancers: boolean;
  /** Requests the apiserver's authorizer refuses with 403 Forbidden, as RBAC does. */
  deny: readonly DeniedPermission[];
}

const defaultFaults: Readonly<FaultSettings> = Object.freeze({
  watchDropEverySeconds: 0,
  kubeErrorEveryN: 0,
  kubeLatencyMs: 0,
  elbThrottleRatePerSecond: 0,
  elbThrottleNext: {},
  elbLatencyMs: 0,
  failProvisioning: null,
  leakLoadBalancers: false,
  deny: [],
});

type Listener = (current: Readonly<FaultSettings>) => void;

export class Faults {
  private current: FaultSettings;
  private readonly listeners = new Set<Listener>();

  constructor(initial: Partial<FaultSettings> = {}) {
    this.current = { ...defaultFaults, ...initial };
  }

  get settings(): Readonly<FaultSettings> {
    return this.current;
  }

  /** Changes some knobs; the others keep their values. */
  set(changes: Partial<FaultSettings>): void {
    this.current = { ...this.current, ...changes };
    for (const listener of this.listeners) listener(this.current);
  }

  /** Turns every fault off. */
  reset(): void {
    this.set({ ...defaultFaults });
  }

  /** Calls `listener` whenever a knob changes; returns the unsubscribe function. */
  onChange(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

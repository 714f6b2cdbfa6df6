/** The parsed form of a `/svc …` command line: what the grammar produces and the services consume. */

export type ServiceType = 'ClusterIP' | 'NodePort' | 'LoadBalancer';

export type Protocol = 'TCP' | 'UDP' | 'SCTP';

export interface PortSpec {
  /** IANA_SVC_NAME; required when a Service has more than one port. */
  name?: string;
  port: number;
  /** Container port number or named container port; defaults to `port` when absent. */
  targetPort?: number | string;
  protocol: Protocol;
}

/** Where a command acts: a namespace on a configured cluster (undefined = the default cluster). */
export interface Scope {
  namespace: string;
  cluster?: string;
}

export type Command =
  | { kind: 'help'; topic?: string }
  | {
      kind: 'create';
      name: string;
      selector: Record<string, string>;
      ports: PortSpec[];
      type: ServiceType;
      scope: Scope;
      dryRun: boolean;
    }
  | {
      kind: 'expose';
      deployment: string;
      /** Service name; defaults to the deployment's name. */
      name?: string;
      ports: PortSpec[];
      type: ServiceType;
      scope: Scope;
      dryRun: boolean;
    }
  | { kind: 'type'; name: string; type: ServiceType; scope: Scope }
  | { kind: 'delete'; name: string; scope: Scope }
  | { kind: 'list'; scope: Scope; allNamespaces: boolean; type?: ServiceType }
  | { kind: 'describe'; name: string; scope: Scope }
  /** Load-balancer jobs (running and recent) of a cluster; with `-n`, of that namespace only. */
  | { kind: 'jobs'; scope: Scope; onlyNamespace?: string }
  /** Cancel a load-balancer job by the ID `jobs` shows. */
  | { kind: 'cancel'; jobId: string }
  /** Approval requests still waiting (of one cluster with `--cluster`). */
  | { kind: 'approvals'; cluster?: string }
  /** Decide an approval request by the ID its message shows. */
  | { kind: 'approve'; id: string }
  | { kind: 'reject'; id: string; reason?: string }
  /** The requester takes their own request back. */
  | { kind: 'withdraw'; id: string }
  /** The newest audit entries, of one Service or one user if asked. */
  | { kind: 'audit'; limit: number; service?: string; user?: string }
  /** The orphaned load balancers of the configured regions (of one cluster or region if asked); `ignored`: the ignored ones. */
  | { kind: 'orphans'; cluster?: string; region?: string; all: boolean; ignored: boolean; page: number }
  /**
   * Act on one orphaned load balancer, named by its key (the ARN of an NLB/ALB, REGION/NAME of a classic
   * one, or REGION/NAME of any): delete it (through approval), snooze it for 7 days, ignore it (with a
   * reason) or take it back into reports.
   */
  | { kind: 'orphan'; action: OrphanAction; key: string; reason?: string }
  /**
   * Open a Service's node ports (NodePort) or its load balancer's listeners (LoadBalancer) to one source
   * range for a while (`grant`), list the openings still in force (`list`), or close one now (`revoke`).
   */
  | AllowCommand;

export type AllowCommand =
  | {
      kind: 'allow';
      action: 'grant';
      name: string;
      /** The source range, in the network form EC2 stores (`203.0.113.0/24`, `2001:db8::/32`). */
      cidr: string;
      /** How long it stays open (ms); undefined: the policy's default (2 h). */
      durationMs?: number;
      scope: Scope;
    }
  | { kind: 'allow'; action: 'list'; cluster?: string }
  | { kind: 'allow'; action: 'revoke'; id: string };

export type OrphanAction = 'delete' | 'snooze' | 'ignore' | 'unignore';

export type CommandKind = Command['kind'];

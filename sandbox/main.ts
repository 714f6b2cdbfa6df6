/** `svcbot sandbox`: runs the sandbox in the foreground and prints one JSON line once it is ready. */
import { readFileSync } from 'node:fs';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { sandboxDefaults, startSandbox, type BindFailure, type SandboxOptions } from './index.js';

export interface SandboxCommandIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

export const sandboxUsage = `Usage: svcbot sandbox [options]

Runs a simulated Kubernetes cluster (the Kubernetes API), the AWS ELB API (classic, and an ELBv2 subset on
the same endpoint), a minimal AWS EC2 API (the nodes as instances, their security groups) and a DNS server
for the load balancers' names on loopback, in the foreground. Once ready it prints ONE JSON line on stdout with
kubeconfig, kubeApi, elbEndpoint, ec2Endpoint, dnsServer, region, clusterName and env (the environment
variables that point svcbot at it). Stop it with Ctrl-C.

Options:
  --kubeconfig FILE          where to write the kubeconfig (default ${sandboxDefaults.kubeconfigPath})
  --kube-port PORT           Kubernetes API port (default 0: any free port)
  --elb-port PORT            ELB API port (default 0: any free port)
  --ec2-port PORT            EC2 API port (default 0: any free port)
  --dns-port PORT            DNS (UDP) port (default 0: any free port)
  --cluster-name NAME        cluster name in the ELB tags kubernetes.io/cluster/NAME (default ${sandboxDefaults.clusterName})
  --region REGION            AWS region of the load balancers (default ${sandboxDefaults.region})
  --nodes N                  number of nodes (default ${sandboxDefaults.nodes})
  --provision-delay MS       time to create a load balancer (default ${sandboxDefaults.provisionDelayMs})
  --deprovision-delay MS     time to delete a load balancer (default: the provisioning delay)
  --dns-delay MS             time for a new load balancer's name to resolve (default ${sandboxDefaults.dnsDelayMs})
  --instance-warmup MS       time for a registered node to be InService (then: while its health check passes), an ELBv2 target healthy (default ${sandboxDefaults.instanceWarmupMs})

Fault knobs:
  --watch-drop-every S       drop every watch connection every S seconds
  --kube-error-every N       answer every Nth Kubernetes API request with a 500
  --kube-latency MS          add latency to every Kubernetes API request
  --elb-throttle-rate N      answer ELB API requests (classic and v2) over N per second with Throttling
  --elb-latency MS           add latency to every ELB API call
  --fail-provisioning[=MSG]  fail every load balancer provisioning (Event SyncLoadBalancerFailed)
  --leak                     leave the ELB behind when its Service is deleted (an orphan)
  --deny VERB:RESOURCE[:NS]  refuse that permission with 403 Forbidden, as RBAC would
                             (repeatable; e.g. --deny create:services:default, --deny '*:nodes')

Authorization:
  --rbac FILE                enforce the Roles, ClusterRoles and bindings in FILE (YAML) for the kubeconfig's
                             user, who acts as --as; the kubeconfig's context sandbox-admin is never refused
  --as USER                  the user the kubeconfig acts as under --rbac (e.g. system:serviceaccount:svcbot:svcbot)
  --iam-policy FILE          enforce the IAM policy (JSON) in FILE on the ELB and EC2 APIs: actions it does not
                             allow answer AccessDenied (EC2: UnauthorizedOperation; requests signed with access
                             key sandbox-admin never are)
  -h, --help                 show this help
`;

const options = {
  kubeconfig: { type: 'string' },
  'kube-port': { type: 'string' },
  'elb-port': { type: 'string' },
  'ec2-port': { type: 'string' },
  'dns-port': { type: 'string' },
  'cluster-name': { type: 'string' },
  region: { type: 'string' },
  nodes: { type: 'string' },
  'provision-delay': { type: 'string' },
  'deprovision-delay': { type: 'string' },
  'dns-delay': { type: 'string' },
  'instance-warmup': { type: 'string' },
  'watch-drop-every': { type: 'string' },
  'kube-error-every': { type: 'string' },
  'kube-latency': { type: 'string' },
  'elb-throttle-rate': { type: 'string' },
  'elb-latency': { type: 'string' },
  'fail-provisioning': { type: 'string' },
  leak: { type: 'boolean' },
  deny: { type: 'string', multiple: true },
  rbac: { type: 'string' },
  as: { type: 'string' },
  'iam-policy': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} satisfies ParseArgsConfig['options'];

const DEFAULT_FAILURE = 'simulated AWS failure: LimitExceeded: load balancer quota reached';

export class UsageError extends Error {}

/** Turns the command line into sandbox options; throws UsageError listing every problem. */
export function parseSandboxArgs(argv: string[]): SandboxOptions | 'help' {
  // `--fail-provisioning` may stand alone: give it the default message.
  const args = argv.flatMap((a, i) =>
    a === '--fail-provisioning' && (argv[i + 1] === undefined || argv[i + 1]!.startsWith('-')) ? [a, DEFAULT_FAILURE] : [a],
  );
  let values: ReturnType<typeof parseArgs<{ options: typeof options; args: string[]; strict: true; allowPositionals: false }>>['values'];
  try {
    ({ values } = parseArgs({ options, args, strict: true, allowPositionals: false }));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (values.help) return 'help';

  const problems: string[] = [];
  const int = (flag: keyof typeof values, min: number, max: number): number | undefined => {
    const raw = values[flag];
    if (raw === undefined) return undefined;
    const n = Number(raw);
    if (typeof raw !== 'string' || !/^\d+$/.test(raw) || n < min || n > max) {
      problems.push(`--${flag}: must be an integer from ${min} to ${max} (got "${String(raw)}")`);
      return undefined;
    }
    return n;
  };
  const name = (flag: 'cluster-name' | 'region', pattern: RegExp, what: string): string | undefined => {
    const raw = values[flag];
    if (raw !== undefined && !pattern.test(raw)) problems.push(`--${flag}: ${what} (got "${raw}")`);
    return raw;
  };

  const result: SandboxOptions = {
    kubePort: int('kube-port', 0, 65535),
    elbPort: int('elb-port', 0, 65535),
    ec2Port: int('ec2-port', 0, 65535),
    dnsPort: int('dns-port', 0, 65535),
    clusterName: name('cluster-name', /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/, 'letters, digits, ".", "_" and "-"'),
    region: name('region', /^[a-z]{2}(-[a-z]+)+-\d$/, 'an AWS region such as us-east-1'),
    nodes: int('nodes', 1, 250),
    provisionDelayMs: int('provision-delay', 0, 3_600_000),
    deprovisionDelayMs: int('deprovision-delay', 0, 3_600_000),
    dnsDelayMs: int('dns-delay', 0, 3_600_000),
    instanceWarmupMs: int('instance-warmup', 0, 3_600_000),
    faults: {
      watchDropEverySeconds: int('watch-drop-every', 0, 86_400) ?? 0,
      kubeErrorEveryN: int('kube-error-every', 0, 1_000_000) ?? 0,
      kubeLatencyMs: int('kube-latency', 0, 60_000) ?? 0,
      elbThrottleRatePerSecond: int('elb-throttle-rate', 0, 1_000_000) ?? 0,
      elbLatencyMs: int('elb-latency', 0, 60_000) ?? 0,
      failProvisioning: values['fail-provisioning'] ?? null,
      leakLoadBalancers: values.leak ?? false,
      deny: (values.deny ?? []).flatMap((rule) => {
        const [verb = '', resource = '', namespace, ...rest] = rule.split(':');
        if (!/^(\*|[a-z]+)$/.test(verb) || !/^[a-z0-9.]+(\/[a-z]+)?$/.test(resource) || rest.length > 0 || namespace === '') {
          problems.push(`--deny: expected VERB:RESOURCE[:NAMESPACE], e.g. create:services:default (got "${rule}")`);
          return [];
        }
        return [namespace === undefined ? { verb, resource } : { verb, resource, namespace }];
      }),
    },
  };
  if (values.kubeconfig !== undefined) result.kubeconfigPath = values.kubeconfig;
  if (values.rbac !== undefined || values.as !== undefined) {
    if (values.rbac === undefined || values.as === undefined) problems.push('--rbac and --as go together: the policy FILE and the user it applies to');
    else {
      try {
        result.rbac = { yaml: readFileSync(values.rbac, 'utf8'), as: values.as };
      } catch (err) {
        problems.push(`--rbac: cannot read ${values.rbac}: ${(err as Error).message}`);
      }
    }
  }
  const iamFile = values['iam-policy'];
  if (iamFile !== undefined) {
    try {
      result.iamPolicy = readFileSync(iamFile, 'utf8');
    } catch (err) {
      problems.push(`--iam-policy: cannot read ${iamFile}: ${(err as Error).message}`);
    }
  }
  if (problems.length > 0) throw new UsageError(problems.join('\n'));
  // Leave unset options out so the sandbox's defaults apply.
  return Object.fromEntries(Object.entries(result).filter(([, v]) => v !== undefined));
}

/**
 * Runs the sandbox until SIGINT/SIGTERM (or `signal` aborts, for in-process use) and resolves with the
 * exit code.
 */
export async function runSandboxCommand(
  argv: string[],
  io: SandboxCommandIo,
  opts: { signal?: AbortSignal } = {},
): Promise<number> {
  let parsed: SandboxOptions | 'help';
  try {
    parsed = parseSandboxArgs(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    io.stderr.write(`svcbot sandbox: ${err.message}\n\n${sandboxUsage}`);
    return 2;
  }
  if (parsed === 'help') {
    io.stdout.write(sandboxUsage);
    return 0;
  }

  let sandbox;
  try {
    sandbox = await startSandbox({ ...parsed, onBindFailure: (failure) => io.stderr.write(`svcbot sandbox: ${bindFailureMessage(failure)}\n`) });
  } catch (err) {
    io.stderr.write(`svcbot sandbox: could not start: ${(err as Error).message}\n`);
    return 1;
  }
  io.stdout.write(`${JSON.stringify(sandbox.info)}\n`);
  const exports = Object.entries(sandbox.info.env)
    .map(([k, v]) => `export ${k}=${shellQuote(v)}`)
    .join('\n');
  const { elbEndpoint, ec2Endpoint, region } = sandbox.info;
  io.stderr.write(
    `svcbot sandbox is ready (cluster "${sandbox.info.clusterName}", region ${region}).\n` +
      `Point svcbot, kubectl and the aws CLI at it from another shell with:\n${exports}\n` +
      `then e.g. \`kubectl get svc\` or \`aws elb describe-load-balancers\`. Ctrl-C stops it.\n` +
      `Node ports answer on the nodes' ExternalIPs (\`kubectl get nodes -o wide\`) once the nodes' security group lets\n` +
      `you in (\`aws ec2 authorize-security-group-ingress\`), load balancers on the addresses\n` +
      `their names resolve to in this DNS server (\`dig @${sandbox.info.dnsServer.replace(/:(\d+)$/, ' -p $1')} NAME\`): all on loopback.\n` +
      `An aws CLI older than v2.13 (v1: 1.29) ignores AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING and would ask the real AWS;\n` +
      `give it the endpoint on the command line instead:\n` +
      `  aws elb describe-load-balancers --endpoint-url ${elbEndpoint} --region ${region}\n` +
      `  aws ec2 describe-instances --endpoint-url ${ec2Endpoint} --region ${region}\n`,
  );

  await new Promise<void>((resolveStop) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      opts.signal?.removeEventListener('abort', stop);
      resolveStop();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    if (opts.signal?.aborted) stop();
    else opts.signal?.addEventListener('abort', stop, { once: true });
  });
  await sandbox.close();
  return 0;
}

/** What `svcbot sandbox` says when the data plane cannot listen somewhere (it goes on without it). */
export function bindFailureMessage(failure: BindFailure): string {
  const where = `${failure.address}:${failure.port}`;
  if (failure.code === 'EACCES') {
    return (
      `cannot listen on ${where} (EACCES): ports under 1024 need root or CAP_NET_BIND_SERVICE ` +
      `(or sysctl net.ipv4.ip_unprivileged_port_start=${failure.port}); connections to it are refused.`
    );
  }
  if (failure.code === 'EADDRINUSE') return `cannot listen on ${where} (EADDRINUSE): something else holds it; connections go there instead.`;
  return `cannot listen on ${where} (${failure.code}): ${failure.message}`;
}

function shellQuote(value: string): string {
  return /^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

/**
 * How svcbot names one load balancer: the ARN of an NLB, ALB or GWLB (ELBv2), or REGION/NAME (a classic
 * load balancer's key, and a shorter way a command may name any). One strict grammar for the command
 * parser, the buttons and the AWS adapters alike: a key ends up in AWS calls, so nothing looser reaches them.
 */
import { GrammarProblem, quote, slackNote } from './problem.js';
import { isRegion } from './validate.js';

/** What a key names: a load balancer by region and name (classic, or an ELBv2 one to look up by name), or an ELBv2 one by ARN. */
export type LoadBalancerKey =
  | { api: 'classic'; key: string; region: string; name: string }
  | { api: 'v2'; key: string; region: string; name: string; arn: string };

/** A load balancer's name: 1 to 32 letters, digits and "-", not starting or ending with "-" (classic and v2 alike). */
const LOAD_BALANCER_NAME = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,30}[A-Za-z0-9])?$/;

/**
 * `arn:PARTITION:elasticloadbalancing:REGION:ACCOUNT:loadbalancer/app|net|gwy/NAME/ID` (the ELBv2 ARN
 * format; target groups and listeners have ARNs of another shape); the region is the fourth `:` field.
 */
const LOAD_BALANCER_ARN = /^arn:aws(?:-[a-z]+)*:elasticloadbalancing:([^:]+):\d{12}:loadbalancer\/(?:net|app|gwy)\/([A-Za-z0-9-]{1,32})\/[0-9a-f]{16}$/;

/** The load balancer `key` names, or undefined when it is neither an ELBv2 load balancer ARN nor REGION/NAME (case as AWS spells it: a lowercase region). */
export function parseLoadBalancerKey(key: string): LoadBalancerKey | undefined {
  const arn = LOAD_BALANCER_ARN.exec(key);
  if (arn) {
    const region = arn[1]!;
    const name = arn[2]!;
    return isRegion(region) && LOAD_BALANCER_NAME.test(name) ? { api: 'v2', key, region, name, arn: key } : undefined;
  }
  const slash = key.indexOf('/');
  const region = key.slice(0, slash);
  const name = key.slice(slash + 1);
  return slash > 0 && isRegion(region) && LOAD_BALANCER_NAME.test(name) ? { api: 'classic', key, region, name } : undefined;
}

export function isLoadBalancerKey(value: string): boolean {
  return parseLoadBalancerKey(value) !== undefined;
}

/** A key as a command carries it: the region may be typed in any case (it is lowercased), the rest as AWS spells it. */
export function checkLoadBalancerKey(value: string, commandName: string): string {
  if (parseLoadBalancerKey(value)) return value;
  const slash = value.indexOf('/');
  const lowered = `${value.slice(0, slash).toLowerCase()}/${value.slice(slash + 1)}`;
  if (slash > 0 && parseLoadBalancerKey(lowered)?.api === 'classic') return lowered;
  throw new GrammarProblem(
    `${quote(value)} is not a load balancer${slackNote(value)}: give REGION/NAME (us-east-1/a1b2c3…) or an NLB/ALB's ARN, as ${commandName} orphans shows them`,
  );
}

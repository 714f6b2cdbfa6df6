/** What svcbot's domain needs from AWS Elastic Load Balancing (classic ELB). */
import type { LoadBalancerView } from '../domain/views.js';

export interface LoadBalancerGateway {
  /**
   * The classic ELB serving a LoadBalancer Service, found from its ingress hostname and confirmed by its
   * `kubernetes.io/service-name` tag; undefined when there is none (yet). Throws BotError `aws_error`.
   */
  findForService(input: { namespace: string; name: string; hostname: string }): Promise<LoadBalancerView | undefined>;
}

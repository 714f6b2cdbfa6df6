/** Counting an AWS SDK client's calls by command, for tests that hold the adapters to a number of calls. */
import type { ElasticLoadBalancingClient } from '@aws-sdk/client-elastic-load-balancing';
import type { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';

type Client = ElasticLoadBalancingClient | ElasticLoadBalancingV2Client;

/**
 * Runs `after(commandName)` after each call the client completes (an `initialize` middleware), and
 * returns the count of calls by command name (`DescribeTagsCommand`…), which grows as the client is used.
 */
export function countCalls(client: Client, after?: (commandName: string) => void): Map<string, number> {
  const calls = new Map<string, number>();
  (client.middlewareStack as ElasticLoadBalancingClient['middlewareStack']).add(
    (next, context) => async (args) => {
      const name = context.commandName ?? '?';
      calls.set(name, (calls.get(name) ?? 0) + 1);
      const out = await next(args);
      after?.(name);
      return out;
    },
    { step: 'initialize' },
  );
  return calls;
}

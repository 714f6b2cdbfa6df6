/**
 * Counting an AWS SDK client's calls by command, for tests that hold the adapters to a number of calls,
 * and the calls that waited their turn at a scan pacer, for tests that hold them to pace every call.
 */
import type { ElasticLoadBalancingClient } from '@aws-sdk/client-elastic-load-balancing';
import type { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { Pacer } from '../../src/adapters/scan-pacer.js';

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

/**
 * A pacer for the inventories that lets every call start at once and counts the calls run through it,
 * by region (`paced.get(region)`), so that a test can compare them with the calls the client made.
 */
export function countingPacer(): { pacerFor: (region: string) => Pacer; paced: Map<string, number> } {
  const paced = new Map<string, number>();
  return {
    paced,
    pacerFor: (region) => ({
      rate: Infinity,
      run(call) {
        paced.set(region, (paced.get(region) ?? 0) + 1);
        return call();
      },
    }),
  };
}

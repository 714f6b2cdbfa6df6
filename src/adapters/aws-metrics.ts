/**
 * Counts an AWS SDK client's requests by action and answer: a middleware inside the SDK's retries (so
 * each attempt counts, a throttled one as `Throttling`) and outside its deserializer (so an error is
 * AWS's named exception). Codes are AWS's error names, `OK`, or `NetworkError`.
 */
import type { Metrics } from '../ports/metrics.js';

/** The one part of an AWS SDK v3 client this needs. */
interface MiddlewareClient {
  middlewareStack: {
    add(
      middleware: (next: (args: unknown) => Promise<unknown>, context: { commandName?: string }) => (args: unknown) => Promise<unknown>,
      options: { step: 'finalizeRequest'; priority: 'low'; name: string },
    ): void;
  };
}

function codeOf(err: unknown): string {
  const name = (err as { name?: unknown }).name;
  const status = (err as { $metadata?: { httpStatusCode?: unknown } }).$metadata?.httpStatusCode;
  if (status === undefined) return 'NetworkError';
  return typeof name === 'string' && /^[A-Za-z.]{1,64}$/.test(name) ? name : 'Other';
}

const metered = new WeakSet<object>();

/** Adds the counting middleware to `client` once; returns the client. */
export function meterAwsClient<C extends object>(client: C, api: string, metrics: Pick<Metrics, 'awsRequest'>): C {
  if (metered.has(client)) return client;
  metered.add(client);
  (client as unknown as MiddlewareClient).middlewareStack.add(
    (next, context) => async (args) => {
      const action = (context.commandName ?? 'Unknown').replace(/Command$/, '');
      try {
        const out = await next(args);
        metrics.awsRequest(api, action, 'OK');
        return out;
      } catch (err) {
        metrics.awsRequest(api, action, codeOf(err));
        throw err;
      }
    },
    { step: 'finalizeRequest', priority: 'low', name: 'svcbotMetrics' },
  );
  return client;
}

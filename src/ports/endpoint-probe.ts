/** Whether an announced endpoint answers: how svcbot proves a load balancer before it says "ready". */

export interface AnswerTarget {
  /** The name the endpoint is announced under (sent as the HTTP Host and the TLS server name). */
  host: string;
  /** The address to connect to (one `host` resolved to). */
  address: string;
  port: number;
  /** `http`/`https`: an HTTP GET / must get a response (any status); undefined: a TCP connection must hold. */
  scheme?: 'http' | 'https';
}

export type AnswerResult =
  | { answered: true; /** The HTTP status, for web ports. */ status?: number }
  | {
      answered: false;
      /** What went wrong, as the socket said it: `ECONNREFUSED`, `ECONNRESET`, `ETIMEDOUT`, `closed`… */
      error: string;
      /** The local address the attempt came from, when it connected or tried to (what a security group sees from inside). */
      localAddress?: string;
    };

export interface EndpointProbe {
  /** Tries `target` once, within the probe's timeout; never throws. */
  answers(target: AnswerTarget): Promise<AnswerResult>;
}

/**
 * The data plane's real sockets: one TCP listener per loopback `address:port` that the host must reach
 * (a node's ExternalIP with a node port, a load balancer's address with a listener port). `want()` is
 * given the whole wanted set each time; listeners are opened and closed to match, in the background,
 * and `settled()` waits for that. A listener that cannot be opened (EACCES for a port under 1024 when
 * not privileged, EADDRINUSE when something else holds it) is recorded in `failures` and reported
 * through `onFailure`, never thrown; so is a listener beyond `max` (`EMFILE`: each costs a file
 * descriptor, and the process needs its own for everything else). Closing a listener also destroys the
 * connections it accepted.
 */
import net from 'node:net';

export interface BindFailure {
  address: string;
  port: number;
  code: string;
  message: string;
}

type Handler = (socket: net.Socket, address: string, port: number) => void;

interface Entry {
  address: string;
  port: number;
  server: net.Server;
  sockets: Set<net.Socket>;
  state: 'opening' | 'open' | 'failed' | 'closing';
  /** Still wanted: an entry that stops being wanted while opening is closed once open. */
  wanted: boolean;
}

function listenerKey(address: string, port: number): string {
  return `${address}:${port}`;
}

export class HostListeners {
  readonly failures: BindFailure[] = [];
  private readonly entries = new Map<string, Entry>();
  private readonly inFlight = new Set<Promise<void>>();
  private closed = false;

  private readonly onFailure: (failure: BindFailure) => void;
  private readonly max: number;

  constructor(
    private readonly handler: Handler,
    opts: { onFailure?: (failure: BindFailure) => void; max?: number } = {},
  ) {
    this.onFailure = opts.onFailure ?? (() => undefined);
    this.max = opts.max ?? Number.POSITIVE_INFINITY;
  }

  /** Addresses and ports listening now. */
  get open(): { address: string; port: number }[] {
    return [...this.entries.values()].filter((e) => e.state === 'open').map((e) => ({ address: e.address, port: e.port }));
  }

  /** Opens what is wanted and not open, closes what is open and no longer wanted. */
  want(wanted: Iterable<{ address: string; port: number }>): void {
    if (this.closed) return;
    const keys = new Map<string, { address: string; port: number }>();
    for (const w of wanted) keys.set(listenerKey(w.address, w.port), w);
    for (const [key, entry] of this.entries) {
      if (!keys.has(key)) {
        entry.wanted = false;
        if (entry.state === 'open' || entry.state === 'failed') this.release(key, entry);
      }
    }
    for (const [key, w] of keys) {
      const entry = this.entries.get(key);
      if (entry) entry.wanted = true;
      else this.bind(key, w.address, w.port);
    }
  }

  /** Resolves once no listener is being opened or closed. */
  async settled(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }

  /** Closes every listener and every connection they accepted. */
  async close(): Promise<void> {
    this.closed = true;
    for (const [key, entry] of this.entries) {
      entry.wanted = false;
      if (entry.state === 'open' || entry.state === 'failed') this.release(key, entry);
    }
    await this.settled();
  }

  private track(work: Promise<void>): void {
    this.inFlight.add(work);
    void work.finally(() => this.inFlight.delete(work));
  }

  private bind(key: string, address: string, port: number): void {
    const sockets = new Set<net.Socket>();
    const server = net.createServer({ allowHalfOpen: true }, (socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      this.handler(socket, address, port);
    });
    const entry: Entry = { address, port, server, sockets, state: 'opening', wanted: true };
    const live = [...this.entries.values()].filter((e) => e.state !== 'failed').length;
    this.entries.set(key, entry);
    if (live >= this.max) {
      // Kept as failed while wanted, so that it is reported once, not at every change.
      entry.state = 'failed';
      this.fail({ address, port, code: 'EMFILE', message: `more than ${this.max} loopback listeners: ${key} not opened` });
      return;
    }
    this.track(
      new Promise<void>((resolve) => {
        const onError = (err: NodeJS.ErrnoException) => {
          entry.state = 'failed';
          this.fail({ address, port, code: err.code ?? 'UNKNOWN', message: err.message });
          if (!entry.wanted) this.entries.delete(key);
          resolve();
        };
        server.once('error', onError);
        server.listen({ host: address, port, exclusive: true }, () => {
          server.off('error', onError);
          entry.state = 'open';
          if (!entry.wanted) this.release(key, entry);
          resolve();
        });
      }),
    );
  }

  private fail(failure: BindFailure): void {
    this.failures.push(failure);
    this.onFailure(failure);
  }

  private release(key: string, entry: Entry): void {
    if (entry.state === 'failed') {
      this.entries.delete(key);
      return;
    }
    entry.state = 'closing';
    for (const socket of entry.sockets) socket.destroy();
    this.track(
      new Promise<void>((resolve) => {
        entry.server.close(() => {
          if (this.entries.get(key) === entry) this.entries.delete(key);
          resolve();
        });
      }).then(() => {
        // Wanted again while it was closing: open it anew.
        if (entry.wanted && !this.closed && !this.entries.has(key)) this.bind(key, entry.address, entry.port);
      }),
    );
  }
}

/** Submissions at a steady rate, as requests arrive: each started on time, none waiting for the one before. */
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Calls `submit(seq)` for seq 0 … n-1, `perSecond` a second from now, and resolves once every call has
 * settled (`submit` handles its own failures). `tick(submitted)` runs every few ms between batches: it
 * may throw to stop the run (a process died, Ctrl-C), and prints progress.
 */
export async function submitAtRate(n: number, perSecond: number, submit: (seq: number) => Promise<void>, tick: (submitted: number) => void): Promise<void> {
  const pending = new Set<Promise<void>>();
  const start = Date.now();
  for (let seq = 0; seq < n; ) {
    tick(seq);
    const due = Math.min(n, Math.floor(((Date.now() - start) * perSecond) / 1000) + 1);
    for (; seq < due; seq++) {
      const p = submit(seq);
      pending.add(p);
      void p.finally(() => pending.delete(p));
    }
    await sleep(5);
  }
  await Promise.all(pending);
}

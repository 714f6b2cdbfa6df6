/** Waiting with a bound: what a shutdown does with every step it must not hang on. */

/** `promise`'s value, or undefined after `ms` (the timer is cleared either way; the promise runs on). */
export async function withDeadline<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([promise, new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

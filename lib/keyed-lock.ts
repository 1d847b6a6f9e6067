/**
 * Runs calls for the same key one after another, within this process, in the order they were
 * made (the order is taken when the call is made, before any await); other keys run alongside.
 * The MongoDB store orders updates of one document with it: FerretDB applies a conditional
 * update as read-modify-write without isolation, so two concurrent ones can both match.
 */
export function keyedLock() {
  const tails = new Map<string, Promise<unknown>>();
  return async function withLock<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const previous = tails.get(key) ?? Promise.resolve();
    const run = previous.then(fn, fn);
    const tail = run.catch(() => undefined);
    tails.set(key, tail);
    try {
      return await run;
    } finally {
      if (tails.get(key) === tail) tails.delete(key);
    }
  };
}

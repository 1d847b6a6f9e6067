/**
 * Runs calls for the same key one after another, within this process. FerretDB applies a
 * conditional update as read-modify-write without isolation, so two concurrent updates of one
 * document can both match and one is lost; on MongoDB itself each update is atomic and this
 * only orders them.
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

import { TtlCache } from '../../lib/ttl-cache';

function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<T>((ok, fail) => {
    resolve = ok;
    reject = fail;
  });
  return { promise, resolve, reject };
}

describe('TtlCache.getOrLoad', () => {
  it('shares one load among the callers asking while it loads, then remembers it', async () => {
    const cache = new TtlCache<string, number>(1_000);
    const load = jest.fn(() => Promise.resolve(7));
    expect(await Promise.all([1, 2, 3].map(() => cache.getOrLoad('k', load)))).toEqual([7, 7, 7]);
    expect(await cache.getOrLoad('k', load)).toBe(7);
    expect(load).toHaveBeenCalledTimes(1);
  });

  it('does not remember what was loading when the entry was deleted', async () => {
    const cache = new TtlCache<string, string>(1_000);
    const stale = deferred<string>();
    const first = cache.getOrLoad('key', () => stale.promise);
    cache.delete('key');
    const fresh = cache.getOrLoad('key', () => Promise.resolve('fresh'));
    stale.resolve('stale');
    expect(await first).toBe('stale');
    expect(await fresh).toBe('fresh');
    expect(cache.get('key')).toBe('fresh');
  });

  it('lets the next caller load again after a failed load', async () => {
    const cache = new TtlCache<string, number>(1_000);
    const failing = deferred<number>();
    const first = cache.getOrLoad('k', () => failing.promise);
    const second = cache.getOrLoad('k', () => Promise.resolve(2));
    failing.reject(new Error('store down'));
    await expect(first).rejects.toThrow('store down');
    await expect(second).rejects.toThrow('store down');
    expect(await cache.getOrLoad('k', () => Promise.resolve(3))).toBe(3);
  });

  it('loads for every caller when caching is off', async () => {
    const cache = new TtlCache<string, number>(0);
    const load = jest.fn(() => Promise.resolve(1));
    await Promise.all([cache.getOrLoad('k', load), cache.getOrLoad('k', load)]);
    expect(load).toHaveBeenCalledTimes(2);
  });
});

import type { ApiKeyDoc } from '../store/documents';

/**
 * Recently resolved API keys, so that authenticating does not cost a database round trip on
 * every request. Revocation in this process evicts at once; other replicas see it within the
 * TTL.
 */
export class ApiKeyCache {
  private readonly entries = new Map<string, { doc: ApiKeyDoc | null; until: number }>();

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  get(key: string): ApiKeyDoc | null | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.until <= this.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.doc;
  }

  set(key: string, doc: ApiKeyDoc | null): void {
    if (this.ttlMs === 0) return;
    if (this.entries.size >= this.maxEntries) this.entries.clear();
    this.entries.set(key, { doc, until: this.now() + this.ttlMs });
  }

  evict(keyId: string): void {
    for (const [key, entry] of this.entries) {
      if (entry.doc?._id === keyId) this.entries.delete(key);
    }
  }
}

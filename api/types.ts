import type { Client } from '@temporalio/client';
import type { BlobStore } from '../media/blob-store';
import type { MetaClient } from '../meta/client';
import type { HttpLatency } from '../metrics/http-latency';
import type { Config } from '../lib/config';
import type { Store, StoreHandle } from '../store';

export interface RateLimits {
  perMinute: number;
  perSecond: number;
}

export type Principal =
  | { kind: 'api_key'; orgId: string; keyId: string; rateLimit: RateLimits }
  | { kind: 'session'; orgId: string; userId: string; sessionId: string };

declare module 'fastify' {
  interface FastifyInstance {
    config: Config;
    database: StoreHandle;
    store: Store;
    temporal: Client;
    meta: MetaClient;
    blobs: BlobStore;
    httpLatency: HttpLatency;
  }
  interface FastifyRequest {
    principal: Principal | null;
    authFailure: string | null;
  }
  interface FastifyContextConfig {
    /** No credentials needed (health, login, provider webhooks). */
    public?: boolean;
    /** false exempts a route from the per-key rate limit (health, provider webhooks). */
    rateLimit?: boolean;
    /** The body's rows are checked one by one (bulk): a bad row must not refuse the others. */
    rowsCheckedEach?: boolean;
  }
}

/** The organization of an authenticated request; routes behind auth always have one. */
export function orgOf(principal: Principal | null): string {
  if (!principal) throw new Error('orgOf called on an unauthenticated request');
  return principal.orgId;
}

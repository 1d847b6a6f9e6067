import { TtlCache } from '../lib/ttl-cache';
import type { Store } from '../store';
import type { WebhookEndpointStatus } from '../store/documents';

/** An endpoint as delivery needs it, with its secret opened. */
export interface LiveEndpoint {
  id: string;
  orgId: string;
  url: string;
  events: string[];
  status: WebhookEndpointStatus;
  /** Set while its circuit is open: its deliveries wait in its backlog. */
  failingSince: Date | null;
  nextProbeAt: Date | null;
  secret: string;
  createdAt: Date;
}

/**
 * Each organization's endpoints, read once per `ttlMs` instead of once per event. Changes made
 * in this process are seen at once (`invalidate`); other processes see them within `ttlMs`.
 */
export function endpointDirectory(store: Store, ttlMs: number) {
  const cache = new TtlCache<string, LiveEndpoint[]>(ttlMs);

  async function load(orgId: string): Promise<LiveEndpoint[]> {
    const docs = await store.webhookEndpoints.list(orgId);
    return docs.map((d) => ({
      id: d._id,
      orgId: d.org_id,
      url: d.url,
      events: d.events,
      status: d.status,
      // Documents stored before circuits existed lack these fields.
      failingSince: d.failing_since ?? null,
      nextProbeAt: d.next_probe_at ?? null,
      secret: store.webhookEndpoints.secretOf(d),
      createdAt: d.created_at,
    }));
  }

  return {
    forOrg(orgId: string): Promise<LiveEndpoint[]> {
      return cache.getOrLoad(orgId, () => load(orgId));
    },
    async find(orgId: string, id: string): Promise<LiveEndpoint | null> {
      return (await this.forOrg(orgId)).find((e) => e.id === id) ?? null;
    },
    invalidate(orgId: string): void {
      cache.delete(orgId);
    },
  };
}

export type EndpointDirectory = ReturnType<typeof endpointDirectory>;

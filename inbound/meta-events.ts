import type { Store } from '../store';
import type { MetaEventDoc, MetaEventState } from '../store/documents';

/** Which of its Meta account-level events an organization lists. */
export interface MetaEventListRequest {
  field?: string;
  state?: MetaEventState;
  limit: number;
  /** With before_id: the received time of the last one seen. */
  before_time?: string;
  before_id?: string;
}

/** An organization's Meta events (account-level fields, and what matched nothing), newest first. */
export function listMetaEvents(
  { store }: { store: Store },
  orgId: string,
  q: MetaEventListRequest,
): Promise<MetaEventDoc[]> {
  return store.metaEvents.list(orgId, {
    field: q.field,
    state: q.state,
    limit: q.limit,
    before:
      q.before_time && q.before_id
        ? { received_at: new Date(q.before_time), id: q.before_id }
        : undefined,
  });
}

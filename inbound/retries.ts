import { INBOUND_RETRY_DELAYS_MS } from '../lib/config';
import { parseMetaWebhook, phoneNumberIds, type MetaWebhook } from '../meta/webhook-payload';
import type { Store } from '../store';
import type { InboundWebhookDoc } from '../store/documents';

/** How failed webhooks are retried: the waits after each failure, and the clock. */
export interface RetryPolicy {
  /** After the last wait's attempt fails, the webhook is parked dead. */
  retryDelaysMs: number[];
  now: () => number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  retryDelaysMs: INBOUND_RETRY_DELAYS_MS,
  now: Date.now,
};

/**
 * Records a failed processing attempt: the next one after a wait that grows with each failure,
 * or, after the last (or at once when no retry can help), the webhook parked dead with its
 * reason and the organizations whose numbers it is about (those who may see and replay it).
 */
export async function recordFailure(
  store: Store,
  doc: InboundWebhookDoc,
  error: string,
  policy: RetryPolicy,
  retryable = true,
): Promise<'retrying' | 'dead'> {
  const now = policy.now();
  const wait = retryable ? policy.retryDelaysMs[doc.attempts] : undefined;
  if (wait !== undefined) {
    await store.inboundWebhooks.markFailed(doc._id, error, new Date(now + wait));
    return 'retrying';
  }
  await store.inboundWebhooks.markDead(doc._id, error, await ownersOf(store, doc), new Date(now));
  return 'dead';
}

/**
 * The organizations whose accounts have the webhook's numbers now, or (an account-level field)
 * its WABAs; none for an unreadable one.
 */
async function ownersOf(store: Store, doc: InboundWebhookDoc): Promise<string[]> {
  let payload: MetaWebhook;
  try {
    payload = parseMetaWebhook(doc.body);
  } catch {
    return [];
  }
  const ids = phoneNumberIds(payload);
  const accounts = ids.length
    ? await Promise.all(ids.map((id) => store.accounts.findByPhoneNumberId(id)))
    : (
        await Promise.all(
          (payload.entry ?? []).map((e) =>
            e.id ? store.accounts.findByWabaId(e.id) : Promise.resolve([]),
          ),
        )
      ).flat();
  return [...new Set(accounts.flatMap((a) => (a ? [a.org_id] : [])))];
}

import type { Store } from '../store';
import type { WebhookAttemptDoc, WebhookBacklogDoc } from '../store/documents';

interface Waiting {
  doc: WebhookAttemptDoc | null;
  parked: WebhookBacklogDoc | null;
  resolve: () => void;
  reject: (err: Error) => void;
}

/**
 * Stores attempts as they finish, many in one insert: while one insert runs, the attempts that
 * finish meanwhile gather for the next. Each caller's promise settles with its own insert.
 * A held attempt is stored with its delivery's place in the backlog, the place first: a crash
 * between the two leaves a parked delivery without its record, never a held record that
 * nothing will release.
 */
export function attemptWriter(store: Store) {
  let gathering: Waiting[] = [];
  let writing = false;

  async function write(): Promise<void> {
    writing = true;
    while (gathering.length) {
      const batch = gathering;
      gathering = [];
      try {
        const parked = batch.flatMap((b) => (b.parked ? [b.parked] : []));
        if (parked.length) await store.webhookBacklog.park(parked);
        const docs = batch.flatMap((b) => (b.doc ? [b.doc] : []));
        if (docs.length) await store.webhookDeliveries.recordAttempts(docs);
        for (const b of batch) b.resolve();
      } catch (err) {
        const error = err instanceof Error ? err : new Error(String(err));
        for (const b of batch) b.reject(error);
      }
    }
    writing = false;
  }

  function add(doc: WebhookAttemptDoc | null, parked: WebhookBacklogDoc | null): Promise<void> {
    return new Promise((resolve, reject) => {
      gathering.push({ doc, parked, resolve, reject });
      if (!writing) void write();
    });
  }

  return {
    record: (doc: WebhookAttemptDoc): Promise<void> => add(doc, null),
    /** Parks a delivery in its endpoint's backlog, with the held attempt when one was sent. */
    park: (doc: WebhookAttemptDoc | null, parked: WebhookBacklogDoc): Promise<void> =>
      add(doc, parked),
  };
}

export type AttemptWriter = ReturnType<typeof attemptWriter>;

import type { Store } from '../store';
import type { WebhookAttemptDoc } from '../store/documents';

/**
 * Stores attempts as they finish, many in one insert: while one insert runs, the attempts that
 * finish meanwhile gather for the next. Each caller's promise settles with its own insert.
 */
export function attemptWriter(store: Store) {
  let gathering: { doc: WebhookAttemptDoc; resolve: () => void; reject: (err: Error) => void }[] =
    [];
  let writing = false;

  async function write(): Promise<void> {
    writing = true;
    while (gathering.length) {
      const batch = gathering;
      gathering = [];
      try {
        await store.webhookDeliveries.recordAttempts(batch.map((b) => b.doc));
        for (const b of batch) b.resolve();
      } catch (err) {
        const error = err instanceof Error ? err : new Error(String(err));
        for (const b of batch) b.reject(error);
      }
    }
    writing = false;
  }

  return {
    record(doc: WebhookAttemptDoc): Promise<void> {
      return new Promise((resolve, reject) => {
        gathering.push({ doc, resolve, reject });
        if (!writing) void write();
      });
    },
  };
}

import type { Log } from '../lib/log';
import type { Store } from '../store';
import type { ContactInput } from '../store/contact-fields';
import { flushOutbox } from './outbox';

/** A row as checked on its own: a contact to create or update, or why it was refused. */
export type BulkContactRow = { input: ContactInput } | { error: string };

export type BulkRowOutcome =
  | { index: number; status: 'created' | 'updated'; id: string }
  | { index: number; status: 'error'; error: string };

export interface BulkUpsertResult {
  created: number;
  updated: number;
  errors: number;
  /** One per row, in the rows' order. */
  results: BulkRowOutcome[];
}

/**
 * Creates or updates each valid row by phone number; a refused or failing row never affects
 * the others.
 */
export async function bulkUpsertContacts(
  { store, log }: { store: Store; log: Log },
  orgId: string,
  rows: readonly BulkContactRow[],
): Promise<BulkUpsertResult> {
  const results: BulkRowOutcome[] = [];
  const valid: { index: number; input: ContactInput }[] = [];
  rows.forEach((row, index) => {
    if ('input' in row) valid.push({ index, input: row.input });
    else results[index] = { index, status: 'error', error: row.error };
  });

  const applied = await store.contacts.upsertMany(
    orgId,
    valid.map((v) => v.input),
  );
  const changed: string[] = [];
  applied.forEach((res, i) => {
    const index = valid[i]!.index;
    if (res.status === 'error') results[index] = { index, status: 'error', error: res.error };
    else {
      results[index] = { index, status: res.status, id: res.id };
      if (res.changed) changed.push(res.id);
    }
  });
  await flushOutbox(store, log, 'contacts', [...new Set(changed)]);

  const count = (status: BulkRowOutcome['status']) =>
    results.filter((r) => r.status === status).length;
  return {
    created: count('created'),
    updated: count('updated'),
    errors: count('error'),
    results,
  };
}

import { DomainError } from '../lib/errors';
import type { Log } from '../lib/log';
import { parsePhone } from '../lib/phone';
import type { Store } from '../store';
import type { ContactInput } from '../store/contact-fields';
import type { CreateContactRequest } from './create';
import { flushOutbox } from './outbox';
import { requestCountry } from './phone';

/** A row as checked on its own: a contact to create or update, or why it was refused. */
export type BulkContactRow = { input: CreateContactRequest } | { error: string };

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

/** A row's phone number in E.164, read with its own country, else the request's. */
function parsedRow(row: CreateContactRequest, country: string | null): ContactInput {
  const { default_country, ...input } = row;
  // Rows are matched by phone number: each needs one.
  const phone = parsePhone(input.phone_number ?? '', 'phone_number', default_country ?? country);
  return { ...input, phone_number: phone };
}

/**
 * Creates or updates each valid row by phone number; a refused or failing row never affects
 * the others. A national number is read with the row's `default_country`, else
 * `defaultCountry`, else the organization's.
 */
export async function bulkUpsertContacts(
  { store, log }: { store: Store; log: Log },
  orgId: string,
  rows: readonly BulkContactRow[],
  defaultCountry?: string,
): Promise<BulkUpsertResult> {
  const results: BulkRowOutcome[] = [];
  const valid: { index: number; input: ContactInput }[] = [];
  const country = await requestCountry(store, orgId, defaultCountry);
  rows.forEach((row, index) => {
    const refuse = (error: string) => (results[index] = { index, status: 'error', error });
    if (!('input' in row)) return refuse(row.error);
    try {
      valid.push({ index, input: parsedRow(row.input, country) });
    } catch (err) {
      if (!(err instanceof DomainError)) throw err;
      refuse(err.message);
    }
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

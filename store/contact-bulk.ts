import type { Collection } from 'mongodb';
import { mapLimit } from '../lib/concurrency';
import { DomainError } from '../lib/errors';
import { newContactDoc, normalizePatch, type ContactInput } from './contact-fields';
import type { ContactWriter } from './contact-writes';
import type { ContactDoc } from './documents';
import { insertManyNew } from './duplicate-key';

export type BulkRowResult =
  | { status: 'created' | 'updated'; id: string; /** An event was recorded. */ changed: boolean }
  | { status: 'error'; error: string };

interface Row {
  index: number;
  input: ContactInput;
}

const UPDATE_CONCURRENCY = 8;

/**
 * Upserts rows by phone number: the first row for an unknown number creates the contact
 * (source 'bulk'), every other row updates the contact with the fields it gives. Rows for the
 * same number apply in their order; a row that fails never affects the others.
 */
export async function bulkUpsert(
  col: Collection<ContactDoc>,
  writer: ContactWriter,
  orgId: string,
  rows: readonly ContactInput[],
): Promise<BulkRowResult[]> {
  const results = new Array<BulkRowResult>(rows.length);
  const valid: Row[] = [];
  rows.forEach((row, index) => {
    try {
      valid.push({ index, input: normalizePatch(row) });
    } catch (err) {
      if (!(err instanceof DomainError)) throw err;
      results[index] = { status: 'error', error: err.message };
    }
  });

  const phones = [...new Set(valid.map((r) => r.input.phone_number))];
  const known = new Map<string, ContactDoc>();
  if (phones.length) {
    const found = await col.find({ org_id: orgId, phone_number: { $in: phones } }).toArray();
    for (const doc of found) known.set(doc.phone_number, doc);
  }

  const now = new Date();
  const inserts: { row: Row; doc: ContactDoc }[] = [];
  const updates = new Map<string, Row[]>();
  const queue = (row: Row) => {
    const group = updates.get(row.input.phone_number);
    if (group) group.push(row);
    else updates.set(row.input.phone_number, [row]);
  };
  const creating = new Set<string>();
  for (const row of valid) {
    const phone = row.input.phone_number;
    if (known.has(phone) || creating.has(phone)) queue(row);
    else {
      creating.add(phone);
      inserts.push({ row, doc: newContactDoc(orgId, row.input, 'bulk', { now }) });
    }
  }

  const taken = await insertManyNew(
    col,
    inserts.map((i) => i.doc),
  );
  inserts.forEach(({ row, doc }, i) => {
    // Created meanwhile by someone else: this row becomes an update of that contact.
    if (taken.has(i)) queue(row);
    else {
      known.set(doc.phone_number, doc);
      results[row.index] = { status: 'created', id: doc._id, changed: true };
    }
  });
  for (const group of updates.values()) group.sort((a, b) => a.index - b.index);

  await mapLimit([...updates.entries()], UPDATE_CONCURRENCY, async ([phone, group]) => {
    let current = known.get(phone);
    for (const { index, input } of group) {
      try {
        const res = await writer.change(orgId, { phone_number: phone }, () => input, current);
        if (!res) {
          results[index] = { status: 'error', error: 'phone_number: the contact was just deleted' };
          current = undefined;
          continue;
        }
        results[index] = {
          status: 'updated',
          id: res.contact._id,
          changed: res.changes.length > 0,
        };
        current = res.contact;
      } catch (err) {
        if (!(err instanceof DomainError)) throw err;
        results[index] = { status: 'error', error: err.message };
      }
    }
  });
  return results;
}

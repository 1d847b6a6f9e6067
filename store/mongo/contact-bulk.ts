import type { Collection } from 'mongodb';
import { mapLimit } from '../../lib/concurrency';
import { DomainError } from '../../lib/errors';
import {
  newContact,
  prepareBulkRows,
  type BulkRow,
  type BulkRowResult,
  type ContactInput,
} from '../contact-fields';
import type { ContactWriter, StoredContact } from './contact-writes';
import { insertManyNew } from './duplicate-key';
import { newStoredContact } from './outbox';

type Row = BulkRow;

const UPDATE_CONCURRENCY = 8;

/** ContactRepository.upsertMany on a store without multi-document transactions. */
export async function bulkUpsert(
  col: Collection<StoredContact>,
  writer: ContactWriter,
  orgId: string,
  rows: readonly ContactInput[],
): Promise<BulkRowResult[]> {
  const { valid, results } = prepareBulkRows(rows);

  const phones = [...new Set(valid.map((r) => r.input.phone_number))];
  const known = new Map<string, StoredContact>();
  if (phones.length) {
    const found = await col.find({ org_id: orgId, phone_number: { $in: phones } }).toArray();
    for (const doc of found) if (doc.phone_number) known.set(doc.phone_number, doc);
  }

  const now = new Date();
  const inserts: { row: Row; doc: StoredContact }[] = [];
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
      inserts.push({ row, doc: newStoredContact(newContact(orgId, row.input, 'bulk', { now })) });
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
      known.set(row.input.phone_number, doc);
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

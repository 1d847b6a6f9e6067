import {
  MongoBulkWriteError,
  MongoServerError,
  type AnyBulkWriteOperation,
  type Collection,
  type Document,
  type OptionalUnlessRequiredId,
} from 'mongodb';

/**
 * A unique index refused the write. MongoDB answers 11000; FerretDB v1 does too on insert, but
 * on update it answers an internal error carrying SQLite's unique constraint message.
 */
export function isDuplicateKey(err: unknown): boolean {
  return (
    err instanceof MongoServerError &&
    (err.code === 11000 || err.message.includes('UNIQUE constraint failed'))
  );
}

/** One write of a bulk write refused by a unique index (see isDuplicateKey). */
const isDuplicateWrite = (e: { code?: number; errmsg?: string }) =>
  e.code === 11000 || !!e.errmsg?.includes('UNIQUE constraint failed');

/** FerretDB's SQLite backend refuses a write while another holds its lock; it passes soon. */
const isBusy = (err: unknown) =>
  err instanceof MongoServerError && err.message.includes('SQLITE_BUSY');

/** Runs a write again while FerretDB answers that its database is busy (MongoDB never does). */
export async function retryBusy<T>(fn: () => Promise<T>, attempts = 20): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (err) {
      if (!isBusy(err) || i >= attempts) throw err;
      await new Promise((r) => setTimeout(r, Math.min(5 * 2 ** i, 200)));
    }
  }
}

/**
 * Inserts unordered; returns the positions a unique index refused (already stored). Any other
 * failure is thrown.
 */
export async function insertManyNew<T extends Document>(
  col: Collection<T>,
  docs: OptionalUnlessRequiredId<T>[],
): Promise<Set<number>> {
  if (!docs.length) return new Set();
  try {
    await col.insertMany(docs, { ordered: false });
    return new Set();
  } catch (err) {
    if (err instanceof MongoBulkWriteError) {
      const errors = [err.writeErrors].flat();
      if (errors.length && errors.every(isDuplicateWrite)) {
        return new Set(errors.map((e) => e.index));
      }
    }
    throw err;
  }
}

/**
 * Inserts documents whose `_id` says what they are, skipping those already stored; returns
 * the ids this call stored. Only inserts: the development store updates slowly, and an
 * insert-only record is also the easiest to trust after a crash.
 */
export async function insertNew<T extends { _id: string }>(
  col: Collection<T>,
  docs: OptionalUnlessRequiredId<T>[] & T[],
): Promise<Set<string>> {
  const refused = await insertManyNew(col, docs);
  return new Set(docs.filter((_, i) => !refused.has(i)).map((d) => d._id));
}

/**
 * Runs an upsert again when it raced another's insert of the same `_id` and was refused as a
 * duplicate: MongoDB runs such an upsert again itself, FerretDB answers the error. Run again, it
 * finds the document and updates it.
 */
export async function upsertRacing<T>(write: () => Promise<T>): Promise<T> {
  try {
    return await retryBusy(write);
  } catch (err) {
    if (!isDuplicateKey(err)) throw err;
    return retryBusy(write);
  }
}

/** Upserts unordered; those refused as duplicates (see upsertRacing) are written again. */
export async function bulkUpsert<T extends Document>(
  col: Collection<T>,
  ops: AnyBulkWriteOperation<T>[],
): Promise<void> {
  try {
    await retryBusy(() => col.bulkWrite(ops, { ordered: false }));
  } catch (err) {
    const refused = err instanceof MongoBulkWriteError ? [err.writeErrors].flat() : [];
    if (!refused.length || !refused.every(isDuplicateWrite)) throw err;
    await retryBusy(() =>
      col.bulkWrite(
        refused.map((e) => ops[e.index]!),
        { ordered: false },
      ),
    );
  }
}

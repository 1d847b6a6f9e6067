import {
  MongoBulkWriteError,
  MongoServerError,
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
      if (errors.length && errors.every((e) => e.code === 11000)) {
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

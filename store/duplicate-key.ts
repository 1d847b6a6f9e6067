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

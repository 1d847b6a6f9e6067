import { MongoServerError } from 'mongodb';

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

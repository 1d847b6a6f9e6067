import type { Collection, Filter, WithoutId } from 'mongodb';
import { retryBusy, upsertRacing } from './duplicate-key';

interface Versioned {
  _id: string;
  org_id: string;
  version: number;
}

/**
 * Edits a definition kept with its versions (automations, sequences). Without multi-document
 * transactions the version is written first, then the definition, only if no other edit changed
 * it meanwhile; else it is read again and edited anew. A version already there was written by
 * an edit that lost: it is made to hold this one. Null when the definition is gone.
 */
export async function updateVersioned<D extends Versioned, V extends { _id: string }>(
  docs: Collection<D>,
  versions: Collection<V>,
  key: { orgId: string; id: string },
  edit: (current: D) => { next: D; version: V },
): Promise<D | null> {
  const byKey = { _id: key.id, org_id: key.orgId } as Filter<D>;
  for (;;) {
    const current = (await docs.findOne(byKey)) as D | null;
    if (!current) return null;
    const { next, version } = edit(current);
    const byVersion = { _id: version._id } as Filter<V>;
    const written = await upsertRacing(() =>
      versions.updateOne(byVersion, { $setOnInsert: version }, { upsert: true }),
    );
    const res = await retryBusy(() =>
      docs.replaceOne({ ...byKey, version: current.version }, next as WithoutId<D>),
    );
    if (res.modifiedCount !== 1) continue;
    if (!written.upsertedCount) {
      await retryBusy(() => versions.replaceOne(byVersion, version as WithoutId<V>));
    }
    return next;
  }
}

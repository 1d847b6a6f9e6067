import type { Db, Filter } from 'mongodb';
import type { MetaEventRepository } from '../contract/inbound-webhooks';
import type { MetaEventDoc } from '../documents';
import { bulkUpsert } from './duplicate-key';

/** The value is stored as JSON text: Meta's values may nest arrays, which FerretDB cannot store. */
type StoredMetaEvent = Omit<MetaEventDoc, 'value'> & { value_json: string };

const BULK_CHUNK = 99;

export function metaEventRepository(db: Db): MetaEventRepository {
  const col = db.collection<StoredMetaEvent>('meta_events');
  return {
    async record(docs) {
      for (let i = 0; i < docs.length; i += BULK_CHUNK) {
        await bulkUpsert(
          col,
          docs.slice(i, i + BULK_CHUNK).map(({ _id, value, org_ids, state, reason, ...rest }) => ({
            updateOne: {
              filter: { _id },
              update: {
                $set: { org_ids, state, reason },
                $setOnInsert: { ...rest, value_json: JSON.stringify(value) },
              },
              upsert: true,
            },
          })),
        );
      }
    },

    async list(orgId, { field, state, limit, before }) {
      const query: Filter<StoredMetaEvent> = { org_ids: orgId };
      if (field) query.field = field;
      if (state) query.state = state;
      if (before) {
        query.$or = [
          { received_at: { $lt: before.received_at } },
          { received_at: before.received_at, _id: { $lt: before.id } },
        ];
      }
      const docs = await col.find(query).sort({ received_at: -1, _id: -1 }).limit(limit).toArray();
      return docs.map(({ value_json, ...rest }) => ({
        ...rest,
        // A null given to $setOnInsert is not always kept.
        phone_number_id: rest.phone_number_id ?? null,
        value: JSON.parse(value_json) as MetaEventDoc['value'],
      }));
    },

    countUnmatched: () => col.countDocuments({ state: 'unmatched' }),

    async purgeBefore(before) {
      return (await col.deleteMany({ received_at: { $lt: before } })).deletedCount;
    },
  };
}

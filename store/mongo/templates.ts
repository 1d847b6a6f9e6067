import type { Db, Filter } from 'mongodb';
import type { TemplateRepository } from '../contract/accounts';
import type { TemplateDoc } from '../documents';
import { pickTemplate } from '../templates';
import { bulkUpsert } from './duplicate-key';

/**
 * Components are stored as JSON text: Meta's shapes nest arrays (`example.body_text` is a
 * list of lists), which the MongoDB-protocol server used in development cannot store.
 */
type StoredTemplate = Omit<TemplateDoc, 'components'> & { components_json: string };

const toStored = ({ components, ...rest }: TemplateDoc): StoredTemplate => ({
  ...rest,
  components_json: JSON.stringify(components),
});

const fromStored = ({ components_json, ...rest }: StoredTemplate): TemplateDoc => ({
  ...rest,
  // Stored before templates had a quality.
  quality_score: rest.quality_score ?? null,
  components: JSON.parse(components_json) as TemplateDoc['components'],
});

/** FerretDB never answers a bulkWrite of 100 operations or more: write fewer at a time. */
const BULK_CHUNK = 99;

/** The local copy of each account's message templates, refreshed by the template sync. */
export function templateRepository(db: Db): TemplateRepository {
  const col = db.collection<StoredTemplate>('templates');
  const many = async (query: Filter<StoredTemplate>) =>
    (await col.find(query).sort({ name: 1, language: 1, account_id: 1 }).toArray()).map(fromStored);
  return {
    async upsert(docs) {
      for (let i = 0; i < docs.length; i += BULK_CHUNK) {
        await bulkUpsert(
          col,
          docs
            .slice(i, i + BULK_CHUNK)
            .map(toStored)
            .map(({ _id, quality_score, ...fields }) => ({
              updateOne: {
                filter: { _id },
                // A list without quality keeps the one the last quality webhook gave.
                update:
                  quality_score === null
                    ? { $set: fields, $setOnInsert: { quality_score } }
                    : { $set: { ...fields, quality_score } },
                upsert: true,
              },
            })),
        );
      }
    },

    async removeOthers(accountId, keep) {
      const res = await col.deleteMany({ account_id: accountId, _id: { $nin: keep } });
      return res.deletedCount;
    },

    async removeForAccount(accountId) {
      return (await col.deleteMany({ account_id: accountId })).deletedCount;
    },

    matching(accountIds, { metaId, name, language }) {
      const either: Filter<StoredTemplate>[] = [];
      if (metaId) either.push({ meta_id: metaId });
      if (name && language) either.push({ name, language });
      if (!either.length) return Promise.resolve([]);
      return many({ account_id: { $in: accountIds }, $or: either });
    },

    async patch(ids, patch) {
      const fields = Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined));
      if (!ids.length || !Object.keys(fields).length) return;
      await col.updateMany({ _id: { $in: ids } }, { $set: fields });
    },

    list(orgId, filter = {}) {
      const query: Filter<StoredTemplate> = { org_id: orgId };
      if (filter.accountId) query.account_id = filter.accountId;
      if (filter.status) query.status = filter.status;
      if (filter.name) query.name = filter.name;
      return many(query);
    },

    async find(orgId, accountId, name, language) {
      return pickTemplate(await many({ org_id: orgId, account_id: accountId, name }), language);
    },
  };
}

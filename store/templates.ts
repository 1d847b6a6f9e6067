import type { Db, Filter } from 'mongodb';
import type { TemplateDoc } from './documents';

export const templateId = (accountId: string, name: string, language: string) =>
  `${accountId}:${name}:${language}`;

export interface TemplateFilter {
  accountId?: string;
  status?: string;
  name?: string;
}

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
  components: JSON.parse(components_json) as TemplateDoc['components'],
});

/** The local copy of each account's message templates, refreshed by the template sync. */
export function templateRepository(db: Db) {
  const col = db.collection<StoredTemplate>('templates');
  const many = async (query: Filter<StoredTemplate>) =>
    (await col.find(query).sort({ name: 1, language: 1, account_id: 1 }).toArray()).map(fromStored);
  return {
    async upsert(docs: TemplateDoc[]): Promise<void> {
      if (!docs.length) return;
      await col.bulkWrite(
        docs.map(toStored).map(({ _id, ...fields }) => ({
          updateOne: { filter: { _id }, update: { $set: fields }, upsert: true },
        })),
        { ordered: false },
      );
    },

    /** Deletes the account's templates whose ids are not in `keep` (gone from Meta). */
    async removeOthers(accountId: string, keep: string[]): Promise<number> {
      const res = await col.deleteMany({ account_id: accountId, _id: { $nin: keep } });
      return res.deletedCount;
    },

    async removeForAccount(accountId: string): Promise<number> {
      return (await col.deleteMany({ account_id: accountId })).deletedCount;
    },

    list(orgId: string, filter: TemplateFilter = {}): Promise<TemplateDoc[]> {
      const query: Filter<StoredTemplate> = { org_id: orgId };
      if (filter.accountId) query.account_id = filter.accountId;
      if (filter.status) query.status = filter.status;
      if (filter.name) query.name = filter.name;
      return many(query);
    },

    /**
     * The template to send: the exact language when one is given; otherwise an English one
     * (`en`, `en_US`...) if there is one, else the first.
     */
    async find(
      orgId: string,
      accountId: string,
      name: string,
      language?: string | null,
    ): Promise<TemplateDoc | null> {
      const all = await many({ org_id: orgId, account_id: accountId, name });
      if (language) return all.find((t) => t.language === language) ?? null;
      return all.find((t) => t.language.startsWith('en')) ?? all[0] ?? null;
    },
  };
}

export type TemplateRepository = ReturnType<typeof templateRepository>;

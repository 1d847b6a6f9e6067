import { randomUUID } from 'node:crypto';
import type { Db } from 'mongodb';
import type { OrganizationRepository } from '../contract/organizations';
import type { OrganizationDoc } from '../documents';

/** Documents from before a setting existed read as the setting's default. */
const withDefaults = (doc: OrganizationDoc | null): OrganizationDoc | null =>
  doc && { ...doc, default_country: doc.default_country ?? null };

export function organizationRepository(db: Db): OrganizationRepository {
  const col = db.collection<OrganizationDoc>('organizations');
  const get = async (id: string) => withDefaults(await col.findOne({ _id: id }));
  return {
    async create(name) {
      const doc: OrganizationDoc = {
        _id: randomUUID(),
        name,
        default_country: null,
        created_at: new Date(),
      };
      await col.insertOne(doc);
      return doc;
    },
    get,
    async first() {
      return withDefaults(await col.find().sort({ created_at: 1 }).limit(1).next());
    },
    async update(id, patch) {
      const set =
        patch.default_country !== undefined ? { default_country: patch.default_country } : {};
      if (!Object.keys(set).length) return get(id);
      return withDefaults(
        await col.findOneAndUpdate({ _id: id }, { $set: set }, { returnDocument: 'after' }),
      );
    },
  };
}

import { randomUUID } from 'node:crypto';
import type { Db } from 'mongodb';
import type { OrganizationRepository } from '../contract/organizations';
import type { OrganizationDoc } from '../documents';

export function organizationRepository(db: Db): OrganizationRepository {
  const col = db.collection<OrganizationDoc>('organizations');
  return {
    async create(name) {
      const doc: OrganizationDoc = { _id: randomUUID(), name, created_at: new Date() };
      await col.insertOne(doc);
      return doc;
    },
    get(id) {
      return col.findOne({ _id: id });
    },
    first() {
      return col.find().sort({ created_at: 1 }).limit(1).next();
    },
  };
}

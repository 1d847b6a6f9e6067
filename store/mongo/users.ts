import type { Db } from 'mongodb';
import type { UserRepository } from '../contract/organizations';
import type { UserDoc } from '../documents';
import { emailTaken, newUser, normalizeEmail } from '../users';
import { isDuplicateKey } from './duplicate-key';

export function userRepository(db: Db): UserRepository {
  const col = db.collection<UserDoc>('users');
  return {
    async create(orgId, input) {
      const doc = await newUser(orgId, input);
      try {
        await col.insertOne(doc);
      } catch (err) {
        throw isDuplicateKey(err) ? emailTaken(doc.email) : err;
      }
      return doc;
    },
    findByEmail(email) {
      return col.findOne({ email: normalizeEmail(email) });
    },
    get(orgId, id) {
      return col.findOne({ _id: id, org_id: orgId });
    },
  };
}

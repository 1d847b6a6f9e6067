import { randomUUID } from 'node:crypto';
import type { Db } from 'mongodb';
import { hashPassword } from '../lib/crypto';
import { ConflictError } from '../lib/errors';
import type { UserDoc } from './documents';
import { isDuplicateKey } from './duplicate-key';

export function userRepository(db: Db) {
  const col = db.collection<UserDoc>('users');
  return {
    async create(
      orgId: string,
      input: { email: string; name: string; password: string },
    ): Promise<UserDoc> {
      const doc: UserDoc = {
        _id: randomUUID(),
        org_id: orgId,
        email: input.email.trim().toLowerCase(),
        name: input.name,
        password_hash: await hashPassword(input.password),
        created_at: new Date(),
      };
      try {
        await col.insertOne(doc);
      } catch (err) {
        if (isDuplicateKey(err)) {
          throw new ConflictError(`A user with email '${doc.email}' already exists`);
        }
        throw err;
      }
      return doc;
    },
    /** Login is the one lookup not scoped by organization: the email picks it. */
    findByEmail(email: string) {
      return col.findOne({ email: email.trim().toLowerCase() });
    },
    get(orgId: string, id: string) {
      return col.findOne({ _id: id, org_id: orgId });
    },
  };
}

export type UserRepository = ReturnType<typeof userRepository>;

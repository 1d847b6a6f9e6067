import type pg from 'pg';
import type { UserRepository } from '../contract/organizations';
import { emailTaken, newUser, normalizeEmail } from '../users';
import { insertValues, isUniqueViolation, one } from './db';

const COLUMNS = ['id', 'org_id', 'email', 'name', 'password_hash', 'created_at'];

export function userRepository(pool: pg.Pool): UserRepository {
  return {
    async create(orgId, input) {
      const doc = await newUser(orgId, input);
      const insert = insertValues('users', COLUMNS, [{ ...doc }]);
      try {
        await pool.query(insert.text, insert.values);
      } catch (err) {
        throw isUniqueViolation(err, 'users_email_key') ? emailTaken(doc.email) : err;
      }
      return doc;
    },
    findByEmail: (email) =>
      one(pool, 'SELECT * FROM users WHERE email = $1', [normalizeEmail(email)]),
    get: (orgId, id) => one(pool, 'SELECT * FROM users WHERE id = $1 AND org_id = $2', [id, orgId]),
  };
}

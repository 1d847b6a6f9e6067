import { randomUUID } from 'node:crypto';
import { hashPassword } from '../lib/crypto';
import { ConflictError } from '../lib/errors';
import type { UserDoc } from './documents';

/** Emails are compared trimmed and in lower case. */
export const normalizeEmail = (email: string) => email.trim().toLowerCase();

export const emailTaken = (email: string) =>
  new ConflictError(`A user with email '${email}' already exists`);

export async function newUser(
  orgId: string,
  input: { email: string; name: string; password: string },
): Promise<UserDoc> {
  return {
    _id: randomUUID(),
    org_id: orgId,
    email: normalizeEmail(input.email),
    name: input.name,
    password_hash: await hashPassword(input.password),
    created_at: new Date(),
  };
}

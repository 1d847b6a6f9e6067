import { createHash, randomBytes } from 'node:crypto';
import { derivedDigits as digits } from '../../lib/sandbox-ids';

export { sandboxDisplayNumber, sandboxWabaId } from '../../lib/sandbox-ids';

/** The business portfolio owning a WABA unless one is set (`businessOfWaba`). */
export const businessIdOf = (wabaId: string) => digits(`business:${wabaId}`, 15);

export const templateId = (wabaId: string, name: string, language: string) =>
  digits(`template:${wabaId}:${name}:${language}`, 16);

export const conversationId = (seed: string) =>
  createHash('md5').update(`conversation:${seed}`).digest('hex');

/** Meta's ids are base64 of an opaque record that starts with the user's number. */
export const newWamid = (waId: string) =>
  `wamid.${Buffer.concat([Buffer.from(`${waId}\u0015`), randomBytes(18)]).toString('base64')}`;

/** A user's business-scoped user id (BSUID), stable for the seed (their number or username). */
export const userIdFor = (seed: string) => `US.${digits(`bsuid:${seed}`, 20)}`;

/** BSUIDs start with a country code and a dot; phone numbers (wa_id) are digits only. */
export const isUserId = (id: string) => /^[A-Z]{2}\./.test(id);

export const fbtraceId = () => randomBytes(17).toString('base64url').slice(0, 23);

export const mediaId = () => digits(`media:${randomBytes(8).toString('hex')}`, 16);

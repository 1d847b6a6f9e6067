import { safeEqual } from '../lib/crypto';
import { ForbiddenError, UnauthorizedError, ValidationError } from '../lib/errors';
import { TtlCache } from '../lib/ttl-cache';
import { validSignature } from '../meta/signature';
import { parseMetaWebhook, phoneNumberIds } from '../meta/webhook-payload';
import type { Store } from '../store';
import type { Inbox } from './inbox';

/**
 * How long a number's app secret is reused without a database read and a decryption: the
 * webhook endpoint takes thousands of requests a second. A new or changed account is seen
 * within this time (Meta retries a refused webhook).
 */
const SECRET_CACHE_MS = 5_000;

/** What X-Hub-Signature-256 looks like: anything else cannot match, whatever the body. */
const SIGNATURE = /^sha256=[0-9a-f]{64}$/;

/** The app secret of the account a phone number id belongs to; null when none has it. */
export type AppSecrets = (phoneNumberId: string) => Promise<string | null>;

export function cachedAppSecrets(store: Store): AppSecrets {
  const secrets = new TtlCache<string, string | null>(SECRET_CACHE_MS);
  return (phoneNumberId) =>
    secrets.getOrLoad(phoneNumberId, async () => {
      const account = await store.accounts.findByPhoneNumberId(phoneNumberId);
      return account && store.accounts.credentials(account).appSecret;
    });
}

export interface SubscriptionHandshake {
  'hub.mode'?: string;
  'hub.verify_token'?: string;
  'hub.challenge'?: string;
}

/** Meta's verification handshake: the challenge to echo, for a known verify token only. */
export async function verifySubscription(
  { store }: { store: Store },
  q: SubscriptionHandshake,
): Promise<string> {
  const token = q['hub.verify_token'];
  const account = token ? await store.accounts.findByVerifyToken(token) : null;
  const valid =
    account !== null &&
    q['hub.mode'] === 'subscribe' &&
    safeEqual(store.accounts.credentials(account).verifyToken, token ?? '');
  if (!valid || q['hub.challenge'] === undefined) {
    throw new ForbiddenError('Webhook verification failed: unknown verify token or mode');
  }
  return q['hub.challenge'];
}

/**
 * Stores a webhook from Meta once every number it speaks for is ours and signed it; it is
 * processed in the background.
 */
export async function acceptMetaWebhook(
  { appSecrets, inbox }: { appSecrets: AppSecrets; inbox: Pick<Inbox, 'accept'> },
  raw: Buffer | undefined,
  signature: string | undefined,
): Promise<void> {
  // Nothing from an unsigned request is read before it claims a signature.
  if (signature === undefined) throw new UnauthorizedError('Missing X-Hub-Signature-256');
  if (!SIGNATURE.test(signature)) throw new UnauthorizedError('Invalid webhook signature');
  if (!Buffer.isBuffer(raw)) throw new ValidationError('Body must be JSON');
  const payload = parseMetaWebhook(raw.toString('utf8'));
  const ids = phoneNumberIds(payload);
  if (!ids.length) throw new ValidationError('No metadata.phone_number_id in the payload');
  // Every number the payload speaks for must be ours and its app secret must sign it.
  for (const id of ids) {
    const secret = await appSecrets(id);
    if (!secret || !validSignature(secret, raw, signature)) {
      throw new UnauthorizedError('Invalid webhook signature');
    }
  }
  await inbox.accept(raw.toString('utf8'));
}

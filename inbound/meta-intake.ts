import { safeEqual } from '../lib/crypto';
import { ForbiddenError, UnauthorizedError, ValidationError } from '../lib/errors';
import { TtlCache } from '../lib/ttl-cache';
import { validSignature } from '../meta/signature';
import { parseMetaWebhook, phoneNumberIds, type MetaWebhook } from '../meta/webhook-payload';
import type { Store } from '../store';
import type { AccountDoc } from '../store/documents';
import type { Inbox } from './inbox';

/**
 * How long an app secret is reused without a database read and a decryption: the
 * webhook endpoint takes thousands of requests a second. A new or changed account is seen
 * within this time (Meta retries a refused webhook).
 */
const SECRET_CACHE_MS = 5_000;

/** What X-Hub-Signature-256 looks like: anything else cannot match, whatever the body. */
const SIGNATURE = /^sha256=[0-9a-f]{64}$/;

/** Where the app secrets that may sign a webhook come from. */
export interface AppSecrets {
  /** The secret of the account with this phone number id; null when none has it. */
  ofNumber(phoneNumberId: string): Promise<string | null>;
  /** The secrets of the accounts under this WABA (several accounts may share one). */
  ofWaba(wabaId: string): Promise<string[]>;
  /**
   * Every connected account's secret, once each (accounts of one Meta app share it): for a
   * webhook about a number or WABA Waflow lacks.
   */
  all(): Promise<string[]>;
}

export function cachedAppSecrets(store: Store): AppSecrets {
  const numbers = new TtlCache<string, string | null>(SECRET_CACHE_MS);
  const wabas = new TtlCache<string, string[]>(SECRET_CACHE_MS);
  const every = new TtlCache<'all', string[]>(SECRET_CACHE_MS);
  const secretsOf = (accounts: AccountDoc[]) => [
    ...new Set(accounts.map((a) => store.accounts.credentials(a).appSecret)),
  ];
  return {
    ofNumber: (id) =>
      numbers.getOrLoad(id, async () => {
        const account = await store.accounts.findByPhoneNumberId(id);
        return account && store.accounts.credentials(account).appSecret;
      }),
    ofWaba: (id) =>
      wabas.getOrLoad(id, async () => secretsOf(await store.accounts.findByWabaId(id))),
    all: () => every.getOrLoad('all', async () => secretsOf(await store.accounts.listConnected())),
  };
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
 * Whether a secret signed the body: one HMAC per distinct secret however many entries, numbers
 * or accounts share it (an unknown WABA is checked against every connected account's).
 */
function signatureCheck(raw: Buffer, signature: string): (secret: string) => boolean {
  const checked = new Map<string, boolean>();
  return (secret) => {
    let valid = checked.get(secret);
    if (valid === undefined) {
      valid = validSignature(secret, raw, signature);
      checked.set(secret, valid);
    }
    return valid;
  };
}

/**
 * Whether the webhook is signed by whoever each of its entries is about: the account of each
 * phone number it names, else (an account-level field, or a number Waflow lacks) one of the
 * accounts under the entry's WABA, else (a WABA Waflow lacks) any account. What is signed but
 * unmatched is kept, with its reason, when processed.
 */
async function signedByItsAccounts(
  appSecrets: AppSecrets,
  payload: MetaWebhook,
  signedBy: (secret: string) => boolean,
): Promise<boolean> {
  for (const entry of payload.entry ?? []) {
    const numbers = phoneNumberIds({ entry: [entry] });
    let unknown = numbers.length === 0;
    for (const id of numbers) {
      const secret = await appSecrets.ofNumber(id);
      if (secret === null) unknown = true;
      else if (!signedBy(secret)) return false;
    }
    if (!unknown) continue;
    const ofWaba = entry.id ? await appSecrets.ofWaba(entry.id) : [];
    const secrets = ofWaba.length ? ofWaba : await appSecrets.all();
    // Every secret is checked, so the time taken does not tell which one matched.
    if (!secrets.map(signedBy).includes(true)) return false;
  }
  return true;
}

/**
 * Stores a webhook from Meta once it is signed by an app secret of the accounts it is about
 * (see signedByItsAccounts); it is processed in the background.
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
  const body = raw.toString('utf8');
  const payload = parseMetaWebhook(body);
  if (!(await signedByItsAccounts(appSecrets, payload, signatureCheck(raw, signature)))) {
    throw new UnauthorizedError('Invalid webhook signature');
  }
  await inbox.accept(body, payload);
}

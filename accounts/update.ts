import { ValidationError } from '../lib/errors';
import type { Log } from '../lib/log';
import type { MetaClient } from '../meta/client';
import type { Store } from '../store';
import type { AccountChanges } from '../store/accounts';
import { cappedThroughput } from './throughput';
import { accountNotFound, type AccountWithActivity, oneWithActivity } from './read';
import type { UpdateAccountRequest } from './requests';
import { displayNumber, verifyNumber } from './verify-number';

/** What the simulator needs to recognise a sandbox account cannot be changed. */
const SANDBOX_FIXED = [
  'phone_number_id',
  'waba_id',
  'access_token',
  'app_secret',
  'webhook_verify_token',
] as const;

function changesOf(req: UpdateAccountRequest): AccountChanges {
  return {
    name: req.name,
    phoneNumberId: req.phone_number_id,
    wabaId: req.waba_id,
    accessToken: req.access_token,
    appSecret: req.app_secret,
    verifyToken: req.webhook_verify_token,
    displayPhoneNumber: req.display_phone_number,
    isDefault: req.is_default,
    throughput: req.throughput,
    marketingMessages: req.marketing_messages,
    coexistence: req.coexistence,
  };
}

/** Changes the given fields; a new number or access token is verified at Meta first. */
export async function updateAccount(
  { store, meta, log }: { store: Store; meta: MetaClient; log: Log },
  orgId: string,
  id: string,
  req: UpdateAccountRequest,
): Promise<AccountWithActivity> {
  const current = await store.accounts.get(orgId, id);
  if (!current) throw accountNotFound(id);
  if (current.sandbox) {
    const fixed = SANDBOX_FIXED.filter((field) => req[field] !== undefined);
    if (fixed.length) {
      throw new ValidationError(
        `The sandbox account's ${fixed.join(', ')} cannot be changed: connect your own number instead`,
      );
    }
  }
  if (req.is_default === false && current.is_default) {
    throw new ValidationError(
      'is_default: make another account the default instead of unsetting this one',
    );
  }
  const changes = changesOf(req);
  changes.throughput = cappedThroughput(req, current);
  const numberChanged =
    req.phone_number_id !== undefined && req.phone_number_id !== current.phone_number_id;
  if (!current.sandbox && (numberChanged || req.access_token !== undefined)) {
    const number = await verifyNumber(meta, log, {
      graphUrl: current.graph_url,
      accessToken: req.access_token ?? store.accounts.credentials(current).accessToken,
      phoneNumberId: req.phone_number_id ?? current.phone_number_id,
      field: numberChanged ? 'phone_number_id' : 'access_token',
    });
    if (numberChanged && req.display_phone_number === undefined) {
      changes.displayPhoneNumber = displayNumber(number);
    }
    changes.messagingLimit = {
      tier: number.messagingLimitTier,
      qualityRating: number.qualityRating,
    };
  }
  const doc = await store.accounts.update(orgId, id, changes);
  if (!doc) throw accountNotFound(id);
  return oneWithActivity(store, doc);
}

import { randomToken } from '../lib/crypto';
import type { Log } from '../lib/log';
import type { MetaClient } from '../meta/client';
import type { Store } from '../store';
import type { AccountDoc } from '../store/documents';
import type { CreateAccountRequest } from './requests';
import { cappedThroughput } from './throughput';
import { displayNumber, verifyNumber } from './verify-number';

export interface CreateAccountDeps {
  store: Store;
  meta: MetaClient;
  /** Meta's Graph API, where the number is verified. */
  graphUrl: string;
  log: Log;
}

/**
 * Connects a number once Meta has shown its access token can read it. The verify token is
 * generated when none is given: `generatedVerifyToken` is the only time it is shown.
 */
export async function createAccount(
  { store, meta, graphUrl, log }: CreateAccountDeps,
  orgId: string,
  req: CreateAccountRequest,
): Promise<{ doc: AccountDoc; generatedVerifyToken: string | null }> {
  const number = await verifyNumber(meta, log, {
    graphUrl,
    accessToken: req.access_token,
    phoneNumberId: req.phone_number_id,
    field: 'phone_number_id',
  });
  const verifyToken = req.webhook_verify_token ?? randomToken(24);
  const doc = await store.accounts.create(orgId, {
    name: req.name,
    phoneNumberId: req.phone_number_id,
    wabaId: req.waba_id,
    accessToken: req.access_token,
    appSecret: req.app_secret,
    verifyToken,
    displayPhoneNumber: req.display_phone_number ?? displayNumber(number),
    isDefault: req.is_default,
    throughput: cappedThroughput(req, null),
    marketingMessages: req.marketing_messages,
    coexistence: req.coexistence,
    messagingLimit: { tier: number.messagingLimitTier, qualityRating: number.qualityRating },
  });
  return { doc, generatedVerifyToken: req.webhook_verify_token ? null : verifyToken };
}

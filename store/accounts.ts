import { randomUUID } from 'node:crypto';
import type { Config } from '../lib/config';
import { decryptSecret, encryptSecret, sha256Hex } from '../lib/crypto';
import { ConflictError } from '../lib/errors';
import type { AccountDoc } from './documents';
import { SANDBOX_ACCOUNT_NAME, sandboxAccountIds, type SandboxSettings } from './sandbox-account';

export const DEFAULT_THROUGHPUT = 80;
/** Meta's cap for numbers shared with the WhatsApp Business app. */
export const COEXISTENCE_THROUGHPUT = 20;

export interface AccountSettings {
  /** Graph API base URL of real accounts. */
  graphUrl: string;
  /** Set in sandbox mode: every organization then has an account on the simulator. */
  sandbox: SandboxSettings | null;
}

export const NO_SANDBOX: AccountSettings = {
  graphUrl: 'https://graph.facebook.com',
  sandbox: null,
};

export function accountSettings(config: Pick<Config, 'sandbox' | 'meta'>): AccountSettings {
  const sim = config.meta.simulator;
  return {
    graphUrl: config.meta.graphUrl,
    sandbox: config.sandbox
      ? {
          graphUrl: sim.url,
          accessToken: sim.accessToken,
          appSecret: sim.appSecret,
          verifyToken: sim.verifyToken,
        }
      : null,
  };
}

export interface NewAccount {
  name: string;
  phoneNumberId: string;
  wabaId: string;
  accessToken: string;
  appSecret: string;
  verifyToken: string;
  displayPhoneNumber?: string | null;
  isDefault?: boolean;
  throughput?: number;
  marketingMessages?: boolean;
  coexistence?: boolean;
  /** Overrides the configured Graph API URL (tests, private gateways). */
  graphUrl?: string;
  /** As Meta answered when the number was verified. */
  messagingLimit?: MessagingLimitFacts;
}

/** What Meta says of a number's messaging limit; an absent field is left as stored. */
export interface MessagingLimitFacts {
  tier?: string | null;
  qualityRating?: string | null;
  /** The business portfolio owning the WABA. */
  portfolioId?: string | null;
}

/**
 * Accounts that share a messaging limit: those of the WABA and, when known, every account of the
 * business portfolio (whose other WABAs' accounts have theirs read).
 */
export interface PortfolioScope {
  wabaId: string;
  portfolioId: string | null;
}

/** The stored fields that the facts set. */
export function messagingLimitFields(facts: MessagingLimitFacts, at: Date): Partial<AccountDoc> {
  return {
    ...(facts.tier !== undefined ? { messaging_limit_tier: facts.tier } : {}),
    ...(facts.qualityRating !== undefined ? { quality_rating: facts.qualityRating } : {}),
    ...(facts.portfolioId !== undefined ? { portfolio_id: facts.portfolioId } : {}),
    limit_checked_at: at,
  };
}

export type AccountChanges = Partial<Omit<NewAccount, 'graphUrl'>>;

export interface AccountCredentials {
  accessToken: string;
  appSecret: string;
  verifyToken: string;
}

/** Says no more than needed: the other account may be another organization's. */
export const phoneNumberTaken = (_phoneNumberId?: string) =>
  new ConflictError('This phone number is already connected to a Waflow account');

/** A new account's record; `isDefault` is decided by the store (first account, or asked). */
export function newAccountDoc(
  orgId: string,
  input: NewAccount,
  key: Buffer,
  graphUrl: string,
  isDefault: boolean,
): AccountDoc {
  const now = new Date();
  return {
    _id: randomUUID(),
    org_id: orgId,
    name: input.name,
    phone_number_id: input.phoneNumberId,
    waba_id: input.wabaId,
    display_phone_number: input.displayPhoneNumber ?? null,
    access_token_enc: encryptSecret(input.accessToken, key),
    app_secret_enc: encryptSecret(input.appSecret, key),
    verify_token_enc: encryptSecret(input.verifyToken, key),
    verify_token_hash: sha256Hex(input.verifyToken),
    is_default: isDefault,
    throughput: input.throughput ?? DEFAULT_THROUGHPUT,
    marketing_messages: input.marketingMessages ?? false,
    coexistence: input.coexistence ?? false,
    status: 'connected',
    status_reason: null,
    sandbox: false,
    graph_url: input.graphUrl ?? graphUrl,
    messaging_limit_tier: input.messagingLimit?.tier ?? null,
    quality_rating: input.messagingLimit?.qualityRating ?? null,
    limit_checked_at: input.messagingLimit ? now : null,
    portfolio_id: input.messagingLimit?.portfolioId ?? null,
    created_at: now,
    updated_at: now,
  };
}

/** The organization's account on the simulator; its ids are derived from the organization. */
export function sandboxAccountDoc(
  orgId: string,
  sandbox: SandboxSettings,
  key: Buffer,
  isDefault: boolean,
): AccountDoc {
  const { phoneNumberId, wabaId, displayPhoneNumber } = sandboxAccountIds(orgId);
  const doc = newAccountDoc(
    orgId,
    {
      name: SANDBOX_ACCOUNT_NAME,
      phoneNumberId,
      wabaId,
      displayPhoneNumber,
      accessToken: sandbox.accessToken,
      appSecret: sandbox.appSecret,
      verifyToken: sandbox.verifyToken,
      graphUrl: sandbox.graphUrl,
    },
    key,
    sandbox.graphUrl,
    isDefault,
  );
  return { ...doc, sandbox: true };
}

/** The stored fields a change sets (secrets sealed); a new access token reconnects. */
export function accountChangeFields(changes: AccountChanges, key: Buffer): Partial<AccountDoc> {
  const set: Partial<AccountDoc> = { updated_at: new Date() };
  if (changes.name !== undefined) set.name = changes.name;
  if (changes.phoneNumberId !== undefined) set.phone_number_id = changes.phoneNumberId;
  if (changes.wabaId !== undefined) {
    set.waba_id = changes.wabaId;
    // Another WABA may belong to another portfolio: read again with the number.
    set.portfolio_id = null;
  }
  if (changes.displayPhoneNumber !== undefined)
    set.display_phone_number = changes.displayPhoneNumber;
  if (changes.throughput !== undefined) set.throughput = changes.throughput;
  if (changes.marketingMessages !== undefined) set.marketing_messages = changes.marketingMessages;
  if (changes.coexistence !== undefined) set.coexistence = changes.coexistence;
  if (changes.messagingLimit)
    Object.assign(set, messagingLimitFields(changes.messagingLimit, new Date()));
  if (changes.appSecret !== undefined) set.app_secret_enc = encryptSecret(changes.appSecret, key);
  if (changes.verifyToken !== undefined) {
    set.verify_token_enc = encryptSecret(changes.verifyToken, key);
    set.verify_token_hash = sha256Hex(changes.verifyToken);
  }
  if (changes.accessToken !== undefined) {
    set.access_token_enc = encryptSecret(changes.accessToken, key);
    set.status = 'connected';
    set.status_reason = null;
  }
  return set;
}

export function accountCredentials(doc: AccountDoc, key: Buffer): AccountCredentials {
  return {
    accessToken: decryptSecret(doc.access_token_enc, key),
    appSecret: decryptSecret(doc.app_secret_enc, key),
    verifyToken: decryptSecret(doc.verify_token_enc, key),
  };
}

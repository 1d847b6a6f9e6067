import { tierOf } from '../lib/messaging-tier';
import type { MetaClient } from '../meta/client';
import { MetaApiError } from '../meta/errors';
import type { Store } from '../store';
import type { PortfolioScope } from '../store/accounts';
import type { AccountDoc } from '../store/documents';

/** Meta's messaging limit counts unique users over a moving 24 h. */
export const LIMIT_WINDOW_MS = 24 * 60 * 60 * 1000;

/**
 * Unique users a day that a tier allows: `TIER_250` 250, `TIER_2K` 2,000, `TIER_10K`, `TIER_100K`
 * (and any `TIER_<n>[K]`); Infinity for `TIER_UNLIMITED`; null when unknown (`TIER_NOT_SET`,
 * none read yet), which holds nothing back: Meta still enforces its own.
 */
export function tierUsers(tier: string | null): number | null {
  if (tier === 'TIER_UNLIMITED') return Infinity;
  const m = /^TIER_(\d+)(K?)$/.exec(tier ?? '');
  if (!m) return null;
  return Number(m[1]) * (m[2] ? 1_000 : 1);
}

/** A tier from a webhook value: `TIER_...` as is, a number (or numeric text) converted. */
function tierFrom(v: unknown): string | null {
  if (typeof v === 'string' && v.startsWith('TIER_')) return v;
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  return Number.isInteger(n) ? tierOf(n) : null;
}

/** `phone_number_quality_update`'s value, as Meta documents it. */
export interface QualityUpdateValue {
  display_phone_number?: string;
  /** `FLAGGED`, `UNFLAGGED`, `UPGRADE`, `DOWNGRADE`, `ONBOARDING`, `THROUGHPUT_UPGRADE`... */
  event?: string;
  /** The portfolio's limit (`TIER_2K`...); `current_limit` is its older name. */
  max_daily_conversations_per_business?: string;
  current_limit?: string;
  old_limit?: string;
}

/** `business_capability_update`'s value: the portfolio's limit as a number, -1 unlimited. */
export interface CapabilityUpdateValue {
  max_daily_conversations_per_business?: number | string;
  /** Its older name, removed by Meta in February 2026. */
  max_daily_conversation_per_phone?: number | string;
  max_phone_numbers_per_business?: number;
  max_phone_numbers_per_waba?: number;
}

const digits = (s: string | null | undefined) => (s ?? '').replace(/\D/g, '');

/** The WABA and the portfolio its accounts say owns it (any of them: a WABA has one owner). */
async function portfolioOfWaba(store: Store, wabaId: string): Promise<PortfolioScope> {
  const accounts = await store.accounts.findByWabaId(wabaId);
  return { wabaId, portfolioId: accounts.find((a) => a.portfolio_id)?.portfolio_id ?? null };
}

/**
 * Applies a `phone_number_quality_update`: the portfolio's tier to every account of the WABA and
 * of the business portfolio owning it (they share it); a `FLAGGED` number (low quality) is rated `RED` and an `UNFLAGGED` one
 * `UNKNOWN` until Graph is read again (the next template sync). Returns the accounts updated.
 */
export async function applyQualityUpdate(
  store: Store,
  wabaId: string,
  value: QualityUpdateValue,
): Promise<number> {
  let updated = 0;
  const tier = tierFrom(value.max_daily_conversations_per_business ?? value.current_limit);
  if (tier) {
    updated = await store.accounts.setMessagingLimit(await portfolioOfWaba(store, wabaId), {
      tier,
    });
  }
  const quality =
    value.event === 'FLAGGED' ? 'RED' : value.event === 'UNFLAGGED' ? 'UNKNOWN' : null;
  if (quality) {
    const number = digits(value.display_phone_number);
    for (const a of await store.accounts.findByWabaId(wabaId)) {
      if (!number || digits(a.display_phone_number) === number) {
        await store.accounts.setMessagingLimit({ id: a._id }, { qualityRating: quality });
        updated = Math.max(updated, 1);
      }
    }
  }
  return updated;
}

/**
 * Applies a `business_capability_update`: the portfolio's tier to every account of the WABA and
 * of the portfolio owning it.
 */
export async function applyCapabilityUpdate(
  store: Store,
  wabaId: string,
  value: CapabilityUpdateValue,
): Promise<number> {
  const tier = tierFrom(
    value.max_daily_conversations_per_business ?? value.max_daily_conversation_per_phone,
  );
  return tier
    ? store.accounts.setMessagingLimit(await portfolioOfWaba(store, wabaId), { tier })
    : 0;
}

/**
 * Reads the number's tier and quality rating, and the business portfolio owning its WABA, from
 * Graph and stores them: the tier for every account of the portfolio (Meta's is one for all).
 * A failure is left for the next read (hourly, with the template sync), except a token Meta no
 * longer accepts; the number's facts are kept when only the WABA cannot be read.
 */
export async function refreshMessagingLimit(
  { store, meta }: { store: Store; meta: MetaClient },
  account: AccountDoc,
): Promise<void> {
  const skip = (err: unknown) => {
    if (!(err instanceof MetaApiError) || err.kind === 'disconnected') throw err;
    return null;
  };
  try {
    const target = {
      graphUrl: account.graph_url,
      accessToken: store.accounts.credentials(account).accessToken,
    };
    const n = await meta.getPhoneNumber({ ...target, phoneNumberId: account.phone_number_id });
    const owner = await meta.getWabaOwner({ ...target, wabaId: account.waba_id }).catch(skip);
    const portfolioId = owner?.id ?? account.portfolio_id;
    await store.accounts.setMessagingLimit(
      { id: account._id },
      { tier: n.messagingLimitTier, qualityRating: n.qualityRating, portfolioId },
    );
    if (n.messagingLimitTier !== null) {
      await store.accounts.setMessagingLimit(
        { wabaId: account.waba_id, portfolioId },
        { tier: n.messagingLimitTier },
      );
    }
  } catch (err) {
    skip(err);
  }
}

/** The portfolio's window as the account view and campaigns see it. */
export interface MessagingWindow {
  tier: string | null;
  /** Unique users a day the tier allows; null unknown, Infinity unlimited. */
  limit: number | null;
  /**
   * Unique users business-initiated messages of the portfolio reached in the last 24 h; null
   * when the tier is unlimited: nothing needs the count, and reading it costs one row per user.
   */
  used: number | null;
  /** When the oldest counted message leaves the window (room may free then); null if none. */
  frees_at: Date | null;
}

/**
 * The count is the business portfolio's: every account whose WABA the portfolio owns (Graph's
 * `owner_business_info`, read with the number), and the WABA's own accounts while it is unread.
 */
export async function messagingWindow(
  store: Store,
  account: AccountDoc,
  now = new Date(),
): Promise<MessagingWindow> {
  const tier = account.messaging_limit_tier;
  const limit = tierUsers(tier);
  if (limit === Infinity) return { tier, limit, used: null, frees_at: null };
  const { accountIds, since } = await windowScope(store, account, now);
  const reach = await store.messages.businessInitiatedReach(accountIds, since);
  return {
    tier,
    limit,
    used: reach.users,
    frees_at: reach.oldest && new Date(reach.oldest.getTime() + LIMIT_WINDOW_MS),
  };
}

/** The portfolio's accounts' ids and the window's start, to ask who was reached already. */
export async function windowScope(store: Store, account: AccountDoc, now = new Date()) {
  const accounts = await store.accounts.findInPortfolio({
    wabaId: account.waba_id,
    portfolioId: account.portfolio_id,
  });
  return {
    accountIds: accounts.length ? accounts.map((a) => a._id) : [account._id],
    since: new Date(now.getTime() - LIMIT_WINDOW_MS),
  };
}

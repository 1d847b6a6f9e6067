import type { Client } from '@temporalio/client';
import { applyCapabilityUpdate, applyQualityUpdate } from '../accounts/messaging-limit';
import { pauseCampaignsForTemplates } from '../campaigns/template-pause';
import { sha256Hex } from '../lib/crypto';
import type { Store } from '../store';
import type { AccountDoc, MetaEventDoc, MetaEventState, TemplateDoc } from '../store/documents';
import { pausedBecause, unsendable } from '../templates/sendable';
import { applyTemplateChange, templateChange } from '../templates/webhook-update';

/** One change of a webhook field other than `messages`: about a WABA, not a phone number. */
export interface AccountChange {
  wabaId: string;
  field: string;
  value: Record<string, unknown>;
  /** The accounts under the WABA: at least one. */
  accounts: AccountDoc[];
}

export interface ChangeOutcome {
  state: MetaEventState;
  reason: string | null;
}

export interface AccountFieldDeps {
  store: Store;
  /** Pauses campaigns; without it (a process with no Temporal) templates are updated only. */
  temporal?: () => Client;
}

export type AccountFieldHandler = (
  deps: AccountFieldDeps,
  change: AccountChange,
) => Promise<ChangeOutcome>;

const STORED: ChangeOutcome = { state: 'stored', reason: null };

/**
 * A template webhook: the stored template follows it, and when it can no longer be sent the
 * running campaigns that use it pause, saying why. Sequences hold at a step whose template
 * cannot be sent (sequences/run-step.ts), from the status stored here.
 */
const templateField: AccountFieldHandler = async (deps, { field, value, accounts }) => {
  const change = templateChange(field, value);
  if (!change) return STORED;
  const { templates, unmatched } = await applyTemplateChange(
    deps,
    accounts.map((a) => a._id),
    change,
  );
  if (unmatched) return { state: 'unmatched', reason: unmatched };
  const paused = templates.filter(unsendable);
  if (change.patch.status && paused.length && deps.temporal) {
    const why = (t: TemplateDoc) =>
      `${pausedBecause(t)}: ${change.reason ?? 'no reason given by Meta'}`;
    await pauseCampaignsForTemplates({ store: deps.store, temporal: deps.temporal() }, paused, why);
  }
  return { state: 'applied', reason: null };
};

/**
 * A messaging-limit or quality webhook: the WABA's accounts take the tier or rating it names
 * (accounts/messaging-limit.ts); one that names neither is only stored.
 */
const limitField =
  (
    apply: (store: Store, wabaId: string, value: Record<string, unknown>) => Promise<number>,
  ): AccountFieldHandler =>
  async ({ store }, { wabaId, value }) =>
    (await apply(store, wabaId, value)) > 0 ? { state: 'applied', reason: null } : STORED;

/**
 * What Waflow does with each field Meta may post besides `messages`. A field not listed here
 * (account_update, account_alerts, security, flows...) is stored and listed to the
 * organizations of the WABA's accounts (GET /api/meta-events), as is everything below whose
 * handler finds nothing to do.
 */
export const ACCOUNT_FIELDS: Partial<Record<string, AccountFieldHandler>> = {
  message_template_status_update: templateField,
  template_category_update: templateField,
  message_template_quality_update: templateField,
  phone_number_quality_update: limitField(applyQualityUpdate),
  business_capability_update: limitField(applyCapabilityUpdate),
};

/** Applies one change with its field's handler, or stores it when Waflow does not act on it. */
export function applyAccountChange(
  deps: AccountFieldDeps,
  change: AccountChange,
): Promise<ChangeOutcome> {
  const handler = ACCOUNT_FIELDS[change.field];
  return handler ? handler(deps, change) : Promise.resolve(STORED);
}

/**
 * A change as kept: its id derives from the change itself (WABA, Meta's time, field, value),
 * so a redelivered webhook is stored once.
 */
export function metaEvent(
  change: {
    wabaId: string;
    time: unknown;
    field: string;
    value: Record<string, unknown>;
    phoneNumberId: string | null;
  },
  accounts: AccountDoc[],
  outcome: ChangeOutcome,
  at: Date,
): MetaEventDoc {
  const { wabaId, time, field, value, phoneNumberId } = change;
  return {
    _id: sha256Hex(JSON.stringify([wabaId, time ?? null, field, value])),
    org_ids: [...new Set(accounts.map((a) => a.org_id))],
    waba_id: wabaId,
    phone_number_id: phoneNumberId,
    field,
    value,
    state: outcome.state,
    reason: outcome.reason,
    received_at: at,
  };
}

/** A change the message processing does not take: another field, or a number Waflow lacks. */
export interface OtherChange {
  wabaId: string;
  time: unknown;
  field: string;
  value: Record<string, unknown>;
  phoneNumberId: string | null;
  /** Why it matched no account already (a message for a number Waflow does not have). */
  unmatched: string | null;
}

/**
 * Applies what Waflow acts on, and keeps every change with what became of it, in one write:
 * nothing is dropped, and what matched no account is kept with its reason.
 */
export async function keepOtherChanges(
  deps: AccountFieldDeps,
  changes: OtherChange[],
  accountsOf: (wabaId: string) => Promise<AccountDoc[]>,
): Promise<void> {
  if (!changes.length) return;
  const at = new Date();
  const docs = new Map<string, MetaEventDoc>();
  for (const c of changes) {
    const accounts = await accountsOf(c.wabaId);
    const outcome: ChangeOutcome = c.unmatched
      ? { state: 'unmatched', reason: c.unmatched }
      : !accounts.length
        ? { state: 'unmatched', reason: `No account has WABA id ${c.wabaId}` }
        : await applyAccountChange(deps, { ...c, accounts });
    const doc = metaEvent(c, accounts, outcome, at);
    docs.set(doc._id, doc);
  }
  await deps.store.metaEvents.record([...docs.values()]);
}

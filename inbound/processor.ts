import { mapLimit } from '../lib/concurrency';
import { TtlCache } from '../lib/ttl-cache';
import type { Store } from '../store';
import type { StatusTarget, StatusUpdate } from '../store/contract/messages';
import type { DeferredSent } from '../store/contract/send-queue';
import type { AccountDoc, EventDoc, MessageStatus } from '../store/documents';
import { eventDoc } from '../store/events';
import { type AccountFieldDeps, keepOtherChanges, type OtherChange } from './account-fields';
import { customersOf, idChangeOf } from './customer-ids';
import {
  inboundText,
  type MetaInboundMessage,
  type MetaStatus,
  type MetaWebhook,
} from '../meta/webhook-payload';
import { inboundMedia } from '../media/inbound-media';
import { statusConversation, statusPricing } from './pricing';

const STATUSES = new Set<MessageStatus>(['sent', 'delivered', 'read', 'failed']);
/** Every webhook names its number; its account is read once in this long, not per webhook. */
const ACCOUNT_CACHE_MS = 5_000;
/** Inbound messages of one batch stored at once: each costs a few round trips of its own. */
const INBOUND_CONCURRENCY = 8;

/** What else reacts to stored inbound messages (sequences' keywords, opt-outs and exits). */
export interface InboundHooks {
  /**
   * Called once per processed batch with its inbound messages, after they are stored. Its
   * failure is reported, never the batch's: the messages are kept either way.
   */
  onMessages?: (
    messages: { orgId: string; contactId: string; text: string | null }[],
  ) => Promise<void>;
  onHookError?: (err: unknown) => void;
  /**
   * Meta's per-user marketing cap (131049) in a `failed` status: the message goes back to the
   * queue, deferred `retryMs`, and `onDeferred` has its retry workflow send it again. Its
   * failure fails the batch, which is processed again. Without it, such a status fails the
   * message as any other.
   */
  marketingLimit?: {
    retryMs: number;
    onDeferred: (deferred: (DeferredSent & { wamid: string })[]) => Promise<void>;
  };
  /**
   * Waflow's signed URL of an inbound message's file (media/signed-url.ts), put in its content
   * and event; without it they carry a null URL.
   */
  mediaUrl?: (orgId: string, messageId: string) => string;
  /** New inbound files wait for their download: the worker is woken rather than left to poll. */
  onMediaQueued?: () => void;
  /** Pauses the campaigns of a template that can no longer be sent (account-fields.ts). */
  temporal?: AccountFieldDeps['temporal'];
  /** Leaves out the events nothing reads (statuses no webhook endpoint subscribes to). */
  eventFilter?: (events: EventDoc[]) => Promise<EventDoc[]>;
}

/** Meta's per-user cap on marketing messages: deferred, not failed. */
const MARKETING_LIMIT = 131049;

/** Per webhook: statuses about unknown messages, and why part of it could not be stored. */
export interface WebhookResult {
  unknownStatuses: string[];
  /** Set when a message could not be stored (it names no sender): the webhook is kept dead. */
  unstored?: string;
}

interface Inbound {
  webhook: number;
  account: AccountDoc;
  m: MetaInboundMessage;
  who: ReturnType<ReturnType<typeof customersOf>>;
}

/** A message with neither a number nor a user id: no contact can hold it. */
const SENDERLESS = Symbol('senderless');

const fromUnix = (ts: string | undefined) => {
  const n = Number(ts);
  return Number.isFinite(n) && n > 0 ? new Date(n * 1000) : new Date();
};

/**
 * Applies Meta webhooks: inbound messages upsert their contact and are stored once (their id
 * is derived from the wamid), statuses move messages forward only, and each fact records its
 * event under an id derived from it. Every step is idempotent, so a webhook may be processed
 * again after any failure.
 */
export function inboundProcessor(store: Store, hooks: InboundHooks = {}) {
  const accounts = new TtlCache<string, AccountDoc | null>(ACCOUNT_CACHE_MS);
  const accountFor = (phoneNumberId: string) =>
    accounts.getOrLoad(phoneNumberId, () => store.accounts.findByPhoneNumberId(phoneNumberId));
  const wabas = new TtlCache<string, AccountDoc[]>(ACCOUNT_CACHE_MS);
  const accountsOf = (wabaId: string) =>
    wabas.getOrLoad(wabaId, () => store.accounts.findByWabaId(wabaId));

  /** Stores an inbound message; returns its event, recorded with the batch's others. */
  async function message(
    fresh: Set<string>,
    account: AccountDoc,
    m: MetaInboundMessage,
    { ids, name }: Inbound['who'],
  ): Promise<EventDoc | typeof SENDERLESS> {
    const at = fromUnix(m.timestamp);
    const change = idChangeOf(m);
    if (!change && !ids.phone && !ids.userId) return SENDERLESS;
    // A system message is Meta's, not the customer's: it opens no 24 h window.
    const { contact } = change
      ? await store.contacts.changeIds(account.org_id, change.from, change.to)
      : await store.contacts.recordInbound(account.org_id, ids, {
          name,
          at: m.type === 'system' ? null : at,
        });
    const type = m.type;
    const given =
      (m[type] as Record<string, unknown> | undefined) ??
      Object.fromEntries(
        Object.entries(m).filter(
          ([k]) => !['id', 'from', 'from_user_id', 'timestamp', 'type'].includes(k),
        ),
      );
    const messageId = `in:${m.id}`;
    // Its file is downloaded in the background (media/downloads.ts): the message never waits.
    const media = inboundMedia(
      { orgId: account.org_id, accountId: account._id, messageId, type },
      given,
      hooks.mediaUrl?.(account.org_id, messageId) ?? null,
    );
    const content = media ? { ...given, media: media.view } : given;
    const { created } = await store.messages.insert(
      {
        _id: messageId,
        org_id: account.org_id,
        account_id: account._id,
        contact_id: contact._id,
        direction: 'inbound',
        phone_number: contact.phone_number,
        user_id: contact.user_id,
        type,
        content,
        origin: 'whatsapp',
        origin_id: null,
        request_hash: null,
        wamid: m.id,
        status: 'delivered',
      },
      at,
    );
    if (media) await store.media.createMany([media.doc]);
    // Hooks see each customer message once, however often Meta delivers it.
    if (created && m.type !== 'system') fresh.add(`message.incoming:${m.id}`);
    return eventDoc(account.org_id, {
      id: `message.incoming:${m.id}`,
      type: 'message.incoming',
      timestamp: at,
      data: {
        message_id: m.id,
        // Null for a customer known only by user id.
        from: change ? change.from.phone : ids.phone,
        user_id: ids.userId ?? contact.user_id,
        username: contact.username,
        contact_id: contact._id,
        contact_name: contact.name ?? name,
        type,
        text: inboundText(m),
        content,
        whatsapp_account_id: account._id,
      },
    });
  }

  /** A status Waflow tracks, as the store applies it; null for others (e.g. `deleted`). */
  function statusUpdate(account: AccountDoc, s: MetaStatus): StatusUpdate | null {
    if (!STATUSES.has(s.status as MessageStatus)) return null;
    const status = s.status as StatusUpdate['status'];
    const e = s.errors?.[0];
    return {
      orgId: account.org_id,
      wamid: s.id,
      // A status can beat the send's own answer: our id rides along in biz_opaque_callback_data.
      messageId: s.biz_opaque_callback_data ?? null,
      status,
      at: fromUnix(s.timestamp),
      error:
        status === 'failed'
          ? { code: e?.code ?? 0, message: e?.message ?? e?.title ?? 'Message failed' }
          : null,
      pricing: statusPricing(s),
      conversation: statusConversation(s),
    };
  }

  /**
   * 131049 statuses, after the batch's others (a `sent` of the same batch is then undone too):
   * their messages go back to the queue, deferred, and to their retry workflows. No event: the
   * message has not failed. Returns the wamids of those about no sent message.
   */
  async function deferCapped(updates: StatusUpdate[]): Promise<string[]> {
    const limit = hooks.marketingLimit!;
    const until = new Date(Date.now() + limit.retryMs);
    const found = await store.sendQueue.deferSent(
      updates.map((u) => ({
        orgId: u.orgId,
        wamid: u.wamid,
        messageId: u.messageId,
        at: u.at,
        reason: u.error!,
        until,
      })),
    );
    const deferred = new Map<string, DeferredSent & { wamid: string }>();
    const unknown: string[] = [];
    const ahead: string[] = [];
    found.forEach((d, i) => {
      const wamid = updates[i]!.wamid;
      if (d === 'ahead') ahead.push(wamid);
      else if (d) deferred.set(wamid, { ...d, wamid });
      else unknown.push(wamid);
    });
    if (deferred.size) await limit.onDeferred([...deferred.values()]);
    // Its send's answer is not recorded yet: the webhook is processed again after a wait (what
    // this batch did is idempotent), when the message has the wamid to defer.
    if (ahead.length)
      throw new Error(`131049 status ahead of its send's answer: ${ahead.join(', ')}`);
    return unknown;
  }

  const statusEventId = (u: StatusUpdate) => `message.${u.status}:${u.wamid}`;

  function statusEvent(account: AccountDoc, u: StatusUpdate, msg: StatusTarget): EventDoc {
    return eventDoc(account.org_id, {
      id: statusEventId(u),
      type: `message.${u.status}`,
      timestamp: u.at,
      data: {
        message_id: u.wamid,
        wamid: u.wamid,
        id: msg._id,
        to: msg.phone_number,
        user_id: msg.user_id ?? null,
        type: msg.type,
        status: u.status,
        contact_id: msg.contact_id,
        whatsapp_account_id: account._id,
        ...(u.error ? { error_code: u.error.code, error_message: u.error.message } : {}),
      },
    });
  }

  /**
   * Processes webhooks together: their inbound messages a few at a time, every status of the
   * batch in one store write, and all their events in another. Returns, per webhook, the wamids
   * of its statuses about messages Waflow does not know, and why a message was not stored.
   */
  async function processMany(payloads: MetaWebhook[]): Promise<WebhookResult[]> {
    const inbound: Inbound[] = [];
    const statuses: { webhook: number; account: AccountDoc; update: StatusUpdate }[] = [];
    // Other fields, and messages for numbers Waflow does not have: kept, never dropped.
    const others: OtherChange[] = [];
    for (const [webhook, payload] of payloads.entries()) {
      for (const entry of payload.entry ?? []) {
        for (const change of entry.changes ?? []) {
          const value = change.value;
          if (!value || !change.field) continue;
          const phoneNumberId = value.metadata?.phone_number_id ?? null;
          const other = { wabaId: entry.id ?? '', time: entry.time, field: change.field, value };
          if (change.field !== 'messages') {
            others.push({ ...other, phoneNumberId, unmatched: null });
            continue;
          }
          const account = phoneNumberId ? await accountFor(phoneNumberId) : null;
          if (!account) {
            const unmatched = phoneNumberId
              ? `No account has phone number id ${phoneNumberId}`
              : 'No metadata.phone_number_id in a messages change';
            others.push({ ...other, phoneNumberId, unmatched });
            continue;
          }
          const customer = customersOf(value);
          for (const m of value.messages ?? []) {
            inbound.push({ webhook, account, m, who: customer(m) });
          }
          for (const s of value.statuses ?? []) {
            const update = statusUpdate(account, s);
            if (update) statuses.push({ webhook, account, update });
          }
        }
      }
    }
    const results: WebhookResult[] = payloads.map(() => ({ unknownStatuses: [] }));
    const fresh = new Set<string>();
    const capped = hooks.marketingLimit
      ? statuses.filter((s) => s.update.error?.code === MARKETING_LIMIT)
      : [];
    const ordinary = capped.length ? statuses.filter((s) => !capped.includes(s)) : statuses;
    // Statuses do not wait for the few inbound messages: both go to the store at once.
    const [incoming, applied, kept] = await Promise.allSettled([
      mapLimit(inbound, INBOUND_CONCURRENCY, (i) => message(fresh, i.account, i.m, i.who)),
      store.messages.applyStatuses(ordinary.map((s) => s.update)),
      keepOtherChanges({ store, temporal: hooks.temporal }, others, accountsOf),
    ]);
    if (incoming.status === 'rejected') throw incoming.reason;
    if (applied.status === 'rejected') throw applied.reason;
    if (kept.status === 'rejected') throw kept.reason;
    if (capped.length) {
      for (const wamid of await deferCapped(capped.map((s) => s.update))) {
        results[capped.find((s) => s.update.wamid === wamid)!.webhook]!.unknownStatuses.push(wamid);
      }
    }
    // Meta's duplicates make the same event more than once: it is recorded once anyway.
    const events = new Map<string, EventDoc>();
    incoming.value.forEach((event, i) => {
      if (event !== SENDERLESS) events.set(event._id, event);
      else results[inbound[i]!.webhook]!.unstored = `message without a sender: ${inbound[i]!.m.id}`;
    });
    ordinary.forEach(({ webhook, account, update }, i) => {
      const msg = applied.value[i];
      if (!msg) results[webhook]!.unknownStatuses.push(update.wamid);
      else if (!events.has(statusEventId(update))) {
        const event = statusEvent(account, update, msg);
        events.set(event._id, event);
      }
    });
    const all = [...events.values()];
    await store.events.recordMany(hooks.eventFilter ? await hooks.eventFilter(all) : all);
    const mediaQueued = incoming.value.some(
      (e) =>
        e !== SENDERLESS &&
        fresh.has(e._id) &&
        (e.data.content as { media?: unknown } | undefined)?.media !== undefined,
    );
    if (mediaQueued) hooks.onMediaQueued?.();
    if (hooks.onMessages) {
      const messages = incoming.value
        .filter((e): e is EventDoc => e !== SENDERLESS && fresh.has(e._id))
        .map((e) => ({
          orgId: e.org_id,
          contactId: e.data.contact_id as string,
          text: (e.data.text as string | null) ?? null,
        }));
      if (messages.length)
        await hooks.onMessages(messages).catch((err) => hooks.onHookError?.(err));
    }
    return results;
  }

  return {
    processMany,
    /** One webhook: what processMany says of it. */
    async process(payload: MetaWebhook): Promise<WebhookResult> {
      const [result] = await processMany([payload]);
      return result!;
    },
  };
}

export type InboundProcessor = ReturnType<typeof inboundProcessor>;

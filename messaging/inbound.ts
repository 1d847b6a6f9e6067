import { normalizePhone } from '../lib/phone';
import { TtlCache } from '../lib/ttl-cache';
import type { Store } from '../store';
import type { AccountDoc, MessageStatus } from '../store/documents';
import {
  inboundText,
  type MetaInboundMessage,
  type MetaStatus,
  type MetaWebhook,
} from './meta-webhook';

const STATUSES = new Set<MessageStatus>(['sent', 'delivered', 'read', 'failed']);
/** Every webhook names its number; its account is read once in this long, not per webhook. */
const ACCOUNT_CACHE_MS = 5_000;

const fromUnix = (ts: string | undefined) => {
  const n = Number(ts);
  return Number.isFinite(n) && n > 0 ? new Date(n * 1000) : new Date();
};

/**
 * Applies a Meta webhook: inbound messages upsert their contact and are stored once (their id
 * is derived from the wamid), statuses move messages forward only, and each fact records its
 * event under an id derived from it. Every step is idempotent, so a webhook may be processed
 * again after any failure.
 */
export function inboundProcessor(store: Store) {
  const accounts = new TtlCache<string, AccountDoc | null>(ACCOUNT_CACHE_MS);
  const accountFor = (phoneNumberId: string) =>
    accounts.getOrLoad(phoneNumberId, () => store.accounts.findByPhoneNumberId(phoneNumberId));

  async function message(account: AccountDoc, m: MetaInboundMessage, name: string | null) {
    const phone = normalizePhone(m.from);
    if (!phone) return;
    const at = fromUnix(m.timestamp);
    const { contact } = await store.contacts.recordInbound(account.org_id, phone, { name, at });
    const type = m.type;
    const content =
      (m[type] as Record<string, unknown> | undefined) ??
      Object.fromEntries(
        Object.entries(m).filter(([k]) => !['id', 'from', 'timestamp', 'type'].includes(k)),
      );
    await store.messages.insert(
      {
        _id: `in:${m.id}`,
        org_id: account.org_id,
        account_id: account._id,
        contact_id: contact._id,
        direction: 'inbound',
        phone_number: phone,
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
    await store.events.record(
      account.org_id,
      `message.incoming:${m.id}`,
      'message.incoming',
      {
        message_id: m.id,
        from: phone,
        contact_id: contact._id,
        contact_name: contact.name ?? name,
        type,
        text: inboundText(m),
        content,
        whatsapp_account_id: account._id,
      },
      at,
    );
  }

  async function status(account: AccountDoc, s: MetaStatus): Promise<boolean> {
    if (!STATUSES.has(s.status as MessageStatus)) return true;
    const st = s.status as MessageStatus;
    let msg = await store.messages.byWamid(s.id);
    // A status can beat the send's own answer: our id rides along in biz_opaque_callback_data.
    if (!msg && s.biz_opaque_callback_data) {
      const byId = await store.messages.byId(s.biz_opaque_callback_data);
      if (byId && byId.org_id === account.org_id) {
        await store.messages.setWamid(byId._id, s.id);
        msg = { ...byId, wamid: byId.wamid ?? s.id };
      }
    }
    if (!msg || msg.org_id !== account.org_id) return false;
    const at = fromUnix(s.timestamp);
    const e = s.errors?.[0];
    const error =
      st === 'failed'
        ? { code: e?.code ?? 0, message: e?.message ?? e?.title ?? 'Message failed' }
        : null;
    await store.messages.applyStatus(msg._id, st, at, error);
    await store.events.record(
      account.org_id,
      `message.${st}:${s.id}`,
      `message.${st}`,
      {
        message_id: s.id,
        to: msg.phone_number,
        type: msg.type,
        status: st,
        contact_id: msg.contact_id,
        whatsapp_account_id: account._id,
        ...(error ? { error_code: error.code, error_message: error.message } : {}),
      },
      at,
    );
    return true;
  }

  return {
    /** Returns the wamids of statuses about messages Waflow does not know. */
    async process(payload: MetaWebhook): Promise<{ unknownStatuses: string[] }> {
      const unknownStatuses: string[] = [];
      for (const entry of payload.entry ?? []) {
        for (const change of entry.changes ?? []) {
          const value = change.value;
          const phoneNumberId = value?.metadata?.phone_number_id;
          if (change.field !== 'messages' || !value || !phoneNumberId) continue;
          const account = await accountFor(phoneNumberId);
          if (!account) continue;
          const names = new Map(
            (value.contacts ?? []).map((c) => [c.wa_id ?? '', c.profile?.name ?? null]),
          );
          for (const m of value.messages ?? [])
            await message(account, m, names.get(m.from) ?? null);
          for (const s of value.statuses ?? []) {
            if (!(await status(account, s))) unknownStatuses.push(s.id);
          }
        }
      }
      return { unknownStatuses };
    },
  };
}

export type InboundProcessor = ReturnType<typeof inboundProcessor>;

import type { InboundFacts } from '../store/contract/automations';
import type { EventDoc } from '../store/documents';
import { isKeyword } from '../lib/keywords';

/** Something that can start a run, or move or end one: routed once each (automations/router.ts). */
export type RouteInput = {
  /** Its key: the event's id, or `woo:<store>:<order>:<status>`. */
  id: string;
  orgId: string;
  contactId: string;
  at: Date;
} & (
  | { kind: 'message'; message: InboundFacts }
  /** An opt-out word, or the contact's consent withdrawn: every run of the contact ends. */
  | { kind: 'opted_out' }
  | { kind: 'contact_created' }
  | { kind: 'tags_added'; tags: string[] }
  | { kind: 'order_status'; storeId: string; status: string }
  | { kind: 'payment_link'; outcome: 'paid' | 'failed' | 'expired' }
);

/** The event types inputs come from. */
export const INPUT_EVENT_TYPES = new Set([
  'message.incoming',
  'contact.created',
  'contact.updated',
  'payment_link.paid',
  'payment_link.failed',
  'payment_link.expired',
]);

const str = (v: unknown) => (typeof v === 'string' ? v : null);

/** A customer message as runs see it, from its `message.incoming` event. */
export function factsOf(e: EventDoc): InboundFacts {
  const content = (e.data.content ?? {}) as Record<string, unknown>;
  const type = str(e.data.type) ?? 'unknown';
  const interactive = type === 'interactive' ? content : {};
  const reply = (k: string) => str((interactive[k] as Record<string, unknown> | undefined)?.id);
  return {
    message_id: `in:${str(e.data.message_id) ?? e._id}`,
    type,
    text: str(e.data.text),
    button: type === 'button' ? str(content.payload) : reply('button_reply'),
    list_reply: reply('list_reply'),
    at: e.timestamp,
  };
}

/**
 * The inputs recorded events carry: customer messages (an opt-out word is an opt-out, Meta's
 * system messages are nothing), new contacts, tags added, consent withdrawn, payment outcomes.
 */
export function inputsOf(
  events: readonly EventDoc[],
  optOutWords: readonly string[],
): RouteInput[] {
  const inputs: RouteInput[] = [];
  for (const e of events) {
    const base = { id: e._id, orgId: e.org_id, at: e.timestamp };
    switch (e.type) {
      case 'message.incoming': {
        const contactId = str(e.data.contact_id);
        if (!contactId || e.data.type === 'system') break;
        const message = factsOf(e);
        inputs.push(
          message.type === 'text' && isKeyword(message.text, optOutWords)
            ? { ...base, contactId, kind: 'opted_out' }
            : { ...base, contactId, kind: 'message', message },
        );
        break;
      }
      case 'contact.created':
        if (str(e.data.id))
          inputs.push({ ...base, contactId: e.data.id as string, kind: 'contact_created' });
        break;
      case 'contact.updated': {
        const contactId = str(e.data.id);
        const changes = (e.data.changes as string[] | undefined) ?? [];
        if (!contactId) break;
        if (changes.includes('opted_in') && e.data.opted_in === false) {
          inputs.push({ ...base, contactId, kind: 'opted_out' });
        } else {
          const added = (e.data.tags_added as string[] | undefined) ?? [];
          if (added.length) inputs.push({ ...base, contactId, kind: 'tags_added', tags: added });
        }
        break;
      }
      default: {
        const outcome = /^payment_link\.(paid|failed|expired)$/.exec(e.type)?.[1];
        const contactId = str(e.data.contact_id);
        if (outcome && contactId) {
          inputs.push({
            ...base,
            contactId,
            kind: 'payment_link',
            outcome: outcome as 'paid' | 'failed' | 'expired',
          });
        }
      }
    }
  }
  return inputs;
}

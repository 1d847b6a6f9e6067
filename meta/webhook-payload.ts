/** The parts of Meta's WhatsApp webhook payload that Waflow reads. */

export interface MetaWebhook {
  object?: string;
  entry?: { id?: string; changes?: { field?: string; value?: MetaChangeValue }[] }[];
}

export interface MetaChangeValue {
  messaging_product?: string;
  metadata?: { phone_number_id?: string; display_phone_number?: string };
  contacts?: { wa_id?: string; profile?: { name?: string } }[];
  messages?: MetaInboundMessage[];
  statuses?: MetaStatus[];
}

export interface MetaInboundMessage {
  id: string;
  from: string;
  timestamp: string;
  type: string;
  text?: { body?: string };
  interactive?: {
    type?: string;
    button_reply?: { id?: string; title?: string };
    list_reply?: { id?: string; title?: string; description?: string };
  };
  button?: { text?: string; payload?: string };
  reaction?: { message_id?: string; emoji?: string };
  [type: string]: unknown;
}

export interface MetaStatus {
  id: string;
  status: string;
  timestamp: string;
  recipient_id?: string;
  biz_opaque_callback_data?: string;
  errors?: { code?: number; title?: string; message?: string; error_data?: { details?: string } }[];
}

/** The phone number ids a webhook is about: they decide whose app secret signs it. */
export function phoneNumberIds(payload: MetaWebhook): string[] {
  const ids = new Set<string>();
  for (const entry of payload.entry ?? []) {
    for (const change of entry.changes ?? []) {
      const id = change.value?.metadata?.phone_number_id;
      if (id) ids.add(id);
    }
  }
  return [...ids];
}

/** A readable text for an inbound message, as `message.incoming` carries it. */
export function inboundText(m: MetaInboundMessage): string | null {
  switch (m.type) {
    case 'text':
      return m.text?.body ?? null;
    case 'interactive':
      return m.interactive?.button_reply?.title ?? m.interactive?.list_reply?.title ?? null;
    case 'button':
      return m.button?.text ?? null;
    case 'reaction':
      return m.reaction?.emoji ?? null;
    default: {
      const caption = (m[m.type] as { caption?: unknown } | undefined)?.caption;
      return typeof caption === 'string' ? caption : null;
    }
  }
}

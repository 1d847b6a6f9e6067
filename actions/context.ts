import type { ContactDoc, MessageDoc, OrganizationDoc } from '../store/documents';

/** A contact as an action sees it (`contact`). */
export function contactContext(c: ContactDoc) {
  return {
    id: c._id,
    name: c.name,
    phone_number: c.phone_number,
    email: c.email,
    tags: c.tags,
    stage: c.stage,
    custom_fields: c.custom_fields,
    opted_in: c.opted_in,
    last_inbound_at: c.last_inbound_at?.toISOString() ?? null,
    created_at: c.created_at.toISOString(),
  };
}

/** A stored message as an action sees it (`message`): its text, type and time. */
export function messageContext(m: MessageDoc) {
  const content = m.content as { body?: unknown; text?: { body?: unknown } };
  const text = typeof content.body === 'string' ? content.body : content.text?.body;
  return {
    id: m._id,
    direction: m.direction,
    type: m.type,
    text: typeof text === 'string' ? text : null,
    status: m.status,
    timestamp: m.created_at.toISOString(),
  };
}

/** The organization as an action sees it (`organization`). */
export const organizationContext = (o: Pick<OrganizationDoc, '_id' | 'name'>) => ({
  id: o._id,
  name: o.name,
});

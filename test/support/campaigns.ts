import type { MessagingHarness } from './messaging';
import { waitUntil } from './send-queue';

/** `count` contacts tagged `tag`, numbered `+44740<prefix><n>`, through the bulk import. */
export async function importContacts(
  h: MessagingHarness,
  count: number,
  tag: string,
  prefix: string,
): Promise<string[]> {
  const phones: string[] = [];
  for (let from = 0; from < count; from += 1_000) {
    const contacts = Array.from({ length: Math.min(1_000, count - from) }, (_, i) => {
      // Valid UK mobile numbers: a bulk import refuses numbers no line can have.
      const phone = `+44740${prefix}${String(from + i).padStart(4, '0')}`;
      phones.push(phone);
      return { phone_number: phone, name: `Customer ${from + i}`, tags: [tag], opted_in: true };
    });
    const res = await h.call({ method: 'POST', url: '/api/contacts/bulk', payload: { contacts } });
    if (res.statusCode !== 200) throw new Error(`import: ${res.statusCode} ${res.body}`);
  }
  return phones;
}

/** An order confirmation campaign to the contacts tagged `tag`. */
export function campaignBody(tag: string, over: Record<string, unknown> = {}) {
  return {
    name: `Campaign ${tag}`,
    audience: { tags: [tag] },
    mode: 'anytime',
    message: {
      type: 'template',
      template: {
        name: 'order_confirmation',
        language: 'en',
        components: [
          {
            type: 'body',
            parameters: [
              { type: 'text', text: '{{name | there}}' },
              { type: 'text', text: '{{custom_fields.order | ORD-1}}' },
            ],
          },
        ],
      },
    },
    ...over,
  };
}

export async function createCampaign(h: MessagingHarness, body: Record<string, unknown>) {
  const res = await h.call({ method: 'POST', url: '/api/campaigns', payload: body });
  if (res.statusCode !== 201) throw new Error(`create: ${res.statusCode} ${res.body}`);
  return res.json().data as { id: string; status: string };
}

export async function campaignView(h: MessagingHarness, id: string) {
  const res = await h.call({ method: 'GET', url: `/api/campaigns/${id}` });
  return res.json().data as {
    status: string;
    counts: Record<string, number>;
  };
}

export function campaignEnds(h: MessagingHarness, id: string, status = 'completed', ms = 120_000) {
  return waitUntil(
    `campaign ${id} is ${status}`,
    async () => (await campaignView(h, id)).status === status,
    ms,
  );
}

/** The simulator's accepted sends to these phones: how many times each was sent. */
export function acceptedPerPhone(h: MessagingHarness, phones: string[]): Map<string, number> {
  const wanted = new Set(phones.map((p) => p.replace('+', '')));
  const counts = new Map<string, number>();
  for (const s of h.sim.sends({ full: true }).sends ?? []) {
    if (wanted.has(s.recipient)) counts.set(s.recipient, (counts.get(s.recipient) ?? 0) + 1);
  }
  return counts;
}

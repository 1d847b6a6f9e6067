import { randomUUID } from 'node:crypto';
import type { Store } from '../../store/contract';
import type { NewMessage } from '../../store/contract/messages';
import type { SendClass } from '../../store/contract/send-queue';
import type { AccountDoc } from '../../store/documents';

/** A text message from `accountId` to `phone`, as `POST /api/messages/send` would queue it. */
export function queuedMessage(
  orgId: string,
  accountId: string,
  over: Partial<NewMessage> = {},
): NewMessage {
  return {
    _id: randomUUID(),
    org_id: orgId,
    account_id: accountId,
    contact_id: randomUUID(),
    direction: 'outbound',
    phone_number: '+14155550100',
    user_id: null,
    type: 'text',
    content: { body: 'Hello' },
    origin: 'api',
    origin_id: null,
    request_hash: null,
    wamid: null,
    status: 'queued',
    ...over,
  };
}

/** order_confirmation's two body parameters, as the tests fill them. */
const ORDER_CONFIRMATION_COMPONENTS = [
  {
    type: 'body',
    parameters: [
      { type: 'text', text: 'Ana' },
      { type: 'text', text: 'ORD-1' },
    ],
  },
];

/** order_confirmation in English, as `POST /api/messages/send` takes a template. */
export const orderConfirmation = {
  name: 'order_confirmation',
  language: 'en',
  components: ORDER_CONFIRMATION_COMPONENTS,
};

/** A template message to `phone` from `account`, as a campaign would queue it. */
export function templateMessage(account: AccountDoc, phone: string, id = randomUUID()): NewMessage {
  return queuedMessage(account.org_id, account._id, {
    _id: id,
    contact_id: `contact-${phone}`,
    phone_number: phone,
    type: 'template',
    content: {
      name: 'order_confirmation',
      language: { code: 'en' },
      components: ORDER_CONFIRMATION_COMPONENTS,
    },
    origin: 'campaign',
  });
}

/** `count` messages to distinct numbers (`+1555<prefix><n>`), queued in one call. */
export async function enqueueMany(
  store: Store,
  account: AccountDoc,
  count: number,
  cls: SendClass = 'bulk',
  prefix = String(Math.floor(Math.random() * 900) + 100),
): Promise<string[]> {
  const messages = Array.from({ length: count }, (_, i) =>
    templateMessage(account, `+1555${prefix}${String(i).padStart(4, '0')}`),
  );
  await store.sendQueue.enqueue(messages, cls);
  return messages.map((m) => m._id);
}

/** Polls until `check` is true (or throws with `what` after `ms`). */
export async function waitUntil(what: string, check: () => Promise<boolean>, ms = 60_000) {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Until the account's send queue is empty. */
export function queueDrained(store: Store, accountId: string, ms?: number) {
  return waitUntil(
    `the send queue of ${accountId} is empty`,
    async () => {
      const depth = (await store.sendQueue.depths([accountId])).get(accountId);
      return !depth || depth.transactional + depth.bulk === 0;
    },
    ms,
  );
}

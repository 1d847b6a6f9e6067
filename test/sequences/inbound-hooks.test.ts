import { inboundProcessor } from '../../inbound/processor';
import type { MetaWebhook } from '../../meta/webhook-payload';
import { sequenceTriggers } from '../../sequences/inbound-triggers';
import type { Store } from '../../store/contract';
import type { AccountDoc } from '../../store/documents';
import { sequenceInput } from '../support/sequences';
import { openTestStore, type TestStore } from '../support/store';

/**
 * What inbound batches do to sequences, and what they never do: lose a message because the
 * sequence part failed, or act twice on a message Meta delivered twice.
 */
let t: TestStore;
let store: Store;
let account: AccountDoc;
let orgId: string;

beforeAll(async () => {
  t = await openTestStore((process.env.WAFLOW_TEST_STORE ?? 'postgres') as 'postgres' | 'mongo');
  store = t.store;
  orgId = (await store.organizations.create('Hooks'))._id;
  account = await store.accounts.create(orgId, {
    name: 'Main',
    phoneNumberId: `1065403${Math.floor(Math.random() * 1e8)}`,
    wabaId: '102290129340001',
    accessToken: 'EAAG',
    appSecret: 'secret',
    verifyToken: 'verify',
  });
});
afterAll(() => t?.handle.close());

let n = 0;
const inbound = (from: string, text: string, id = `wamid.hook${++n}`): MetaWebhook => ({
  object: 'whatsapp_business_account',
  entry: [
    {
      id: account.waba_id,
      changes: [
        {
          field: 'messages',
          value: {
            messaging_product: 'whatsapp',
            metadata: { phone_number_id: account.phone_number_id },
            contacts: [{ wa_id: from, profile: { name: 'Ana' } }],
            messages: [
              {
                id,
                from,
                timestamp: String(Math.floor(Date.now() / 1000)),
                type: 'text',
                text: { body: text },
              },
            ],
          },
        },
      ],
    },
  ],
});

it('keeps the inbound message when the sequence part fails, and reports the failure', async () => {
  const errors: unknown[] = [];
  const processor = inboundProcessor(store, {
    onMessages: () => Promise.reject(new Error('sequences are down')),
    onHookError: (err) => errors.push(err),
  });
  await processor.process(inbound('15551230001', 'START'));
  const contact = await store.contacts.findByPhone(orgId, '+15551230001');
  const history = await store.messages.history(orgId, contact!._id, { limit: 5 });
  expect(history.map((m) => m.content)).toEqual([{ body: 'START' }]);
  expect(errors).toHaveLength(1);
});

it('subscribes by keyword once per message, however often Meta delivers it', async () => {
  const seq = await store.sequences.create(
    orgId,
    sequenceInput({ keywords: ['start'], reentry: 'always' }),
  );
  const kicks: number[] = [];
  const triggers = sequenceTriggers({
    store,
    client: () => null,
    optOutWords: ['STOP'],
    starter: { kick: () => void kicks.push(1) },
  });
  const processor = inboundProcessor(store, { onMessages: (m) => triggers.onMessages(m) });
  const message = inbound('15551230002', ' Start ', 'wamid.twice');
  await processor.process(message);
  await processor.process(message);
  const contact = await store.contacts.findByPhone(orgId, '+15551230002');
  // `always` would restart on a second subscribe: the redelivery made none.
  expect(await store.sequenceSubscriptions.get(seq._id, contact!._id)).toMatchObject({
    run: 1,
    state: 'pending',
    source: 'keyword',
  });
  expect(kicks).toHaveLength(1);

  await processor.process(inbound('15551230002', 'stop'));
  expect(await store.sequenceSubscriptions.get(seq._id, contact!._id)).toMatchObject({
    state: 'exited',
    exit_reason: 'opted_out',
  });
  expect((await store.contacts.get(orgId, contact!._id))?.opted_in).toBe(false);
});

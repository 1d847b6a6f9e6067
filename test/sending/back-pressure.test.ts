import { startDispatcher } from '../support/dispatcher';
import { createMessagingHarness, type MessagingHarness } from '../support/messaging';
import { enqueueMany, queueDrained } from '../support/send-queue';

/**
 * A lane keeps at most `send.connections` sends waiting for Meta's answer: when answers slow
 * down, the pace follows them instead of piling requests up until they time out.
 */
jest.setTimeout(120_000);

const WINDOW = 3;
const ANSWER_MS = 300;
let h: MessagingHarness;

beforeAll(async () => {
  h = await createMessagingHarness();
  const sync = await h.call({ method: 'POST', url: '/api/templates/sync', payload: {} });
  expect(sync.statusCode).toBe(200);
  // This file's dispatcher alone sends.
  await h.worker.dispatcher.close();
});

afterAll(() => h?.close());

it('waits for an answer before starting a send beyond its window', async () => {
  await h.app.store.accounts.update(h.account.org_id, h.account._id, { throughput: 100 });
  h.sim.setOptions({
    throughputPerNumber: { [h.account.phone_number_id]: 100 },
    answerLatencyMs: ANSWER_MS,
  });
  // Its Meta client would hold 64 sends at once: only the lane holds them back.
  const dispatcher = await startDispatcher(h, {
    ...h.config,
    send: { ...h.config.send, connections: WINDOW },
  });
  try {
    const ids = await enqueueMany(h.app.store, h.account, 4 * WINDOW);
    await dispatcher.signals.publish('send_queued', h.account._id);
    await queueDrained(h.app.store, h.account._id);

    const starts = h.sim.log
      .filter((e) => e.wamid)
      .map((e) => Date.parse(e.time))
      .sort((a, b) => a - b);
    expect(starts).toHaveLength(ids.length);
    // At 100/s, 12 sends would start within 120 ms; held to the window, a send starts only
    // when one of the three before it has its answer.
    for (let i = WINDOW; i < starts.length; i++) {
      expect(starts[i]! - starts[i - WINDOW]!).toBeGreaterThanOrEqual(ANSWER_MS - 20);
    }
    for (const id of ids) {
      expect((await h.app.store.messages.get(h.account.org_id, id))?.status).not.toBe('queued');
    }
  } finally {
    await dispatcher.close();
  }
});

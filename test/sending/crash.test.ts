import { enqueueMany, queueDrained, waitUntil } from '../support/send-queue';
import { createKillableStack } from '../support/worker-process';

/**
 * A worker process (Temporal worker and dispatcher) killed with SIGKILL in the middle of a
 * batch, then another started: every message reaches Meta exactly once, as the simulator's
 * log of accepted sends shows.
 */
jest.setTimeout(180_000);

const MESSAGES = 600;
let stack: Awaited<ReturnType<typeof createKillableStack>>;

beforeAll(async () => {
  stack = await createKillableStack(100);
});

afterAll(() => stack?.close());

it('sends every message exactly once across a kill -9 mid-batch', async () => {
  const { h } = stack;
  const ids = new Set(await enqueueMany(h.app.store, h.account, MESSAGES));
  const acceptedOf = () =>
    (h.sim.sends({ full: true }).sends ?? []).filter((s) =>
      ids.has(s.biz_opaque_callback_data ?? ''),
    );
  const first = stack.startWorker();
  await waitUntil('the first worker is sending', async () => acceptedOf().length >= 150);
  await stack.kill(first);
  expect(acceptedOf().length).toBeLessThan(MESSAGES);

  stack.startWorker();
  await queueDrained(h.app.store, h.account._id, 120_000);
  await h.settle();

  const accepted = acceptedOf();
  const perMessage = new Map<string, number>();
  for (const s of accepted) {
    const id = s.biz_opaque_callback_data!;
    perMessage.set(id, (perMessage.get(id) ?? 0) + 1);
  }
  expect([...perMessage].filter(([, n]) => n > 1)).toEqual([]);
  expect(perMessage.size).toBe(MESSAGES);
  for (const id of ids) {
    const m = await h.app.store.messages.get(h.account.org_id, id);
    expect(m?.wamid).toBe(accepted.find((s) => s.biz_opaque_callback_data === id)?.wamid);
    expect(m?.status_history.filter((s) => s.status === 'sent')).toHaveLength(1);
  }
});

import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { configEnv } from '../../lib/config';
import { createMessagingHarness, type MessagingHarness } from '../support/messaging';
import { enqueueMany, queueDrained, waitUntil } from '../support/send-queue';

/**
 * A worker process (Temporal worker and dispatcher) killed with SIGKILL in the middle of a
 * batch, then another started: every message reaches Meta exactly once, as the simulator's
 * log of accepted sends shows.
 */
jest.setTimeout(180_000);

const WORKER_ENTRY = join(__dirname, '..', '..', 'dist', 'worker', 'main.js');
const MESSAGES = 600;
let h: MessagingHarness;
const children: ChildProcess[] = [];

beforeAll(async () => {
  h = await createMessagingHarness({
    env: { SEND_CLAIM_LEASE_SECONDS: '2', SEND_LANE_LEASE_SECONDS: '1', SEND_POLL_MS: '100' },
  });
  // The worker processes below take the in-process one's place.
  await h.worker.stop();
  await h.app.store.accounts.update(h.account.org_id, h.account._id, { throughput: 100 });
  // Meta's answers take 300 ms after it accepts: about 30 sends are always in flight, so the
  // kill leaves some accepted but never recorded.
  h.sim.setOptions({
    throughputPerNumber: { [h.account.phone_number_id]: 100 },
    answerLatencyMs: 300,
  });
});

afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  await h?.close();
});

function startWorker(): ChildProcess {
  const child = spawn(process.execPath, [WORKER_ENTRY], {
    // The schedules belong to the namespace: other suites on this Temporal server keep theirs.
    env: { ...configEnv(h.config), LOG_LEVEL: 'silent', TEMPORAL_SCHEDULES: 'false' },
    stdio: 'ignore',
  });
  children.push(child);
  return child;
}

const acceptedOf = (ids: Set<string>) =>
  (h.sim.sends({ full: true }).sends ?? []).filter((s) =>
    ids.has(s.biz_opaque_callback_data ?? ''),
  );

it('sends every message exactly once across a kill -9 mid-batch', async () => {
  const ids = new Set(await enqueueMany(h.app.store, h.account, MESSAGES));
  const first = startWorker();
  await waitUntil('the first worker is sending', async () => acceptedOf(ids).length >= 150);
  first.kill('SIGKILL');
  await new Promise((resolve) => first.once('exit', resolve));
  const sentBeforeKill = acceptedOf(ids).length;
  expect(sentBeforeKill).toBeLessThan(MESSAGES);

  startWorker();
  await queueDrained(h.app.store, h.account._id, 120_000);
  await h.settle();

  const accepted = acceptedOf(ids);
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

import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { configEnv } from '../../lib/config';
import {
  acceptedPerPhone,
  campaignBody,
  campaignEnds,
  createCampaign,
  importContacts,
} from '../support/campaigns';
import { createMessagingHarness, type MessagingHarness } from '../support/messaging';
import { waitUntil } from '../support/send-queue';

/**
 * The worker process (the campaign's workflow and activities, and the dispatcher) killed with
 * SIGKILL mid-campaign, then another started: every recipient gets the campaign exactly once.
 */
jest.setTimeout(240_000);

const WORKER_ENTRY = join(__dirname, '..', '..', 'dist', 'worker', 'main.js');
const RECIPIENTS = 600;
let h: MessagingHarness;
const children: ChildProcess[] = [];

beforeAll(async () => {
  h = await createMessagingHarness({
    env: { SEND_CLAIM_LEASE_SECONDS: '2', SEND_LANE_LEASE_SECONDS: '1', SEND_POLL_MS: '100' },
  });
  await h.worker.stop();
  await h.app.store.accounts.update(h.account.org_id, h.account._id, { throughput: 100 });
  // Answers 300 ms after accepting: the kill leaves some accepted but never recorded.
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
    env: { ...configEnv(h.config), LOG_LEVEL: 'silent', TEMPORAL_SCHEDULES: 'false' },
    stdio: 'ignore',
  });
  children.push(child);
  return child;
}

it('sends to every recipient exactly once across a kill -9 of the worker', async () => {
  const first = startWorker();
  const sync = await h.call({ method: 'POST', url: '/api/templates/sync', payload: {} });
  expect(sync.statusCode).toBe(200);
  const phones = await importContacts(h, RECIPIENTS, 'crash', '400');
  const campaign = await createCampaign(h, campaignBody('crash'));
  await waitUntil('the campaign is sending', async () => acceptedPerPhone(h, phones).size >= 150);
  first.kill('SIGKILL');
  await new Promise((resolve) => first.once('exit', resolve));
  expect(acceptedPerPhone(h, phones).size).toBeLessThan(RECIPIENTS);

  startWorker();
  await campaignEnds(h, campaign.id, 'completed', 180_000);
  const accepted = acceptedPerPhone(h, phones);
  expect([...accepted].filter(([, n]) => n > 1)).toEqual([]);
  expect(accepted.size).toBe(RECIPIENTS);
});

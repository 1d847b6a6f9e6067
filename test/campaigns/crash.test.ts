import {
  acceptedPerPhone,
  campaignBody,
  campaignEnds,
  createCampaign,
  importContacts,
} from '../support/campaigns';
import { waitUntil } from '../support/send-queue';
import { createKillableStack } from '../support/worker-process';

/**
 * The worker process (the campaign's workflow and activities, and the dispatcher) killed with
 * SIGKILL mid-campaign, then another started: every recipient gets the campaign exactly once.
 */
jest.setTimeout(240_000);

const RECIPIENTS = 600;
let stack: Awaited<ReturnType<typeof createKillableStack>>;

beforeAll(async () => {
  stack = await createKillableStack(100);
});

afterAll(() => stack?.close());

it('sends to every recipient exactly once across a kill -9 of the worker', async () => {
  const { h } = stack;
  const first = stack.startWorker();
  // The template sync runs on the worker.
  const sync = await h.call({ method: 'POST', url: '/api/templates/sync', payload: {} });
  expect(sync.statusCode).toBe(200);
  const phones = await importContacts(h, RECIPIENTS, 'crash', '400');
  const campaign = await createCampaign(h, campaignBody('crash'));
  await waitUntil('the campaign is sending', async () => acceptedPerPhone(h, phones).size >= 150);
  await stack.kill(first);
  expect(acceptedPerPhone(h, phones).size).toBeLessThan(RECIPIENTS);

  stack.startWorker();
  await campaignEnds(h, campaign.id, 'completed', 180_000);
  const accepted = acceptedPerPhone(h, phones);
  expect([...accepted].filter(([, n]) => n > 1)).toEqual([]);
  expect(accepted.size).toBe(RECIPIENTS);
});

import { randomUUID } from 'node:crypto';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import type { CampaignActivities } from '../../activities/campaigns';
import type { CampaignPauseReason, CampaignStatus } from '../../store/documents';
import {
  campaignProgressQuery,
  cancelCampaignUpdate,
  MANUAL_PAUSE,
  pauseCampaignUpdate,
  resumeCampaignUpdate,
} from '../../workflows/contracts/campaign';
import type { campaignWorkflow } from '../../workflows/campaign';
import { useTimeSkippingWorker } from '../support/time-skipping';
import { testWorkflowBundle } from '../support/workflow-bundle';

/**
 * The campaign workflow's own logic on the time-skipping server: when it starts, what pause,
 * resume and cancel do, and that a long campaign continues as new without losing its place.
 * Its activities here are a recipient list in memory; the real ones run in test/campaigns.
 */
const taskQueue = 'campaign-workflow';
const HOUR = 3_600_000;

/** The campaign the activities see: its recipients, and each call made. */
const world = {
  scheduledAt: null as number | null,
  recipients: 0,
  perTick: 10,
  queued: [] as number[],
  calls: [] as string[],
  status: 'scheduled' as CampaignStatus,
  pauseReason: null as CampaignPauseReason | null,
  /** Users the messaging limit lets through before holding the rest until `limitFreesAt`. */
  limitRoom: Infinity,
  limitFreesAt: 0,
};

const activities: Partial<CampaignActivities> = {
  async campaignSchedule() {
    world.calls.push('schedule');
    return world.scheduledAt;
  },
  async startCampaign() {
    world.calls.push('start');
    world.status = 'running';
    return world.recipients;
  },
  async topUpCampaign(_id, cursor) {
    world.calls.push('topUp');
    if (world.limitRoom !== Infinity && Date.now() >= world.limitFreesAt)
      world.limitRoom = Infinity;
    const want = Math.max(0, Math.min(world.perTick, world.recipients - cursor));
    const take = Math.min(want, world.limitRoom);
    const next = Array.from({ length: take }, (_, i) => cursor + i + 1);
    world.queued.push(...next);
    if (take < want) {
      world.limitRoom = 0;
      return {
        cursor: next.at(-1) ?? cursor,
        queued: take,
        skipped: 0,
        exhausted: false,
        limitedUntil: world.limitFreesAt,
      };
    }
    world.limitRoom -= take;
    return {
      cursor: next.at(-1) ?? cursor,
      queued: next.length,
      skipped: 0,
      exhausted: next.length < world.perTick,
    };
  },
  async campaignBacklog() {
    return 0;
  },
  async setCampaignStatus(_id, status, pauseReason) {
    // The window frees room once the workflow resumes from a limit pause.
    if (status === 'running' && world.pauseReason?.code === 'messaging_limit') {
      world.limitRoom = Infinity;
    }
    world.status = status;
    world.pauseReason = pauseReason ?? null;
  },
  async cancelCampaign() {
    world.calls.push('cancel');
    world.status = 'cancelled';
  },
  async failCampaign() {
    world.status = 'failed';
  },
  async completeCampaign() {
    world.calls.push('complete');
    world.status = 'completed';
  },
};

const temporal = useTimeSkippingWorker({
  taskQueue,
  workflowBundle: testWorkflowBundle(),
  activities,
});

beforeEach(() => {
  Object.assign(world, {
    scheduledAt: null,
    recipients: 0,
    perTick: 10,
    queued: [],
    calls: [],
    status: 'scheduled',
    limitRoom: Infinity,
    limitFreesAt: 0,
  });
});

async function start() {
  return temporal.env.client.workflow.start<typeof campaignWorkflow>('campaignWorkflow', {
    taskQueue,
    workflowId: `campaign:${randomUUID()}`,
    args: [{ campaignId: randomUUID(), orgId: 'org-1' }],
  });
}

/** Until the workflow has a timer running: nothing but the test moves its clock then. */
async function untilTimer(handle: Awaited<ReturnType<typeof start>>, timers = 1) {
  for (;;) {
    const { events } = await handle.fetchHistory();
    if ((events ?? []).filter((e) => e.timerStartedEventAttributes).length >= timers) return;
    await new Promise((r) => setTimeout(r, 50));
  }
}

it('starts at its scheduled time, not before', async () => {
  world.scheduledAt = (await temporal.env.currentTimeMs()) + 24 * HOUR;
  world.recipients = 25;
  const handle = await start();
  await untilTimer(handle);
  await temporal.env.sleep('23 hours');
  expect(await handle.query(campaignProgressQuery)).toMatchObject({ status: 'scheduled' });
  expect(world.calls).toEqual(['schedule']);

  expect(await handle.result()).toBe('completed');
  expect(world.calls.filter((c) => c === 'start')).toHaveLength(1);
  expect(world.queued).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
});

it('is cancelled before its start without starting', async () => {
  world.scheduledAt = (await temporal.env.currentTimeMs()) + 24 * HOUR;
  const handle = await start();
  await untilTimer(handle);
  expect(await handle.executeUpdate(cancelCampaignUpdate)).toBe('cancelled');
  expect(await handle.result()).toBe('cancelled');
  expect(world.calls).not.toContain('start');
  expect(world.status).toBe('cancelled');
});

it('stops topping up while paused and goes on where it was after resume', async () => {
  world.recipients = 45;
  const handle = await start();
  await untilTimer(handle);
  const why: CampaignPauseReason = { code: 'template', message: 'Template promo is PAUSED' };
  expect(await handle.executeUpdate(pauseCampaignUpdate, { args: [why] })).toBe('paused');
  expect(world.pauseReason).toEqual(why);
  const topUps = world.calls.filter((c) => c === 'topUp').length;
  await temporal.env.sleep('1 hour');
  expect(world.calls.filter((c) => c === 'topUp')).toHaveLength(topUps);
  expect(world.status).toBe('paused');
  await expect(
    handle.executeUpdate(pauseCampaignUpdate, { args: [MANUAL_PAUSE] }),
  ).rejects.toBeInstanceOf(WorkflowUpdateFailedError);

  expect(await handle.executeUpdate(resumeCampaignUpdate)).toBe('running');
  expect(world.pauseReason).toBeNull();
  expect(await handle.result()).toBe('completed');
  expect(world.queued).toEqual(Array.from({ length: 45 }, (_, i) => i + 1));
  await expect(handle.executeUpdate(resumeCampaignUpdate)).rejects.toThrow();
});

it('cancels a running campaign: nothing more is queued', async () => {
  world.recipients = 1_000;
  const handle = await start();
  await untilTimer(handle, 2);
  expect(await handle.executeUpdate(cancelCampaignUpdate)).toBe('cancelled');
  const queued = world.queued.length;
  expect(await handle.result()).toBe('cancelled');
  expect(world.queued).toHaveLength(queued);
  expect(queued).toBeLessThan(1_000);
  expect(world.calls).toContain('cancel');
  expect(world.calls).not.toContain('complete');
});

it('continues as new on a long campaign, each recipient queued once, its history bounded', async () => {
  world.recipients = 6_500;
  const handle = await start();
  expect(await handle.result()).toBe('completed');
  expect(world.queued).toEqual(Array.from({ length: 6_500 }, (_, i) => i + 1));
  const { events } = await handle.fetchHistory();
  // 650 top-ups: the last run holds only what came after the second continue-as-new.
  expect(events!.length).toBeLessThan(3_500);
  expect((await handle.describe()).runId).not.toBe(handle.firstExecutionRunId);
});

it('pauses at its messaging limit with the reason and resumes by itself when the window allows', async () => {
  world.recipients = 30;
  world.perTick = 20;
  world.limitRoom = 15;
  world.limitFreesAt = (await temporal.env.currentTimeMs()) + 20 * HOUR;
  const handle = await start();
  for (;;) {
    if (world.status === 'paused') break;
    await new Promise((r) => setTimeout(r, 50));
  }
  expect(world.pauseReason).toMatchObject({ code: 'messaging_limit' });
  expect(world.queued).toHaveLength(15);
  expect(await handle.query(campaignProgressQuery)).toMatchObject({ status: 'paused', queued: 15 });

  // The durable timer runs to the window's end; the time-skipping server skips to it.
  expect(await handle.result()).toBe('completed');
  expect(world.queued).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
  expect((await temporal.env.currentTimeMs()) >= world.limitFreesAt).toBe(true);
  expect(world.pauseReason).toBeNull();
});

it('stays paused after a pause by hand during a limit pause, until resumed by hand', async () => {
  world.recipients = 30;
  world.perTick = 20;
  world.limitRoom = 10;
  world.limitFreesAt = (await temporal.env.currentTimeMs()) + 2 * HOUR;
  const handle = await start();
  for (;;) {
    if (world.pauseReason?.code === 'messaging_limit') break;
    await new Promise((r) => setTimeout(r, 50));
  }
  expect(await handle.executeUpdate(pauseCampaignUpdate, { args: [MANUAL_PAUSE] })).toBe('paused');
  expect(world.pauseReason).toEqual(MANUAL_PAUSE);
  await temporal.env.sleep('5 hours');
  expect(world.status).toBe('paused');
  expect(world.queued).toHaveLength(10);

  expect(await handle.executeUpdate(resumeCampaignUpdate)).toBe('running');
  expect(await handle.result()).toBe('completed');
  expect(world.queued).toHaveLength(30);
});

import { randomUUID } from 'node:crypto';
import type { MessageActivities } from '../../activities/messages';
import {
  MESSAGE_RETRY_WORKFLOW,
  type MessageRetryInput,
  type MessageRetryWorkflow,
  type SendReport,
  sendReportSignal,
} from '../../workflows/contracts/message-retry';
import { useTimeSkippingWorker } from '../support/time-skipping';
import { testWorkflowBundle } from '../support/workflow-bundle';

const taskQueue = 'message-retry';
const calls: { name: string; at: number }[] = [];
const record = async (name: string) => {
  calls.push({ name, at: await temporal.env.currentTimeMs() });
};

const activities: MessageActivities = {
  async releaseQueuedMessage() {
    await record('release');
  },
  async queuedMessageState() {
    return 'queued';
  },
  async failQueuedMessage() {
    await record('fail');
  },
};

const temporal = useTimeSkippingWorker({
  taskQueue,
  workflowBundle: testWorkflowBundle(),
  activities,
});

const retry: SendReport = { kind: 'retry', reason: { code: 2, message: 'Try later' } };

/** Starts a retry run with the first report as the dispatcher does, then reports the others. */
async function run(
  input: Omit<MessageRetryInput, 'orgId'>,
  [first, ...reports]: [SendReport, ...SendReport[]],
) {
  const handle = await temporal.env.client.workflow.signalWithStart<
    MessageRetryWorkflow,
    [SendReport]
  >(MESSAGE_RETRY_WORKFLOW, {
    taskQueue,
    workflowId: `message:${input.messageId}`,
    args: [{ ...input, orgId: 'org' }],
    signal: sendReportSignal,
    signalArgs: [first],
  });
  for (const report of reports) await handle.signal(sendReportSignal, report);
  return handle;
}

// Time is the server's and global to it: these run one at a time, as jest runs a file's tests.
describe('the message retry workflow', () => {
  beforeEach(() => {
    calls.length = 0;
  });

  it('waits as the configured schedule says and fails the message after its last wait', async () => {
    const start = await temporal.env.currentTimeMs();
    const handle = await run({ messageId: randomUUID(), delaysMs: [3_000, 7_000] }, [
      retry,
      retry,
      retry,
    ]);

    expect(await handle.result()).toBe('failed');
    expect(calls.map((c) => c.name)).toEqual(['release', 'release', 'fail']);
    expect(calls[0]!.at - start).toBeGreaterThanOrEqual(3_000);
    expect(calls[1]!.at - calls[0]!.at).toBeGreaterThanOrEqual(7_000);
  });

  it('keeps the old schedule for runs started without one', async () => {
    const handle = await run({ messageId: randomUUID() }, [
      retry,
      retry,
      retry,
      { kind: 'settled' },
    ]);

    expect(await handle.result()).toBe('settled');
    // 1 s, 2 s and 4 s: three waits where a configured two-wait schedule would have failed.
    expect(calls.map((c) => c.name)).toEqual(['release', 'release', 'release']);
    expect(calls[2]!.at - calls[1]!.at).toBeGreaterThanOrEqual(4_000);
  });

  it("defers a 131049 a day on a durable timer, again on each later one, and fails it after the cap's days", async () => {
    const day = 86_400_000;
    const deferred: SendReport = {
      kind: 'deferred',
      reason: { code: 131049, message: 'Message not sent: Meta chose not to deliver it' },
      retryMs: day,
      maxMs: 3 * day,
    };
    const start = await temporal.env.currentTimeMs();
    // The normal schedule would fail it after one wait: a deferral does not spend it.
    const handle = await run({ messageId: randomUUID(), delaysMs: [1_000] }, [
      deferred,
      deferred,
      deferred,
      deferred,
    ]);

    expect(await handle.result()).toBe('failed');
    // Sent again after 1, 2 and 3 days; the 131049 that followed would wait past the third.
    expect(calls.map((c) => c.name)).toEqual(['release', 'release', 'release', 'fail']);
    expect(calls[0]!.at - start).toBeGreaterThanOrEqual(day);
    expect(calls[1]!.at - calls[0]!.at).toBeGreaterThanOrEqual(day);
    expect(calls[2]!.at - start).toBeLessThan(3 * day + 60_000);
    expect(calls[3]!.at - start).toBeLessThan(4 * day);
  });

  it("takes a failed status's 131049 once however often it comes, counting the message's earlier deferrals", async () => {
    const day = 86_400_000;
    const byStatus = (wamid: string, nth: number): SendReport => ({
      kind: 'deferred',
      reason: { code: 131049, message: 'Marketing message limit' },
      retryMs: day,
      maxMs: 3 * day,
      wamid,
      nth,
    });
    const handle = await run({ messageId: randomUUID(), delaysMs: [1_000] }, [
      // Its second deferral: the first was taken by an earlier run, after a send that went out.
      byStatus('wamid.A', 2),
      // A copy of the same webhook is no deferral; the next send's 131049 is the third, still
      // within the cap's three days (a fourth would fail it).
      byStatus('wamid.A', 2),
      byStatus('wamid.B', 3),
      { kind: 'settled' },
    ]);
    expect(await handle.result()).toBe('settled');
    expect(calls.map((c) => c.name)).toEqual(['release', 'release']);
  });

  it('sends a deferred message again once and is done when it goes out', async () => {
    const deferred: SendReport = {
      kind: 'deferred',
      reason: { code: 131049, message: 'Message not sent' },
      retryMs: 86_400_000,
      maxMs: 3 * 86_400_000,
    };
    const handle = await run({ messageId: randomUUID(), delaysMs: [1_000] }, [
      deferred,
      { kind: 'settled' },
    ]);
    expect(await handle.result()).toBe('settled');
    expect(calls.map((c) => c.name)).toEqual(['release']);
  });
});

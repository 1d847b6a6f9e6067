import {
  continueAsNew,
  proxyActivities,
  proxyLocalActivities,
  sleep,
  workflowInfo,
} from '@temporalio/workflow';
import type { WebhookActivities } from '../activities/webhooks';
import type { WebhookCircuitInput, WebhookCircuitOutcome } from './contracts/webhook-circuit';

// Retried however long the worker or the store fails: the circuit is what eventually settles
// the backlog.
const retry = { initialInterval: '1 second', maximumInterval: '1 minute' };

// A look, a probe (one POST, 5 s at most), a status change: short, so local activities, which
// cost the server nothing beyond the workflow task they run in.
const { lookAtWebhookCircuit, probeWebhookEndpoint, closeWebhookCircuit, disableWebhookEndpoint } =
  proxyLocalActivities<WebhookActivities>({ startToCloseTimeout: '1 minute', retry });

// Releasing or ending a backlog goes on for up to a minute a call.
const { releaseWebhookBacklog, endWebhookBacklog } = proxyActivities<WebhookActivities>({
  startToCloseTimeout: '5 minutes',
  retry,
});

/** Rounds (look, wait, probe) per run; continue-as-new keeps the history small. */
const ROUNDS_PER_RUN = 100;

async function endBacklog(input: WebhookCircuitInput, outcome: 'failed' | 'skipped') {
  while ((await endWebhookBacklog(input, outcome)).more);
}

/**
 * The circuit of one failing endpoint, `webhook-circuit:<endpointId>`: while it is open, the
 * endpoint's deliveries wait in its backlog instead of being retried one by one. It probes the
 * endpoint with the longest-waiting delivery after probeFirstMs, doubling the wait after each
 * failure up to probeMaxMs. Once a probe succeeds it releases the backlog oldest event first,
 * one delivery at a time, then marks the endpoint active; a failure on the way goes back to
 * probing. After disableAfterMs of failure (counted from the endpoint's failing_since) the
 * endpoint is disabled and its backlog fails; deleted or disabled by hand, it is skipped.
 */
export async function webhookCircuitWorkflow(
  input: WebhookCircuitInput,
): Promise<WebhookCircuitOutcome> {
  let waitMs = input.waitMs ?? input.probeFirstMs;
  let deadline = input.deadline ?? null;
  let settled = false;
  /**
   * Processes that have not seen the endpoint change yet (their endpoint cache) may park a few
   * more deliveries: they are ended too, a moment later.
   */
  async function settle(outcome: 'disabled' | 'skipped'): Promise<WebhookCircuitOutcome> {
    await sleep(input.settleMs);
    await endBacklog(input, 'skipped');
    return outcome;
  }
  for (let round = 0; ; round++) {
    if (round >= ROUNDS_PER_RUN || workflowInfo().continueAsNewSuggested) {
      return continueAsNew<typeof webhookCircuitWorkflow>({ ...input, waitMs, deadline });
    }
    const look = await lookAtWebhookCircuit(input, Date.now(), waitMs, deadline);
    deadline = look.deadline;
    if (look.status === 'deleted' || look.status === 'disabled') {
      await endBacklog(input, 'skipped');
      return await settle('skipped');
    }
    if (!look.parked) return look.status === 'active' ? 'closed' : 'idle';

    if (look.deadline && look.sleepMs !== null) {
      if (look.sleepMs === 0) {
        const disabled = await disableWebhookEndpoint(input, look.deadline.failingSince);
        if (disabled === 'disabled') {
          await endBacklog(input, 'failed');
          return await settle('disabled');
        }
        // It answered, or was changed, meanwhile: a later look decides.
        await sleep(input.probeFirstMs);
        continue;
      }
      await sleep(look.sleepMs);
      if (Date.now() >= look.deadline.at) continue;
      const nextWaitMs = Math.min(waitMs * 2, input.probeMaxMs);
      const probe = await probeWebhookEndpoint(input, Date.now() + nextWaitMs);
      if (probe === 'down') {
        waitMs = nextWaitMs;
        continue;
      }
      if (probe !== 'up') continue;
    }

    // The endpoint answers (a probe, or another process's delivery closed the circuit).
    let released: Awaited<ReturnType<typeof releaseWebhookBacklog>>;
    do released = await releaseWebhookBacklog(input, Date.now() + input.probeFirstMs);
    while (released.state === 'more');
    if (released.state === 'down') {
      waitMs = input.probeFirstMs;
      continue;
    }
    if (released.state !== 'empty') continue;
    await closeWebhookCircuit(input);
    if (!settled) {
      // As in settle(): stragglers are released in the next round.
      settled = true;
      await sleep(input.settleMs);
    }
  }
}

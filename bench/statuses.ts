import { setTimeout as sleep } from 'node:timers/promises';
import type { WebhookStats } from '../sim/meta/types';
import type { SimControl } from './sim-control';

/**
 * Until the simulator has posted every status and the API has processed what it stored for a
 * retry (`pending` counts those not yet processed); false after `drainMs`.
 */
export async function statusesDrained(
  sim: SimControl,
  pending: () => Promise<number>,
  drainMs: number,
): Promise<boolean> {
  const deadline = Date.now() + drainMs;
  const idle = await sim.idle(drainMs).then(
    () => true,
    () => false,
  );
  if (!idle) return false;
  for (;;) {
    if ((await pending()) === 0) return true;
    if (Date.now() > deadline) return false;
    await sleep(250);
  }
}

export interface WebhookFigures {
  postedPerSecond: number;
  acknowledgedPerSecond: number;
  /** Since `before`. */
  acknowledged: number;
  /** The end of the last second in which one was acknowledged, epoch ms. */
  lastAcknowledgedAt: number;
}

/** Per second over the window's whole seconds. */
function perSecond(counts: Record<string, number>, window: { from: number; to: number }) {
  const from = Math.ceil(window.from / 1000);
  const to = Math.floor(window.to / 1000);
  let n = 0;
  for (let second = from; second < to; second++) n += counts[second] ?? 0;
  return to > from ? n / (to - from) : NaN;
}

/**
 * The API answers a status webhook once it has processed it (or stored it for a retry), so the
 * simulator's webhooks answered 2xx count what was processed, and when.
 */
export async function webhookFigures(
  sim: SimControl,
  before: WebhookStats,
  window: { from: number; to: number },
): Promise<WebhookFigures> {
  const stats = await sim.webhookStats();
  const seconds = Object.keys(stats.delivered_per_second).map(Number);
  return {
    postedPerSecond: perSecond(stats.posted_per_second, window),
    acknowledgedPerSecond: perSecond(stats.delivered_per_second, window),
    acknowledged: stats.delivered - before.delivered,
    lastAcknowledgedAt: seconds.length ? (Math.max(...seconds) + 1) * 1000 : NaN,
  };
}

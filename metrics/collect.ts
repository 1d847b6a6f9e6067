import type { Store } from '../store/contract';
import type { SendClass } from '../store/contract/send-queue';
import { HELP, METRICS } from './names';
import type { MetricFamily } from './prometheus';
import { sendRatesByAccount } from './send-rate';

const CLASSES: SendClass[] = ['transactional', 'bulk'];

/** The stored counters, one family per name. */
async function counterFamilies(store: Store): Promise<MetricFamily[]> {
  const byName = new Map<string, MetricFamily>();
  for (const sample of await store.counters.list()) {
    let family = byName.get(sample.name);
    if (!family) {
      family = { name: sample.name, help: HELP.get(sample.name), type: 'counter', samples: [] };
      byName.set(sample.name, family);
    }
    family.samples.push({ labels: sample.labels, value: sample.value });
  }
  return [...byName.values()].sort((a, b) => a.name.localeCompare(b.name));
}

/** Every metric /metrics shows: the stored counters and the gauges, read now. */
export async function collectMetrics(store: Store, now = Date.now()): Promise<MetricFamily[]> {
  const [counters, depths, lanes, inbound, dead, unmatched] = await Promise.all([
    counterFamilies(store),
    store.sendQueue.depths(),
    store.sendLanes.list(),
    store.inboundWebhooks.pendingStats(),
    store.inboundWebhooks.countDead(),
    store.metaEvents.countUnmatched(),
  ]);
  const gauge = (m: { name: string; help: string }, samples: MetricFamily['samples']) => ({
    name: m.name,
    help: m.help,
    type: 'gauge' as const,
    samples,
  });
  const oldest = inbound.oldestReceivedAt;
  return [
    ...counters,
    gauge(
      METRICS.sendQueueDepth,
      [...depths].flatMap(([accountId, counts]) =>
        CLASSES.map((cls) => ({
          labels: { account_id: accountId, class: cls },
          value: counts[cls] ?? 0,
        })),
      ),
    ),
    gauge(
      METRICS.sendRate,
      [...sendRatesByAccount(lanes, now)].map(([accountId, rate]) => ({
        labels: { account_id: accountId },
        value: rate,
      })),
    ),
    gauge(METRICS.inboundWebhookLag, [
      { labels: {}, value: oldest ? Math.max(0, (now - oldest.getTime()) / 1000) : 0 },
    ]),
    gauge(METRICS.inboundWebhooksPending, [{ labels: {}, value: inbound.count }]),
    gauge(METRICS.inboundWebhooksDead, [{ labels: {}, value: dead }]),
    gauge(METRICS.metaEventsUnmatched, [{ labels: {}, value: unmatched }]),
  ];
}

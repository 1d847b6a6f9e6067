import type { RuntimeOptions, RuntimeOptionsPatch } from './types';

export const DEFAULT_OPTIONS: RuntimeOptions = {
  webhookUrl: null,
  throughputPerSecond: 80,
  throughputPerNumber: {},
  messagingLimitPerWaba: {},
  businessOfWaba: {},
  pairRate: { intervalMs: 6_000, burst: 45 },
  latencyMs: 0,
  answerLatencyMs: 0,
  failureRate: 0,
  statusWebhooks: {
    enabled: true,
    delayMs: 20,
    deliveredRate: 1,
    readRate: 0.5,
    duplicateRate: 0,
    reorderRate: 0,
  },
  webhookRetry: { attempts: 4, backoffMs: 200, timeoutMs: 5_000 },
  today: null,
};

/** A copy of `base` with the patch applied; nested groups are merged, not replaced. */
export function mergeOptions(base: RuntimeOptions, patch: RuntimeOptionsPatch): RuntimeOptions {
  const defined = <T extends object>(o: T | undefined): Partial<T> =>
    Object.fromEntries(Object.entries(o ?? {}).filter(([, v]) => v !== undefined)) as Partial<T>;
  const {
    throughputPerNumber,
    messagingLimitPerWaba,
    businessOfWaba,
    pairRate,
    statusWebhooks,
    webhookRetry,
    ...flat
  } = patch;
  return {
    ...base,
    ...defined(flat),
    throughputPerNumber: withOverrides(base.throughputPerNumber, throughputPerNumber),
    messagingLimitPerWaba: withOverrides(base.messagingLimitPerWaba, messagingLimitPerWaba),
    businessOfWaba: withOverrides(base.businessOfWaba, businessOfWaba),
    pairRate: { ...base.pairRate, ...defined(pairRate) },
    statusWebhooks: { ...base.statusWebhooks, ...defined(statusWebhooks) },
    webhookRetry: { ...base.webhookRetry, ...defined(webhookRetry) },
  };
}

function withOverrides<T>(
  base: Record<string, T>,
  patch: Record<string, T | null> | undefined,
): Record<string, T> {
  const merged = { ...base };
  for (const [id, limit] of Object.entries(patch ?? {})) {
    if (limit === null) delete merged[id];
    else merged[id] = limit;
  }
  return merged;
}

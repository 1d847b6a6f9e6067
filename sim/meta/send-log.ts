import { SlidingWindow } from './sliding-window';
import type { SendLogEntry, SendSummary } from './types';

/** The raw list keeps the newest sends only; the counters cover every send. */
const ENTRY_LIMIT = 100_000;

interface NumberCounters {
  total: number;
  maxPerSecond: number;
  lastSecond: SlidingWindow;
}

/**
 * Every accepted send, with counters kept as sends come so the summary stays cheap at
 * hundreds of thousands of sends.
 */
export class SendLog {
  private entries: SendLogEntry[] = [];
  private total = 0;
  private readonly numbers = new Map<string, NumberCounters>();
  private readonly callbackData = new Map<string, number>();
  private readonly duplicated = new Set<string>();

  record(entry: SendLogEntry, now: number) {
    this.entries.push(entry);
    // Trimmed in batches, so the copy is amortized over a tenth of the limit.
    if (this.entries.length > ENTRY_LIMIT * 1.1) this.entries = this.entries.slice(-ENTRY_LIMIT);
    this.total++;

    let number = this.numbers.get(entry.phone_number_id);
    if (!number) {
      number = { total: 0, maxPerSecond: 0, lastSecond: new SlidingWindow(1_000) };
      this.numbers.set(entry.phone_number_id, number);
    }
    number.total++;
    number.lastSecond.add(now);
    number.maxPerSecond = Math.max(number.maxPerSecond, number.lastSecond.count(now));

    const data = entry.biz_opaque_callback_data;
    if (data !== null) {
      const count = (this.callbackData.get(data) ?? 0) + 1;
      this.callbackData.set(data, count);
      if (count === 2) this.duplicated.add(data);
    }
  }

  summary(full = false): SendSummary {
    const byNumber: SendSummary['by_number'] = {};
    for (const [id, n] of this.numbers) {
      byNumber[id] = { total: n.total, max_per_second: n.maxPerSecond };
    }
    return {
      total: this.total,
      by_number: byNumber,
      duplicates: [...this.duplicated].map((data) => ({
        biz_opaque_callback_data: data,
        count: this.callbackData.get(data) ?? 0,
      })),
      ...(full ? { sends: this.entries.slice(-ENTRY_LIMIT) } : {}),
    };
  }

  clear() {
    this.entries = [];
    this.total = 0;
    this.numbers.clear();
    this.callbackData.clear();
    this.duplicated.clear();
  }
}

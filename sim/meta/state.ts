import type { TemplateChangeInput } from './account-events';
import { FailureQueue } from './failure-queue';
import { sandboxDisplayNumber, sandboxWabaId } from './ids';
import { mergeOptions } from './options';
import { PairRate } from './pair-rate';
import { SendLog } from './send-log';
import { SlidingWindow } from './sliding-window';
import { DEFAULT_TEMPLATES, toTemplate } from './templates';
import type {
  InjectedFailure,
  RequestLogEntry,
  RuntimeOptions,
  RuntimeOptionsPatch,
  Template,
  TemplateInput,
  WebhookLogEntry,
} from './types';

export interface PhoneNumber {
  id: string;
  wabaId: string;
  displayPhoneNumber: string;
}

const WINDOW_MS = 24 * 60 * 60 * 1000;
/** Logs keep the newest entries only, so a long-running sandbox does not grow without bound. */
const LOG_LIMIT = 10_000;

export function appendBounded<T>(log: T[], entry: T) {
  log.push(entry);
  // Trimmed in batches: one splice per thousand entries, not one per entry.
  if (log.length > LOG_LIMIT + 1_000) log.splice(0, log.length - LOG_LIMIT);
}

/** Everything the simulator remembers; lost on restart, like a fresh sandbox. */
export class SimState {
  options: RuntimeOptions;
  readonly requestLog: RequestLogEntry[] = [];
  readonly webhookLog: WebhookLogEntry[] = [];
  readonly sendLog = new SendLog();
  private clockOffsetMs = 0;
  private readonly numbers = new Map<string, PhoneNumber>();
  /** phone_number_id -> the access token it was registered with, if any. */
  private readonly owners = new Map<string, string>();
  private readonly templates = new Map<string, Template[]>();
  /** `<phone_number_id>:<wa_id>` -> time of the user's last message. */
  private readonly lastInbound = new Map<string, number>();
  /** Accepted send times within the last second, per phone number. */
  private readonly recentSends = new Map<string, SlidingWindow>();
  private readonly pairRate = new PairRate();
  private readonly failures = new FailureQueue();

  constructor(
    options: RuntimeOptions,
    private readonly clock: () => number,
    private readonly extraTemplates: TemplateInput[],
  ) {
    this.options = options;
  }

  now(): number {
    return this.clock() + this.clockOffsetMs;
  }

  advanceClock(ms: number) {
    this.clockOffsetMs += ms;
  }

  setOptions(patch: RuntimeOptionsPatch) {
    this.options = mergeOptions(this.options, patch);
  }

  /** Any phone number id is accepted; the first use registers it. */
  number(id: string): PhoneNumber {
    let n = this.numbers.get(id);
    if (!n) {
      n = { id, wabaId: sandboxWabaId(id), displayPhoneNumber: sandboxDisplayNumber(id) };
      this.numbers.set(id, n);
    }
    return n;
  }

  /** A number the simulator has seen (used or registered), without registering it. */
  knownNumber(id: string): PhoneNumber | undefined {
    return this.numbers.get(id);
  }

  /** The token a number was registered with; absent, any accepted token may use it. */
  ownerOf(id: string): string | undefined {
    return this.owners.get(id);
  }

  /** Tokens numbers were registered with: the Graph routes accept them besides the sandbox's. */
  registeredTokens(): Iterable<string> {
    return new Set(this.owners.values());
  }

  registerNumber(n: {
    id: string;
    wabaId?: string;
    displayPhoneNumber?: string;
    accessToken?: string;
  }): PhoneNumber {
    const current = this.number(n.id);
    if (n.accessToken !== undefined) this.owners.set(n.id, n.accessToken);
    const updated = {
      id: n.id,
      wabaId: n.wabaId ?? current.wabaId,
      // Webhooks carry the display number as digits only.
      displayPhoneNumber: n.displayPhoneNumber?.replace(/\D/g, '') ?? current.displayPhoneNumber,
    };
    this.numbers.set(n.id, updated);
    return updated;
  }

  templatesOf(wabaId: string): Template[] {
    let list = this.templates.get(wabaId);
    if (!list) {
      list = [...DEFAULT_TEMPLATES, ...this.extraTemplates].map((t) => toTemplate(wabaId, t));
      this.templates.set(wabaId, list);
    }
    return list;
  }

  /** Adds a template, or replaces the one with the same name and language. */
  addTemplate(wabaId: string, input: TemplateInput): Template {
    const list = this.templatesOf(wabaId);
    const template = toTemplate(wabaId, input);
    const i = list.findIndex((t) => t.name === input.name && t.language === input.language);
    if (i >= 0) list[i] = template;
    else list.push(template);
    return template;
  }

  /** Changes a template as Meta's review would; its state before and after, or null if none. */
  changeTemplate(
    wabaId: string,
    name: string,
    language: string,
    change: TemplateChangeInput,
  ): { before: Template; after: Template } | null {
    const list = this.templatesOf(wabaId);
    const i = list.findIndex((t) => t.name === name && t.language === language);
    const before = list[i];
    if (!before) return null;
    const after: Template = {
      ...before,
      ...(change.status ? { status: change.status } : {}),
      ...(change.category ? { category: change.category } : {}),
      ...(change.quality
        ? { quality_score: { score: change.quality, date: Math.floor(this.now() / 1000) } }
        : {}),
    };
    list[i] = after;
    return { before, after };
  }

  recordInbound(phoneNumberId: string, waId: string) {
    this.lastInbound.set(`${phoneNumberId}:${waId}`, this.now());
  }

  /** True while the user's last message to this number is less than 24 h old. */
  windowOpen(phoneNumberId: string, waId: string): boolean {
    const at = this.lastInbound.get(`${phoneNumberId}:${waId}`);
    return at !== undefined && this.now() - at < WINDOW_MS;
  }

  throughputOf(phoneNumberId: string): number {
    return this.options.throughputPerNumber[phoneNumberId] ?? this.options.throughputPerSecond;
  }

  /**
   * Counts a send against its number's throughput and the (number, user) pair rate, or names
   * the limit that refuses it; a refused send is not counted against either.
   */
  admit(phoneNumberId: string, waId: string): 'throughput' | 'pair' | null {
    const now = this.now();
    let recent = this.recentSends.get(phoneNumberId);
    if (!recent) {
      recent = new SlidingWindow(1_000);
      this.recentSends.set(phoneNumberId, recent);
    }
    if (recent.count(now) >= this.throughputOf(phoneNumberId)) return 'throughput';
    const pair = `${phoneNumberId}:${waId}`;
    if (!this.pairRate.available(pair, this.options.pairRate, now)) return 'pair';
    recent.add(now);
    this.pairRate.take(pair, this.options.pairRate, now);
    return null;
  }

  failNext(count: number, failure: InjectedFailure) {
    this.failures.push(count, failure);
  }

  nextFailure(phoneNumberId: string): InjectedFailure | undefined {
    return this.failures.next(phoneNumberId);
  }

  /** Forgets the traffic (logs, sends, rate windows, queued failures), not the setup. */
  reset() {
    this.requestLog.splice(0);
    this.webhookLog.splice(0);
    this.sendLog.clear();
    this.recentSends.clear();
    this.pairRate.clear();
    this.failures.clear();
  }
}

import { tierOf } from '../../lib/messaging-tier';
import { SimMediaFiles } from './media-files';
import { normalizePhone, toWaId } from '../../lib/phone';
import type { TemplateChangeInput } from './account-events';
import { FailureQueue } from './failure-queue';
import { businessIdOf, sandboxDisplayNumber, sandboxWabaId } from './ids';
import { mergeOptions } from './options';
import { PairRate } from './pair-rate';
import { SendLog } from './send-log';
import { SlidingWindow } from './sliding-window';
import { DEFAULT_TEMPLATES, toTemplate } from './templates';
import type {
  InjectedFailure,
  RecipientFailure,
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
  /** Its business accepted the Marketing Messages API's terms: /marketing_messages serves it. */
  marketingMessages?: boolean;
  /** As Graph reports it; `GREEN` unless set. */
  qualityRating?: QualityRating;
}

export type QualityRating = 'GREEN' | 'YELLOW' | 'RED' | 'UNKNOWN';

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
  /** BSUID -> the user's wa_id, or null for a user known only by username. */
  private readonly users = new Map<string, string | null>();
  /** wa_id -> the BSUID of the user with that number. */
  private readonly userIds = new Map<string, string>();
  /** `<phone_number_id>:<wa_id>` -> time of the user's last message (by BSUID with no wa_id). */
  private readonly lastInbound = new Map<string, number>();
  /** Accepted send times within the last second, per phone number. */
  private readonly recentSends = new Map<string, SlidingWindow>();
  private readonly pairRate = new PairRate();
  /** Per business: each user's last business-initiated message, for its messaging limit. */
  private readonly reached = new Map<string, Map<string, number>>();
  private readonly failures = new FailureQueue();
  /** Media files the Graph API serves (`GET /{media-id}` and their download URLs). */
  readonly media = new SimMediaFiles(() => this.now());

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

  /** The day Graph API versions are checked against, epoch ms. */
  today(): number {
    return this.options.today === null ? this.now() : Date.parse(`${this.options.today}T12:00:00Z`);
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
    marketingMessages?: boolean;
    qualityRating?: QualityRating;
    businessId?: string;
  }): PhoneNumber {
    const current = this.number(n.id);
    if (n.accessToken !== undefined) this.owners.set(n.id, n.accessToken);
    if (n.businessId !== undefined) {
      this.setOptions({ businessOfWaba: { [n.wabaId ?? current.wabaId]: n.businessId } });
    }
    const updated = {
      id: n.id,
      wabaId: n.wabaId ?? current.wabaId,
      // Webhooks carry the display number as digits only.
      displayPhoneNumber: n.displayPhoneNumber?.replace(/\D/g, '') ?? current.displayPhoneNumber,
      marketingMessages: n.marketingMessages ?? current.marketingMessages ?? false,
      qualityRating: n.qualityRating ?? current.qualityRating,
    };
    this.numbers.set(n.id, updated);
    return updated;
  }

  /** The numbers of a WABA the simulator has seen. */
  numbersOf(wabaId: string): PhoneNumber[] {
    return [...this.numbers.values()].filter((n) => n.wabaId === wabaId);
  }

  /** A WABA exists once one of its numbers does, or its business was set. */
  knownWaba(wabaId: string): boolean {
    return wabaId in this.options.businessOfWaba || this.numbersOf(wabaId).length > 0;
  }

  /** The business portfolio owning the WABA. */
  businessOf(wabaId: string): string {
    return this.options.businessOfWaba[wabaId] ?? businessIdOf(wabaId);
  }

  /** The limit of the WABA's business: set by its id, or for any WABA of it. */
  private limitOf(wabaId: string): number | undefined {
    const business = this.businessOf(wabaId);
    for (const [key, limit] of Object.entries(this.options.messagingLimitPerWaba)) {
      if (key === business || this.businessOf(key) === business) return limit;
    }
    return undefined;
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

  /** Remembers a user's BSUID: sends may name them by it. */
  knowUser(userId: string, waId: string | null) {
    this.users.set(userId, waId);
    if (waId) this.userIds.set(waId, userId);
  }

  forgetUser(userId: string) {
    const waId = this.users.get(userId);
    if (waId && this.userIds.get(waId) === userId) this.userIds.delete(waId);
    this.users.delete(userId);
  }

  /** The BSUID of the user with this number, if the simulator knows them. */
  userIdOf(waId: string): string | undefined {
    return this.userIds.get(waId);
  }

  /** Who a BSUID names: their wa_id, null for a username-only user, undefined if unknown. */
  userOf(userId: string): string | null | undefined {
    return this.users.get(userId);
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

  /** The messaging limit of the WABA's business as Graph names it. */
  messagingLimitTier(wabaId: string): string {
    const limit = this.limitOf(wabaId);
    return limit === undefined ? 'TIER_UNLIMITED' : tierOf(limit);
  }

  /**
   * Counts a business-initiated message (a template outside the user's window) against the
   * limit of unique users in a moving 24 h of the business owning the WABA (all its WABAs
   * share it); false when a new user would exceed it. A user reached in the window does not
   * count again.
   */
  reach(wabaId: string, waId: string): boolean {
    const now = this.now();
    const business = this.businessOf(wabaId);
    let users = this.reached.get(business);
    if (!users) {
      users = new Map();
      this.reached.set(business, users);
    }
    // Oldest first (a user reached again moves to the end): expiry stops at the first kept.
    for (const [user, at] of users) {
      if (now - at < WINDOW_MS) break;
      users.delete(user);
    }
    const limit = this.limitOf(wabaId);
    if (!users.has(waId) && limit !== undefined && users.size >= limit) return false;
    users.delete(waId);
    users.set(waId, now);
    return true;
  }

  failNext(count: number | 'always', failure: InjectedFailure) {
    // A phone number is matched by its digits, as sends name it (`+44 7700...` or `447700...`).
    const phone = 'recipient' in failure && failure.recipient && normalizePhone(failure.recipient);
    this.failures.push(count, phone ? { ...failure, recipient: toWaId(phone) } : failure);
  }

  nextFailure(phoneNumberId: string): InjectedFailure | undefined {
    return this.failures.next(phoneNumberId);
  }

  /** A failure injected for this recipient (its phone or BSUID), consumed if found. */
  recipientFailure(phoneNumberId: string, recipients: string[]): RecipientFailure | undefined {
    const f = this.failures.forRecipient(phoneNumberId, recipients);
    return f && (f.kind === undefined || f.kind === 'error') ? f : undefined;
  }

  /** Forgets the traffic (logs, sends, rate windows, queued failures), not the setup. */
  reset() {
    this.requestLog.splice(0);
    this.webhookLog.splice(0);
    this.sendLog.clear();
    this.recentSends.clear();
    this.pairRate.clear();
    this.reached.clear();
    this.failures.clear();
  }
}

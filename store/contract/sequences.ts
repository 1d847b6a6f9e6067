import type { DeliverySchedule } from '../../lib/delivery-schedule';
import type { CampaignMessage } from '../documents';

/**
 * Drip sequences: their stored shapes and repositories. Kept apart from documents.ts and
 * contract.ts, which list them beside the others.
 */

export type SequenceReentry = 'never' | 'after_completion' | 'always';

/** A template message: what `anytime` steps and fallbacks send. */
export type TemplateMessage = Extract<CampaignMessage, { type: 'template' }>;

export interface SequenceStep {
  /** As written (`30m`, `2h`, `3d`). */
  delay: string;
  delay_ms: number;
  /** What the delay counts from: the previous step's send (or the subscription, for the first). */
  after: 'previous' | 'subscription';
  /**
   * `24h`: sent only while the contact's 24 h window is open, else the fallback template or
   * nothing (skipped, with the reason); `anytime`: a template, sent whenever due.
   */
  type: '24h' | 'anytime';
  message: CampaignMessage;
  fallback: TemplateMessage | null;
}

export interface SequenceExitRules {
  /** A contact given any of these tags leaves (the goal was reached). */
  tags: string[];
  /** A contact who sends any message leaves. */
  on_reply: boolean;
}

/** What a subscription runs: a sequence as it was at one version. */
export interface SequenceDefinition {
  account_id: string;
  steps: SequenceStep[];
  schedule: DeliverySchedule | null;
  reentry: SequenceReentry;
  exit: SequenceExitRules;
}

export interface SequenceDoc extends SequenceDefinition {
  _id: string;
  org_id: string;
  name: string;
  /** Inbound messages whose whole text is one of these (any case) subscribe their sender. */
  keywords: string[];
  /** 1 at creation, +1 per edit; each version's definition is kept for its subscriptions. */
  version: number;
  created_at: Date;
  updated_at: Date;
}

export interface SequenceVersionDoc {
  /** `<sequence_id>:<version>` */
  _id: string;
  org_id: string;
  sequence_id: string;
  version: number;
  definition: SequenceDefinition;
  created_at: Date;
}

/**
 * `pending` until its workflow is started, `active` while it runs, then `completed` (every
 * step done) or `exited` (with the reason).
 */
export type SubscriptionState = 'pending' | 'active' | 'completed' | 'exited';

export interface StepRecord {
  step: number;
  at: Date;
  outcome: 'queued' | 'fallback' | 'skipped';
  message_id: string | null;
  reason: string | null;
}

/** One contact in one sequence: the latest run (re-entry starts a new one in its place). */
export interface SubscriptionDoc {
  /** `<sequence_id>:<contact_id>` */
  _id: string;
  org_id: string;
  sequence_id: string;
  contact_id: string;
  phone_number: string | null;
  /** 1, then +1 per re-entry: a workflow acts only on the run it was started for. */
  run: number;
  /** The sequence version this run follows to its end. */
  version: number;
  state: SubscriptionState;
  /** The next step to send (= steps done). */
  step: number;
  next_step_at: Date | null;
  exit_reason: string | null;
  /** From the version: what ends this run early, for one query per inbound batch. */
  exit_tags: string[];
  exit_on_reply: boolean;
  /** The contact's own timezone when subscribed (custom field `timezone`), if valid. */
  timezone: string | null;
  source: 'api' | 'keyword' | 'automation';
  history: StepRecord[];
  subscribed_at: Date;
  started_at: Date | null;
  ended_at: Date | null;
  updated_at: Date;
}

export interface NewSequence extends SequenceDefinition {
  name: string;
  keywords: string[];
}

export interface SequenceRepository {
  /** Version 1, its definition kept with it. */
  create(orgId: string, input: NewSequence): Promise<SequenceDoc>;
  get(orgId: string, id: string): Promise<SequenceDoc | null>;
  /** Newest first, after a (created_at, id) cursor. */
  list(
    orgId: string,
    page: { limit: number; before?: { created_at: Date; id: string } },
  ): Promise<SequenceDoc[]>;
  /** A new version replaces the sequence's definition; the old ones stay for their runs. */
  update(orgId: string, id: string, input: NewSequence): Promise<SequenceDoc | null>;
  /** Deletes the sequence, its versions and its subscriptions' records. */
  delete(orgId: string, id: string): Promise<boolean>;
  /** Unscoped: a subscription's workflow knows its sequence and version only. */
  version(sequenceId: string, version: number): Promise<SequenceVersionDoc | null>;
  /** The organization's sequences that have keywords. */
  withKeywords(orgId: string): Promise<SequenceDoc[]>;
}

export type SubscribeOutcome =
  /** A first run, or a new run after the last ended (re-entry). */
  | 'subscribed'
  /** `always`: the running one is replaced by a new run from the first step. */
  | 'restarted'
  /** Refused by the re-entry rule: already running, or (`never`) once was. */
  | 'already_subscribed'
  | 'opted_out'
  | 'contact_not_found';

export interface SubscribeResult {
  contact_id: string;
  outcome: SubscribeOutcome;
  /** The run recorded, for the subscribed and restarted. */
  run: number | null;
}

/** What ends running subscriptions early: every condition given must hold. */
export interface ExitMatch {
  orgId: string;
  sequenceId?: string;
  contactIds?: string[];
  /** Only those whose rules end on a reply. */
  onReply?: boolean;
  /** Only those whose exit tags include one of these. */
  tags?: string[];
}

export interface RunId {
  sequence_id: string;
  contact_id: string;
  run: number;
}

export type EndedRun = RunId;

export interface SubscriptionPage {
  limit: number;
  state?: SubscriptionState;
  /** The last contact id seen. */
  after?: string;
}

export interface SubscriptionRepository {
  /**
   * Records subscriptions `pending` under the sequence's re-entry rule, a result per contact id
   * (in order; each id once). Unknown and opted-out contacts are not subscribed.
   */
  subscribe(
    seq: SequenceDoc,
    contactIds: string[],
    source: SubscriptionDoc['source'],
    at?: Date,
  ): Promise<SubscribeResult[]>;
  get(sequenceId: string, contactId: string): Promise<SubscriptionDoc | null>;
  /** By contact id. */
  list(sequenceId: string, page: SubscriptionPage): Promise<SubscriptionDoc[]>;
  counts(sequenceId: string): Promise<Record<SubscriptionState, number>>;
  /** Pending ones whose workflow is to be started, oldest first, subscribed before `before`. */
  pendingStart(limit: number, before?: Date): Promise<SubscriptionDoc[]>;
  /** Those still pending in the given run become active, with their first step's time. */
  markStarted(
    started: { sequence_id: string; contact_id: string; run: number; next_step_at: Date }[],
    at?: Date,
  ): Promise<void>;
  /**
   * Moves the run from step `from` to `to` (the same step to only wait longer), due at
   * `nextAt`, recording what the step did. Applies only to the run while it is pending or
   * active at step `from`; returns whether it did.
   */
  advance(
    id: RunId,
    move: { from: number; to: number; nextAt: Date; record: StepRecord | null },
  ): Promise<boolean>;
  /** Ends the run (pending or active) as completed or exited; returns whether it did. */
  end(
    id: RunId,
    state: 'completed' | 'exited',
    reason: string | null,
    record: StepRecord | null,
    at?: Date,
  ): Promise<boolean>;
  /** Ends every pending or active run the match finds as exited; returns those it ended. */
  exit(match: ExitMatch, reason: string, at?: Date): Promise<EndedRun[]>;
}

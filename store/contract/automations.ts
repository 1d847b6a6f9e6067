import type { DeliverySchedule } from '../../lib/delivery-schedule';
import type { TemplateMessage } from './sequences';

/**
 * Automations: what a customer's message (or another fact about a contact) sets off. Their
 * stored shapes and repositories; the rules live in automations/.
 */

/** What starts a run. One per automation. */
export type AutomationTrigger =
  /** The whole text is one of these, any case, spaces collapsed. */
  | { type: 'keyword'; keywords: string[] }
  /**
   * A regular expression run by V8's linear-time engine (no backtracking). With `ignore_case`
   * the text is lower-cased first, so the pattern is written in lower case.
   */
  | { type: 'pattern'; pattern: string; ignore_case: boolean }
  | { type: 'any_message' }
  /** A template's quick-reply button (its payload) or an interactive reply button (its id); [] is any. */
  | { type: 'button'; payloads: string[] }
  /** An interactive list's row (its id); [] is any. */
  | { type: 'list_reply'; ids: string[] }
  | { type: 'contact_created' }
  | { type: 'tag_added'; tag: string }
  /** An order of the store (any store when null) handled in one of these WooCommerce statuses. */
  | { type: 'order_status'; statuses: string[]; store_id: string | null }
  | { type: 'payment_link'; outcomes: ('paid' | 'failed' | 'expired')[] }
  /** Any message from a contact who was sent the campaign's message at most this long before. */
  | { type: 'campaign_reply'; campaign_id: string; within_hours: number };

export type TriggerType = AutomationTrigger['type'];

/** What conditions test: text tests first, then the numeric ones. */
export const CONDITION_OPS = [
  'equals',
  'not_equals',
  'contains',
  'not_contains',
  'exists',
  'not_exists',
  'matches',
  'greater_than',
  'less_than',
] as const;

export type ConditionOp = (typeof CONDITION_OPS)[number];

/**
 * One test. `field` is one of: `tags`, `stage`, `name`, `email`, `opted_in`,
 * `custom_fields.<key>` (the contact), `message.text`, `message.type`, `message.button` (the
 * message that started the run or its latest reply), `action.<key>` (a value a run_action step
 * gave). `hours` holds within (or outside) days and hours in a timezone (the contact's own,
 * custom field `timezone`, when it has one).
 */
export type Condition =
  | { field: string; op: ConditionOp; value: string | number | boolean | null }
  | { hours: DeliverySchedule; op: 'within' | 'outside' }
  | { any: Condition[] };

/** A message in the product API's send shape; strings may hold placeholders. */
export type AutomationMessage =
  | { type: 'text'; text: string }
  | TemplateMessage
  | { type: 'interactive'; interactive: Record<string, unknown> }
  | {
      type: 'image' | 'video' | 'document' | 'audio' | 'sticker';
      media: { link: string; caption?: string; filename?: string };
    }
  | {
      type: 'location';
      location: { latitude: number; longitude: number; name?: string; address?: string };
    }
  /** Contact cards in Meta's shape (`name.formatted_name` required). */
  | { type: 'contacts'; contacts: Record<string, unknown>[] };

/** How a reply is matched by a wait_for_reply branch. */
export type ReplyMatch =
  { button: string } | { keywords: string[] } | { pattern: string; ignore_case: boolean };

/** Where a run goes next: a step id, or null to end. */
export type StepTarget = string | null;

interface StepBase {
  /** Unique within the automation: what `next` and branches name, and what runs record. */
  id: string;
  /** The step after this one; the following step in the list when absent, null to end. */
  next?: StepTarget;
}

export type AutomationStep = StepBase &
  (
    | {
        type: 'send_message';
        message: AutomationMessage;
        /** Sent instead when the 24 h window is closed and `message` is not a template. */
        fallback: TemplateMessage | null;
      }
    | {
        type: 'wait_for_reply';
        /** As written (`30m`, `2h`, `3d`). */
        timeout: string;
        timeout_ms: number;
        /** The first branch whose match fits the reply is taken. */
        branches: { match: ReplyMatch; next: StepTarget }[];
        /** Any other reply; the step after this one when absent. */
        otherwise?: StepTarget;
        on_timeout: StepTarget;
        /** A custom field the reply's text is saved into (an input flow). */
        save_to: string | null;
      }
    | { type: 'delay'; duration: string; duration_ms: number }
    | { type: 'condition'; conditions: Condition[]; then: StepTarget; else: StepTarget }
    | { type: 'set_tags'; add: string[]; remove: string[] }
    /** Values may hold placeholders (`{{message.text}}`). */
    | { type: 'set_fields'; set: Record<string, string>; remove: string[] }
    /** Its result's top-level values become `{{action.<key>}}` for the steps after it. */
    | { type: 'run_action'; action_id: string; input: unknown }
    | { type: 'subscribe_sequence'; sequence_id: string }
    | { type: 'unsubscribe_sequence'; sequence_id: string }
    | {
        type: 'send_payment_link';
        amount: number;
        currency: string;
        description: string;
        gateway: 'stripe' | 'razorpay' | null;
        expires_in: string | null;
      }
    | { type: 'transfer'; agent_id: string | null; team_id: string | null; notes: string | null }
    /** An outbound webhook event `automation.event`, with `name` and `data` (placeholders filled). */
    | { type: 'emit_event'; name: string; data: Record<string, unknown> }
    /**
     * Meta's read receipt for the run's latest customer message (its trigger or latest reply),
     * with the typing indicator when asked.
     */
    | { type: 'mark_read'; typing_indicator: boolean }
    | { type: 'end' }
  );

export type StepType = AutomationStep['type'];

/** What a run follows: an automation as it was at one version. */
export interface AutomationDefinition {
  account_id: string;
  trigger: AutomationTrigger;
  /** Every one must hold for a run to start. */
  conditions: Condition[];
  /** Run from the first. */
  steps: AutomationStep[];
  /** When several automations match, the highest starts (ties: the oldest). */
  priority: number;
}

export interface AutomationDoc extends AutomationDefinition {
  _id: string;
  org_id: string;
  name: string;
  /** A disabled automation starts no runs; running ones finish. */
  enabled: boolean;
  /** 1 at creation, +1 per edit; each version's definition is kept for its runs. */
  version: number;
  created_at: Date;
  updated_at: Date;
}

export interface AutomationVersionDoc {
  /** `<automation_id>:<version>` */
  _id: string;
  org_id: string;
  automation_id: string;
  version: number;
  definition: AutomationDefinition;
  created_at: Date;
}

export interface NewAutomation extends AutomationDefinition {
  name: string;
  enabled: boolean;
}

/** A customer message as runs see it (the trigger, or a reply). */
export interface InboundFacts {
  /** `in:<wamid>` */
  message_id: string;
  type: string;
  text: string | null;
  /** A quick-reply payload or an interactive button's id. */
  button: string | null;
  /** An interactive list row's id. */
  list_reply: string | null;
  at: Date;
}

/**
 * `running` while a process executes its steps, `waiting` for a reply or a delay, then
 * `completed`, `failed` (a step could not be done) or `cancelled` (by the API, an opt-out, or
 * the automation's deletion).
 */
export type RunState = 'running' | 'waiting' | 'completed' | 'failed' | 'cancelled';

export const ACTIVE_RUN_STATES: readonly RunState[] = ['running', 'waiting'];

/** One step as a run went through it. */
export interface RunStepRecord {
  step: string;
  type: StepType;
  at: Date;
  /** What happened: `sent`, `fallback`, `skipped`, `waiting`, `reply`, `timeout`, `then`... */
  outcome: string;
  detail: Record<string, unknown> | null;
}

export interface RunWait {
  kind: 'reply' | 'delay';
  step: string;
  /** +1 per wait the run enters: a timer or reply acts only on the wait it was meant for. */
  seq: number;
  since: Date;
  until: Date;
}

export interface AutomationRunDoc {
  /** Derived from the automation and the input that started it, so a retried start is one run. */
  _id: string;
  org_id: string;
  automation_id: string;
  version: number;
  contact_id: string;
  state: RunState;
  /**
   * `<automation_id>:<contact_id>` while running or waiting, unique: one active run per
   * automation and contact. The run's own id once it has ended.
   */
  active_key: string;
  trigger: { type: TriggerType; input: string; message: InboundFacts | null };
  /** The step it is at: waiting at, or to run next; null once ended. */
  step: string | null;
  wait: RunWait | null;
  /** Waits entered so far. */
  seq: number;
  /** Values run_action steps gave, and the latest customer message. */
  context: { action: Record<string, string>; message: InboundFacts | null };
  path: RunStepRecord[];
  /** The input that last moved the run (what started it, a reply, `timeout:<seq>`). */
  last_input: string;
  end_reason: string | null;
  created_at: Date;
  updated_at: Date;
  ended_at: Date | null;
}

export type EndedRunState = 'completed' | 'failed' | 'cancelled';

export interface RunPage {
  limit: number;
  state?: RunState;
  /** Newest first, after this (created_at, id). */
  before?: { created_at: Date; id: string };
}

export interface AutomationRepository {
  /** Version 1, its definition kept with it. */
  create(orgId: string, input: NewAutomation): Promise<AutomationDoc>;
  get(orgId: string, id: string): Promise<AutomationDoc | null>;
  /** Newest first, after a (created_at, id) cursor. */
  list(
    orgId: string,
    page: { limit: number; before?: { created_at: Date; id: string } },
  ): Promise<AutomationDoc[]>;
  /** A new version replaces the definition; the old ones stay for their runs. */
  update(orgId: string, id: string, input: NewAutomation): Promise<AutomationDoc | null>;
  /** Deletes the automation and its versions; its runs are kept, and ended by the caller. */
  delete(orgId: string, id: string): Promise<boolean>;
  /** Unscoped: a run knows its automation and version only. */
  version(automationId: string, version: number): Promise<AutomationVersionDoc | null>;
  /** The organization's enabled automations, highest priority first (ties: oldest first). */
  enabled(orgId: string): Promise<AutomationDoc[]>;
}

export type StartOutcome =
  | 'started'
  /** A run with this id was recorded before (a retried start): it is returned. */
  | 'exists'
  /** Another run of the automation is active for the contact: nothing recorded. */
  | 'busy';

export interface AutomationRunRepository {
  /** Records a new run (state `running`) unless one with its id exists, or another is active. */
  start(run: AutomationRunDoc): Promise<{ outcome: StartOutcome; run: AutomationRunDoc | null }>;
  get(id: string): Promise<AutomationRunDoc | null>;
  /** Scoped to the organization (the API's reads). */
  find(orgId: string, id: string): Promise<AutomationRunDoc | null>;
  /** The contacts' running and waiting runs. */
  active(orgId: string, contactIds: readonly string[]): Promise<AutomationRunDoc[]>;
  /**
   * Takes a waiting run for `input` (a reply, or `timeout:<seq>`): only while it waits at
   * `seq`, when it becomes `running` with `last_input = input` and no wait. A run that `input`
   * took before is returned as it is (a retried claim). Null otherwise.
   */
  claim(id: string, seq: number, input: string, at: Date): Promise<AutomationRunDoc | null>;
  /**
   * Writes the run's progress (state, step, wait, seq, context, path, end_reason, ended_at,
   * active_key) while it is `running` and still moved by `run.last_input`. Returns whether it
   * did: false when something else (a cancel) took the run meanwhile.
   */
  save(run: AutomationRunDoc): Promise<boolean>;
  /** Newest first. */
  list(automationId: string, page: RunPage): Promise<AutomationRunDoc[]>;
  listForContact(orgId: string, contactId: string, page: RunPage): Promise<AutomationRunDoc[]>;
  /**
   * Ends every active run the match finds as `cancelled` with the reason (each condition given
   * must hold); returns the runs as ended.
   */
  cancel(
    match: { orgId: string; contactIds?: string[]; automationId?: string; runId?: string },
    reason: string,
    at: Date,
  ): Promise<AutomationRunDoc[]>;
  /** Runs left `running` since before `before` (their process died), oldest first. */
  stalled(before: Date, limit: number): Promise<AutomationRunDoc[]>;
  /** Runs whose wait ended before `before` and are still waiting (a lost timer), oldest first. */
  overdue(before: Date, limit: number): Promise<AutomationRunDoc[]>;
  counts(automationId: string): Promise<Record<RunState, number>>;
}

/** What routing decided for one input. */
export type RouteDecision =
  /** A reply to a waiting run. */
  | { kind: 'reply'; run_id: string; seq: number }
  /** A new run of an automation. */
  | { kind: 'start'; automation_id: string; version: number; run_id: string }
  /** An opt-out: every active run of the contact was cancelled. */
  | { kind: 'stop' }
  /** Nothing to do, and why (`no automation matched`, `already running`...). */
  | { kind: 'none'; reason: string };

/**
 * One input routed: an inbound message, a contact created, a tag added, an order status or a
 * payment outcome. Recorded before its decision is carried out (`decided`), then `done`; a
 * decided one left behind is carried out again, and an input is never routed twice.
 */
export interface AutomationInputDoc {
  /** The input's key: its event id (`message.incoming:<wamid>`), or `woo:<store>:<order>:<status>`. */
  _id: string;
  org_id: string;
  contact_id: string;
  decision: RouteDecision;
  state: 'decided' | 'done';
  created_at: Date;
  done_at: Date | null;
}

export interface AutomationInputRepository {
  /**
   * Records the decisions of inputs not recorded yet; returns, in order, each input's stored
   * decision: the given one, or the one recorded earlier.
   */
  decide(inputs: AutomationInputDoc[]): Promise<AutomationInputDoc[]>;
  /** Replaces a decided input's decision (its reply found the wait over). */
  redecide(id: string, decision: RouteDecision): Promise<void>;
  done(ids: readonly string[], at: Date): Promise<void>;
  /** Which of these ids have no record. */
  unseen(ids: readonly string[]): Promise<string[]>;
  /** Inputs still `decided` since before `before`, oldest first. */
  undone(before: Date, limit: number): Promise<AutomationInputDoc[]>;
  get(id: string): Promise<AutomationInputDoc | null>;
  /** Where the sweep of recorded events stopped last (null before its first run). */
  sweptThrough(): Promise<Date | null>;
  setSweptThrough(at: Date): Promise<void>;
  /**
   * Deletes inputs recorded before `before`, decided or done (the events they came from are
   * purged at the same age); returns how many.
   */
  purgeBefore(before: Date): Promise<number>;
}

import { limiter, mapLimit } from '../lib/concurrency';
import type { Log } from '../lib/log';
import { idFrom } from '../lib/ids';
import { TtlCache } from '../lib/ttl-cache';
import type { Store } from '../store';
import type {
  AutomationDefinition,
  AutomationDoc,
  AutomationInputDoc,
  AutomationRunDoc,
  RouteDecision,
} from '../store/contract/automations';
import type { ContactDoc, EventDoc } from '../store/documents';
import { eventDoc } from '../store/events';
import { allHold } from './conditions';
import type { StepEffects } from './effects';
import { advance, EndReason, type Advanced, type Resume } from './executor';
import type { RouteInput } from './inputs';
import { triggerFits } from './match';

/** A wait's timer, as the timer workflow holds it. */
export interface RunTimer {
  automationId: string;
  contactId: string;
  runId: string;
  seq: number;
  /** Epoch ms. */
  until: number;
}

/** The durable timers of waiting runs (automations/timers.ts: a Temporal workflow each). */
export interface Timers {
  arm(timer: RunTimer): Promise<void>;
  drop(run: AutomationRunDoc): Promise<void>;
}

export interface EngineDeps {
  store: Store;
  effects: StepEffects;
  timers: Timers;
  log: Log;
  clock?: () => Date;
  /** How long an organization's enabled automations are kept (AUTOMATION_CACHE_MS). */
  cacheMs?: number;
}

/** Enabled automations are read once in this long per organization, not per input. */
const AUTOMATION_CACHE_MS = 5_000;
/** Inputs waiting to be routed in this process beyond which new ones are left to the sweep. */
export const MAX_QUEUED = 20_000;
/** Contacts of one batch routed at once; each contact's inputs in order. */
const CONTACT_CONCURRENCY = 32;
/** Inputs routed together: what arrives while a batch is routed goes in the next one. */
const MAX_BATCH = 500;
/** Signal-with-starts in flight to Temporal at once. */
const ARM_CONCURRENCY = 16;
/** Timers waiting to be armed, past which the overdue sweep times the rest out. */
const MAX_ARMING = 20_000;

/** One run per automation and input: a retried start is the same run. */
export const runIdFor = (automationId: string, inputId: string) =>
  idFrom(`automation:${automationId}:${inputId}`);

const timeoutInput = (seq: number) => `timeout:${seq}`;

/** The wait a `timeout:<seq>` input ended; null for other inputs. */
export function timeoutSeq(input: string): number | null {
  const seq = /^timeout:(\d+)$/.exec(input)?.[1];
  return seq === undefined ? null : Number(seq);
}

export function timerOf(run: AutomationRunDoc): RunTimer | null {
  if (run.state !== 'waiting' || !run.wait) return null;
  return {
    automationId: run.automation_id,
    contactId: run.contact_id,
    runId: run._id,
    seq: run.wait.seq,
    until: run.wait.until.getTime(),
  };
}

/** A new run of `automation` for the input, before its first step. */
export function newRun(automation: AutomationDoc, input: RouteInput, at: Date): AutomationRunDoc {
  const message = input.kind === 'message' ? input.message : null;
  return {
    _id: runIdFor(automation._id, input.id),
    org_id: automation.org_id,
    automation_id: automation._id,
    version: automation.version,
    contact_id: input.contactId,
    state: 'running',
    active_key: `${automation._id}:${input.contactId}`,
    trigger: { type: automation.trigger.type, input: input.id, message },
    step: automation.steps[0]?.id ?? null,
    wait: null,
    seq: 0,
    context: { action: {}, message },
    path: [],
    last_input: input.id,
    end_reason: null,
    created_at: at,
    updated_at: at,
    ended_at: null,
  };
}

function endedEvent(run: AutomationRunDoc, contact: ContactDoc): EventDoc | null {
  if (run.state !== 'completed' && run.state !== 'failed') return null;
  const type = `automation.${run.state}`;
  return eventDoc(run.org_id, {
    id: `${type}:${run._id}`,
    type,
    timestamp: run.ended_at ?? run.updated_at,
    data: {
      automation_id: run.automation_id,
      run_id: run._id,
      version: run.version,
      contact_id: run.contact_id,
      phone_number: contact.phone_number,
      user_id: contact.user_id,
      trigger: run.trigger.type,
      reason: run.state === 'failed' ? run.end_reason : null,
      steps: run.path.map((p) => ({ step: p.step, outcome: p.outcome })),
    },
  });
}

/**
 * Routes inputs to automations and carries runs forward. Per input: an opt-out ends the
 * contact's runs; a message goes to the contact's waiting run first; otherwise the
 * highest-priority enabled automation whose trigger fits and whose conditions hold starts,
 * unless it already runs for the contact. Each decision is recorded before it is carried out
 * (store.automationInputs), so an input is routed once even when routed again after a crash.
 * Runs execute here, inline; a run that waits gets a durable timer.
 */
export function automationEngine(deps: EngineDeps) {
  const { store, effects, timers, log } = deps;
  const now = deps.clock ?? (() => new Date());
  const enabled = new TtlCache<string, AutomationDoc[]>(deps.cacheMs ?? AUTOMATION_CACHE_MS);
  const versions = new TtlCache<string, AutomationDefinition | null>(60 * 60_000, 1_000);
  /** Inputs given to `route` and not routed yet, with who waits for them. */
  const waiting: { inputs: RouteInput[]; done: (err?: Error) => void }[] = [];
  let queued = 0;
  let draining: Promise<void> | null = null;
  /** Timers being armed: routing never waits for Temporal. */
  const arming = new Set<Promise<void>>();
  const armSlot = limiter(ARM_CONCURRENCY);

  const enabledOf = (orgId: string) =>
    enabled.getOrLoad(orgId, () => store.automations.enabled(orgId));

  const definition = (automationId: string, version: number) =>
    versions.getOrLoad(`${automationId}:${version}`, () =>
      store.automations.version(automationId, version).then((v) => v?.definition ?? null),
    );

  /** Saves the run as advanced, records its end's event, and arms its timer if it waits. */
  /**
   * Arms the timer beside routing, a bounded number at once. One not armed (Temporal is down or
   * far behind) is found by the overdue sweep: the run still waits in the store.
   */
  function armLater(timer: RunTimer): void {
    if (arming.size >= MAX_ARMING) {
      log.warn(
        { run: timer.runId },
        'too many automation timers being armed; the sweep times this one out',
      );
      return;
    }
    const armed = armSlot(() => timers.arm(timer))
      .catch((err: unknown) => {
        log.warn({ err, run: timer.runId }, 'automation timer not armed; the sweep times it out');
      })
      .finally(() => arming.delete(armed));
    arming.add(armed);
  }

  async function persist({ run, contact }: Advanced, arm = true): Promise<boolean> {
    if (!(await store.automationRuns.save(run))) return false;
    const ended = endedEvent(run, contact);
    if (ended) await store.events.recordMany([ended]);
    const timer = arm ? timerOf(run) : null;
    if (timer) armLater(timer);
    return true;
  }

  async function execute(
    run: AutomationRunDoc,
    contact: ContactDoc | null,
    resume: Resume,
    arm = true,
    at = now(),
  ) {
    const def = await definition(run.automation_id, run.version);
    const who = contact ?? (await store.contacts.get(run.org_id, run.contact_id));
    if (!def || !who) {
      const reason = !def ? EndReason.automationDeleted : 'contact deleted';
      await store.automationRuns.cancel({ orgId: run.org_id, runId: run._id }, reason, at);
      return null;
    }
    const advanced = await advance(effects, def, { run, contact: who }, resume, at);
    return (await persist(advanced, arm)) ? advanced : null;
  }

  /** What to do with an input, given the contact's active runs (waiting replies first). */
  async function decide(
    input: RouteInput,
    contact: ContactDoc | null,
    active: AutomationRunDoc[],
    repliesFirst = true,
  ): Promise<RouteDecision> {
    if (!contact) return { kind: 'none', reason: 'contact not found' };
    if (input.kind === 'opted_out') return { kind: 'stop' };
    if (input.kind === 'message' && repliesFirst) {
      const waiting = active
        .filter((r) => r.state === 'waiting' && r.wait?.kind === 'reply')
        .sort((a, b) => b.wait!.since.getTime() - a.wait!.since.getTime())[0];
      if (waiting) return { kind: 'reply', run_id: waiting._id, seq: waiting.wait!.seq };
    }
    const all = await enabledOf(input.orgId);
    const sentAt = (campaignId: string) =>
      store.messages.lastSentAt(input.orgId, input.contactId, 'campaign', campaignId);
    const scope = {
      contact,
      action: {},
      message: input.kind === 'message' ? input.message : null,
    };
    for (const a of all) {
      if (!(await triggerFits(a.trigger, input, sentAt))) continue;
      if (!allHold(a.conditions, scope, input.at)) continue;
      // The highest priority that fits wins, even when it cannot start: the others never do.
      if (active.some((r) => r.automation_id === a._id)) {
        return { kind: 'none', reason: `automation ${a._id} already runs for the contact` };
      }
      return {
        kind: 'start',
        automation_id: a._id,
        version: a.version,
        run_id: runIdFor(a._id, input.id),
      };
    }
    return { kind: 'none', reason: 'no automation matched' };
  }

  /** Carries out a recorded decision; the contact's active runs as they are afterwards. */
  async function carryOut(
    input: RouteInput,
    decision: RouteDecision,
    contact: ContactDoc | null,
    active: AutomationRunDoc[],
  ): Promise<AutomationRunDoc[]> {
    const at = now();
    switch (decision.kind) {
      case 'none':
        return active;
      case 'stop': {
        const ended = await store.automationRuns.cancel(
          { orgId: input.orgId, contactIds: [input.contactId] },
          EndReason.optedOut,
          at,
        );
        await Promise.all(ended.map((r) => timers.drop(r).catch(() => undefined)));
        return [];
      }
      case 'reply': {
        const message = input.kind === 'message' ? input.message : null;
        const run = message
          ? await store.automationRuns.claim(decision.run_id, decision.seq, input.id, at)
          : null;
        if (!run || !message) {
          // Its wait ended first (a timeout, a cancel): the message is an ordinary one now.
          const others = active.filter((r) => r._id !== decision.run_id);
          const again = await decide(input, contact, others, false);
          await store.automationInputs.redecide(input.id, again);
          return carryOut(input, again, contact, others);
        }
        if (run.state !== 'running' || run.last_input !== input.id) return active;
        const done = await execute(run, contact, { kind: 'reply', message });
        return replace(active, done?.run ?? null, run._id);
      }
      case 'start': {
        const automation = (await enabledOf(input.orgId)).find(
          (a) => a._id === decision.automation_id,
        );
        const def =
          automation ?? (await store.automations.get(input.orgId, decision.automation_id));
        if (!def) return active;
        const fresh = newRun({ ...def, version: decision.version }, input, at);
        const started = await store.automationRuns.start(fresh);
        if (started.outcome === 'busy') {
          await store.automationInputs.redecide(input.id, {
            kind: 'none',
            reason: `automation ${decision.automation_id} already runs for the contact`,
          });
          return active;
        }
        const run = started.run ?? fresh;
        // Recorded before: carried on only if it never got past its first steps.
        if (run.state !== 'running' || run.last_input !== input.id || run.seq > 0) return active;
        const done = await execute({ ...run, path: [] }, contact, { kind: 'start' });
        return replace(active, done?.run ?? null, run._id);
      }
    }
  }

  const replace = (runs: AutomationRunDoc[], run: AutomationRunDoc | null, id: string) => [
    ...runs.filter((r) => r._id !== id),
    ...(run && (run.state === 'running' || run.state === 'waiting') ? [run] : []),
  ];

  /** Routes one batch: contacts side by side, each contact's inputs in their order. */
  async function routeBatch(inputs: RouteInput[]): Promise<void> {
    const byContact = new Map<string, RouteInput[]>();
    for (const input of inputs) {
      const key = `${input.orgId}:${input.contactId}`;
      byContact.set(key, [...(byContact.get(key) ?? []), input]);
    }
    const orgs = new Map<string, string[]>();
    for (const input of inputs) {
      const ids = orgs.get(input.orgId) ?? [];
      if (!ids.includes(input.contactId)) ids.push(input.contactId);
      orgs.set(input.orgId, ids);
    }
    const contacts = new Map<string, ContactDoc>();
    const active = new Map<string, AutomationRunDoc[]>();
    for (const [orgId, ids] of orgs) {
      const [found, runs] = await Promise.all([
        store.contacts.getMany(orgId, ids),
        store.automationRuns.active(orgId, ids),
      ]);
      for (const c of found) contacts.set(`${orgId}:${c._id}`, c);
      for (const r of runs) {
        const key = `${orgId}:${r.contact_id}`;
        active.set(key, [...(active.get(key) ?? []), r]);
      }
    }
    const groups = [...byContact.entries()];
    const done: string[] = [];
    // Round k routes every contact's k-th input: one decision write per round, not per input.
    for (let k = 0; groups.some(([, list]) => list.length > k); k++) {
      const round = groups.filter(([, list]) => list.length > k);
      const docs: AutomationInputDoc[] = await Promise.all(
        round.map(async ([key, list]) => {
          const input = list[k]!;
          const decision = await decide(input, contacts.get(key) ?? null, active.get(key) ?? []);
          return {
            _id: input.id,
            org_id: input.orgId,
            contact_id: input.contactId,
            decision,
            state: decision.kind === 'none' ? 'done' : 'decided',
            created_at: now(),
            done_at: decision.kind === 'none' ? now() : null,
          };
        }),
      );
      const stored = await store.automationInputs.decide(docs);
      await mapLimit(round, CONTACT_CONCURRENCY, async ([key, list], i) => {
        const doc = stored[i]!;
        if (doc.state === 'done') return;
        const runs = await carryOut(
          list[k]!,
          doc.decision,
          contacts.get(key) ?? null,
          active.get(key) ?? [],
        );
        active.set(key, runs);
        done.push(doc._id);
      });
    }
    if (done.length) await store.automationInputs.done(done, now());
  }

  /**
   * Routes inputs, one batch after another in this process (a contact's inputs stay in
   * order). Resolves when this batch is routed; a failure leaves its inputs to the sweep.
   */
  function route(inputs: RouteInput[]): Promise<void> {
    if (!inputs.length) return idleRouting();
    queued += inputs.length;
    return new Promise<void>((resolve, reject) => {
      waiting.push({ inputs, done: (err) => (err ? reject(err) : resolve()) });
      draining ??= drain().finally(() => (draining = null));
    });
  }

  /** Routes everything given meanwhile together, up to MAX_BATCH inputs a time. */
  async function drain(): Promise<void> {
    while (waiting.length) {
      const batch: typeof waiting = [];
      let size = 0;
      while (waiting.length && (size === 0 || size + waiting[0]!.inputs.length <= MAX_BATCH)) {
        const next = waiting.shift()!;
        batch.push(next);
        size += next.inputs.length;
      }
      let failure: Error | undefined;
      try {
        await routeBatch(batch.flatMap((b) => b.inputs));
      } catch (err) {
        failure =
          err instanceof Error ? err : new Error('automation routing failed', { cause: err });
      }
      queued -= size;
      for (const b of batch) b.done(failure);
    }
  }

  const idleRouting = async () => {
    while (draining) await draining;
  };

  return {
    route,

    /**
     * Routes what this process just recorded, unless more than MAX_QUEUED inputs already wait
     * here: past that (a burst beyond what the machine can route) they stay unrouted in the
     * store, and the sweep routes them a minute later, so memory stays bounded. False then.
     */
    offer(inputs: RouteInput[]): boolean {
      if (queued + inputs.length > MAX_QUEUED) return false;
      route(inputs).catch((err: unknown) => {
        log.warn({ err }, 'automation routing failed; the sweep routes these inputs again');
      });
      return true;
    },

    /** Carries out again a decision left `decided` (its process died, or it failed). */
    async resume(doc: AutomationInputDoc, input: RouteInput): Promise<void> {
      const contacts = await store.contacts.getMany(doc.org_id, [doc.contact_id]);
      const active = await store.automationRuns.active(doc.org_id, [doc.contact_id]);
      await carryOut(input, doc.decision, contacts[0] ?? null, active);
      await store.automationInputs.done([doc._id], now());
    },

    /**
     * A wait's time is up: the run takes its timeout branch (or, after a delay, goes on),
     * unless a reply or a cancel took it first. Returns the timer of the wait it is in
     * afterwards, if any: the timer workflow goes on with it, so it is armed only when asked
     * (the overdue sweep, whose run has no workflow).
     */
    async timeout(
      runId: string,
      seq: number,
      opts: { arm?: boolean; at?: Date } = {},
    ): Promise<RunTimer | null> {
      const at = opts.at ?? now();
      const run = await store.automationRuns.claim(runId, seq, timeoutInput(seq), at);
      if (!run) {
        const current = await store.automationRuns.get(runId);
        return current ? timerOf(current) : null;
      }
      if (run.state !== 'running' || run.last_input !== timeoutInput(seq)) return timerOf(run);
      const done = await execute(run, null, { kind: 'timeout' }, opts.arm ?? false, at);
      return done ? timerOf(done.run) : null;
    },

    /** Cancels a run (the API): ended in the store, its timer dropped. Null when not active. */
    async cancel(orgId: string, runId: string, reason: string): Promise<AutomationRunDoc | null> {
      const [ended] = await store.automationRuns.cancel({ orgId, runId }, reason, now());
      if (ended) await timers.drop(ended).catch(() => undefined);
      return ended ?? null;
    },

    /** An organization's automations changed: the next input reads them again. */
    forget(orgId: string): void {
      enabled.delete(orgId);
    },

    /** Resolves once what was given so far is routed and its timers armed (tests, shutdown). */
    async idle(): Promise<void> {
      await idleRouting();
      while (arming.size) await Promise.all([...arming]);
    },
  };
}

export type AutomationEngine = ReturnType<typeof automationEngine>;

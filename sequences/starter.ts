import {
  WorkflowExecutionAlreadyStartedError,
  type Client,
  type WorkflowIdReusePolicy,
} from '@temporalio/client';
import { mapLimit } from '../lib/concurrency';
import { nextAllowedMoment } from '../lib/delivery-schedule';
import type { Store } from '../store';
import type {
  SequenceDefinition,
  SequenceReentry,
  SubscriptionDoc,
} from '../store/contract/sequences';
import {
  SEQUENCE_WORKFLOW,
  type SequenceWorkflow,
  sequenceWorkflowId,
} from '../workflows/contracts/sequence';

/** Re-entry rules as Temporal's workflow ID reuse policy: the store decides first, this backs it. */
export const REUSE_POLICY: Record<SequenceReentry, WorkflowIdReusePolicy> = {
  never: 'REJECT_DUPLICATE',
  after_completion: 'ALLOW_DUPLICATE',
  always: 'TERMINATE_IF_RUNNING',
};

const PAGE = 500;
/** Subscriptions pending this long were left by a process that died before starting them. */
const ABANDONED_AFTER_MS = 60_000;
/** A run whose previous one is still closing is tried again after this. */
const RETRY_MS = 1_000;

export interface StarterLog {
  warn(obj: object, msg: string): void;
}

export interface StarterDeps {
  store: Store;
  client: () => Client;
  taskQueue: string;
  /** Workflow starts in flight: each costs the Temporal server some CPU. */
  concurrency: number;
  log: StarterLog;
}

/** The first step's time for a run subscribed at `subscribed_at`. */
export function firstStepAt(sub: SubscriptionDoc, def: SequenceDefinition): number {
  const first = def.steps[0];
  return nextAllowedMoment(
    sub.subscribed_at.getTime() + (first?.delay_ms ?? 0),
    def.schedule,
    sub.timezone,
  );
}

/**
 * Starts the workflows of recorded (pending) subscriptions in the background, a bounded number
 * at a time, and marks them active page by page: a bulk subscribe answers once its rows are
 * written. A crash leaves rows pending; the worker's recovery sweep starts them.
 */
export class SubscriptionStarter {
  private draining: Promise<number> | null = null;
  private again = false;
  private timer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(private readonly deps: StarterDeps) {}

  /** Starts what is pending now (and what becomes pending while it runs). */
  kick(): void {
    if (this.closed) return;
    if (this.draining) {
      this.again = true;
      return;
    }
    this.draining = this.drain().finally(() => {
      this.draining = null;
      if (this.again) {
        this.again = false;
        this.kick();
      }
    });
  }

  /** Resolves once nothing is being started (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.draining) await this.draining;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    await this.idle();
  }

  /** Starts pending runs subscribed before `before` (all when omitted); returns how many. */
  async drain(before?: Date): Promise<number> {
    const { store } = this.deps;
    const versions = new Map<string, Promise<SequenceDefinition | null>>();
    const definition = (sub: SubscriptionDoc) => {
      const key = `${sub.sequence_id}:${sub.version}`;
      let def = versions.get(key);
      if (!def) {
        def = store.sequences
          .version(sub.sequence_id, sub.version)
          .then((v) => v?.definition ?? null);
        versions.set(key, def);
      }
      return def;
    };
    let started = 0;
    let retry = false;
    const skip = new Set<string>();
    for (;;) {
      const page = (
        await store.sequenceSubscriptions.pendingStart(PAGE + skip.size, before)
      ).filter((s) => !skip.has(`${s._id}:${s.run}`));
      if (!page.length) break;
      const done = await mapLimit(page, this.deps.concurrency, async (sub) => {
        const def = await definition(sub);
        if (!def) {
          skip.add(`${sub._id}:${sub.run}`);
          return null;
        }
        const firstAt = firstStepAt(sub, def);
        const outcome = await this.start(sub, def.reentry, firstAt);
        if (outcome !== 'started') {
          skip.add(`${sub._id}:${sub.run}`);
          if (outcome === 'later') retry = true;
          return null;
        }
        return { ...sub, next_step_at: new Date(firstAt) };
      });
      const marked = done.filter((d) => d !== null);
      await store.sequenceSubscriptions.markStarted(marked);
      started += marked.length;
    }
    if (retry && !this.closed) {
      this.timer = setTimeout(() => this.kick(), RETRY_MS);
      this.timer.unref();
    }
    return started;
  }

  private async start(
    sub: SubscriptionDoc,
    reentry: SequenceReentry,
    firstAt: number,
  ): Promise<'started' | 'later' | 'failed'> {
    const client = this.deps.client();
    const workflowId = sequenceWorkflowId(sub.sequence_id, sub.contact_id);
    try {
      await client.workflow.start<SequenceWorkflow>(SEQUENCE_WORKFLOW, {
        workflowId,
        taskQueue: this.deps.taskQueue,
        workflowIdReusePolicy: REUSE_POLICY[reentry],
        memo: { run: sub.run },
        args: [
          {
            orgId: sub.org_id,
            sequenceId: sub.sequence_id,
            contactId: sub.contact_id,
            run: sub.run,
            firstAt,
          },
        ],
      });
      return 'started';
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) {
        // This run, started before a crash; or the previous run, still closing.
        const memo = await client.workflow
          .getHandle(workflowId)
          .describe()
          .then((d) => d.memo?.run)
          .catch(() => undefined);
        return memo === sub.run ? 'started' : 'later';
      }
      this.deps.log.warn(
        { err, sequence: sub.sequence_id, contact: sub.contact_id },
        'sequence workflow not started; the recovery sweep tries again',
      );
      return 'failed';
    }
  }
}

/** Starts the workflows of subscriptions that an API process recorded but did not start. */
export function startAbandonedSubscriptions(deps: StarterDeps, now = Date.now()): Promise<number> {
  return new SubscriptionStarter(deps).drain(new Date(now - ABANDONED_AFTER_MS));
}

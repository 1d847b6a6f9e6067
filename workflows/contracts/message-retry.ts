import { defineSignal } from '@temporalio/workflow';

/** The retries of one message, `message:<messageId>`. */

export const MESSAGE_RETRY_WORKFLOW = 'messageRetryWorkflow';

export const messageRetryWorkflowId = (messageId: string) => `message:${messageId}`;

/** A message that Meta refused for now, or whose send's outcome is unknown. */
export interface MessageRetryInput {
  messageId: string;
  orgId: string;
  /**
   * Waits after the 1st, 2nd, ... failed attempt (`send.retryDelaysMs` of the configuration).
   * Absent in runs started before it was configurable.
   */
  delaysMs?: number[];
}

export type SendReport =
  /** The attempt failed and can be made again, after `delayMs` or the retry schedule's wait. */
  | { kind: 'retry'; reason: { code: number; message: string }; delayMs?: number }
  /** The message left the queue: sent, or failed for good. */
  | { kind: 'settled' }
  /**
   * Meta's per-user marketing cap (131049): send again after `retryMs`, unless that would be
   * more than `maxMs` after the first such refusal (n × retryMs for the n-th); then the message
   * fails with the reason.
   */
  | {
      kind: 'deferred';
      reason: { code: number; message: string };
      retryMs: number;
      maxMs: number;
      /**
       * The wamid a `failed` status deferred: a second report of it (a copy of the webhook) is
       * ignored. Absent for a refused send.
       */
      wamid?: string;
      /** The message's n-th deferral as its history counts them, across runs. */
      nth?: number;
    };

/** What the dispatcher reports to a message's retry workflow. */
export const sendReportSignal = defineSignal<[SendReport]>('sendReport');

/**
 * The schedule of runs started without `delaysMs` (before it was configurable): kept only for
 * them. New runs get theirs from the configuration (MESSAGE_RETRY_DELAYS_MS).
 */
export const DEFAULT_MESSAGE_RETRY_DELAYS_MS = [
  1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 64_000, 120_000, 120_000,
] as const;

export type MessageRetryWorkflow = (input: MessageRetryInput) => Promise<'settled' | 'failed'>;

import type { MediaDoc } from '../documents';

/** Media records (the bytes are in the media store, media/blob-store.ts). */
export interface MediaRepository {
  create(doc: MediaDoc): Promise<void>;
  /** Records those not yet recorded (by id); the ids this call recorded. */
  createMany(docs: MediaDoc[]): Promise<Set<string>>;
  get(orgId: string, id: string): Promise<MediaDoc | null>;

  /**
   * The inbound download queue, of every organization (the worker drains it). Claims up to
   * `limit` pending downloads due at `now`, oldest due first, each counting an attempt and held
   * `leaseMs`: a worker that dies leaves them due again when the hold ends.
   */
  claimDue(now: Date, limit: number, leaseMs: number): Promise<MediaDoc[]>;
  /**
   * The outcome of attempt number `attempt` (the claim's): ignored once another attempt has
   * begun, or the download has ended. Returns whether it was applied. A stored file's size and
   * sha256 also go into its message's `content.media`.
   */
  markStored(
    id: string,
    attempt: number,
    file: { size: number; sha256: string; mime_type: string },
    at: Date,
  ): Promise<boolean>;
  /** Pending again, due at `nextAttemptAt`, with the reason of the failure. */
  markRetry(id: string, attempt: number, error: string, nextAttemptAt: Date): Promise<boolean>;
  /** Given up: `failed`, with its reason. */
  markFailed(id: string, attempt: number, error: string): Promise<boolean>;
}

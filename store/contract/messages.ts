import type { MessageConversation, MessageDoc, MessagePricing, MessageStatus } from '../documents';

export type NewMessage = Omit<
  MessageDoc,
  'created_at' | 'updated_at' | 'status_history' | 'error' | 'pricing' | 'conversation'
>;

export type StatusReason = { code: number; message: string };

export interface MessageRepository {
  /** Inserts once; a second insert of the same id returns the stored message. */
  insert(message: NewMessage, at?: Date): Promise<{ doc: MessageDoc; created: boolean }>;
  get(orgId: string, id: string): Promise<MessageDoc | null>;
  lastSentAt(orgId: string, contactId: string, origin: MessageDoc['origin'], originId: string): Promise<Date | null>;
  /** Unscoped: status webhooks name the message only by its wamid. */
  byWamid(wamid: string): Promise<MessageDoc | null>;
  /** Unscoped, by our own id (echoed back by Meta in biz_opaque_callback_data). */
  byId(id: string): Promise<MessageDoc | null>;
  /** Records Meta's id for a message; never replaces one already recorded. */
  setWamid(id: string, wamid: string): Promise<void>;
  /** Meta accepted the message: its wamid and the `sent` status. */
  recordSent(id: string, wamid: string, at?: Date): Promise<void>;
  /**
   * Applies a status atomically: the history gets each status once, the current status only
   * moves forward (`failed` is final). Safe to repeat, concurrently and in any order.
   */
  applyStatus(
    id: string,
    status: MessageStatus,
    at: Date,
    error?: StatusReason | null,
  ): Promise<void>;
  /**
   * Applies many statuses in as few writes as the store allows, with the same guarantees as
   * `applyStatus`; a status whose message is found only by `messageId` records its wamid.
   * Returns, per update (same order), the message it applied to, or null when none matched.
   */
  applyStatuses(updates: StatusUpdate[]): Promise<(StatusTarget | null)[]>;
  /**
   * Unique users that business-initiated messages of these accounts reached since `since`:
   * templates not failed and not free inside a customer's window. A user is a contact, not a
   * phone number: a contact may have none (known by its user id only). `oldest` is the
   * earliest such message: the window frees room no sooner than 24 h after it.
   */
  businessInitiatedReach(
    accountIds: string[],
    since: Date,
  ): Promise<{ users: number; oldest: Date | null }>;
  /** Which of these contacts such messages of these accounts reached since `since`. */
  reachedAmong(accountIds: string[], since: Date, contactIds: string[]): Promise<string[]>;
  /** A contact's messages, newest first, after a (time, id) cursor. */
  history(
    orgId: string,
    contactId: string,
    opts: { limit: number; beforeTime?: Date; beforeId?: string },
  ): Promise<MessageDoc[]>;
}

/** What `applyStatuses` tells of a message a status applied to: what its event carries. */
export type StatusTarget = Pick<
  MessageDoc,
  '_id' | 'contact_id' | 'phone_number' | 'user_id' | 'type' | 'status' | 'wamid'
>;

/** One status fact from a Meta webhook, for `applyStatuses`. */
export interface StatusUpdate {
  /** The organization of the number the webhook came for: a message of another is not touched. */
  orgId: string;
  wamid: string;
  /** Our message id, echoed by Meta in biz_opaque_callback_data. */
  messageId: string | null;
  status: Exclude<MessageStatus, 'queued'>;
  at: Date;
  error: StatusReason | null;
  /** As the status carried them: a later status's replace an earlier one's. */
  pricing?: MessagePricing | null;
  conversation?: MessageConversation | null;
}

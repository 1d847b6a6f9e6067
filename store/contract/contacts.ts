import type {
  BulkRowResult,
  ChangeResult,
  ContactInput,
  ContactPatch,
  ContactSource,
  CustomerIds,
} from '../contact-fields';

export type { CustomerIds };
import type { ContactDoc, TransferDoc } from '../documents';

export interface ContactListQuery {
  page: number;
  limit: number;
  /** Part of the name, username or user id (any case) or of the phone number (with or without '+'). */
  search?: string;
  /** Exactly this business-scoped user id. */
  user_id?: string;
  tag?: string;
  stage?: string;
}

/**
 * Contacts, unique by phone number and by user id within an organization. Every change is recorded with its
 * contact.created / contact.updated event; see OutboxRelay for when the event is visible.
 */
export interface ContactRepository {
  get(orgId: string, id: string): Promise<ContactDoc | null>;
  /** The organization's contacts with these ids, in no particular order; unknown ids are left out. */
  getMany(orgId: string, ids: readonly string[]): Promise<ContactDoc[]>;
  findByPhone(orgId: string, phone: string): Promise<ContactDoc | null>;
  findByUserId(orgId: string, userId: string): Promise<ContactDoc | null>;
  /** Newest first; `total` counts every contact the filters match. */
  list(orgId: string, q: ContactListQuery): Promise<{ contacts: ContactDoc[]; total: number }>;
  /** Throws a ConflictError when the organization already has the phone number or user id. */
  create(orgId: string, input: ContactInput, source?: ContactSource): Promise<ContactDoc>;
  /** The organization's contact for `phone`, created from `source` when there is none. */
  ensure(orgId: string, phone: string, source: ContactSource): Promise<ContactDoc>;
  /** Applies the given fields; null when the contact does not exist in the organization. */
  update(orgId: string, id: string, patch: ContactPatch): Promise<ChangeResult | null>;
  /**
   * Upserts by phone number, a result per row: the first row for an unknown number creates
   * the contact (source 'bulk'), the others update it in their order; a failing row never
   * affects the others.
   */
  upsertMany(orgId: string, rows: readonly ContactInput[]): Promise<BulkRowResult[]>;
  /** Deletes for good, never losing a change's event with it. */
  delete(orgId: string, id: string): Promise<boolean>;
  /**
   * An inbound WhatsApp message from `who` at `at`: the contact with its user id, or else its
   * phone number, gets what it lacked of the two (and the username and parent id as last
   * seen), its last inbound time moved forward (never back; untouched when `at` is null) and
   * its name filled if it had none; with neither, a new opted-in contact named from the
   * profile. Concurrent calls for a new customer create one contact. Its events are visible
   * when this returns.
   */
  recordInbound(
    orgId: string,
    who: CustomerIds,
    opts: { name?: string | null; at: Date | null },
  ): Promise<{ contact: ContactDoc; created: boolean }>;
  /**
   * The customer known by `from` now goes by `to` (Meta's user_changed_number and
   * user_changed_user_id): the contact found by `from` takes the new ids, never creating a
   * second one. When none has the old ids, the one with the new ids is returned, or made.
   */
  changeIds(
    orgId: string,
    from: Pick<CustomerIds, 'phone' | 'userId'>,
    to: CustomerIds,
  ): Promise<{ contact: ContactDoc; created: boolean }>;
}

export interface NewTransfer {
  /** A caller's own id makes the create idempotent: a second create of it returns the first. */
  id?: string;
  contactId: string;
  fromAgentId?: string | null;
  toAgentId?: string | null;
  toTeamId?: string | null;
  notes?: string | null;
}

export interface TransferRepository {
  /**
   * Recorded with its transfer.created event; the caller checks the contact's organization. An
   * id already stored in the organization returns that transfer, with no second event.
   */
  create(orgId: string, input: NewTransfer): Promise<TransferDoc>;
  get(orgId: string, id: string): Promise<TransferDoc | null>;
}

import type {
  AccountChanges,
  AccountCredentials,
  MessagingLimitFacts,
  NewAccount,
} from '../accounts';
import type { PortfolioScope } from '../accounts';
import type { AccountDoc, TemplateDoc } from '../documents';
import type { SandboxSettings } from '../sandbox-account';

export interface AccountRepository {
  /**
   * The organization's account on the simulator (with `sandbox`, or in sandbox mode), created
   * on first use; null when there is no simulator.
   */
  ensureSandbox(orgId: string, sandbox?: SandboxSettings | null): Promise<AccountDoc | null>;
  /** A phone_number_id already connected anywhere is a ConflictError. */
  create(orgId: string, input: NewAccount): Promise<AccountDoc>;
  /** Oldest first; in sandbox mode the sandbox account is created on the way. */
  list(orgId: string): Promise<AccountDoc[]>;
  get(orgId: string, id: string): Promise<AccountDoc | null>;
  /** Unscoped: for the worker, which gets account ids from already-scoped callers. */
  findById(id: string): Promise<AccountDoc | null>;
  /** The given account, or the organization's default; null when there is none. */
  resolve(orgId: string, id: string | null): Promise<AccountDoc | null>;
  /** Unscoped: an inbound webhook names the number, which tells the organization. */
  findByPhoneNumberId(phoneNumberId: string): Promise<AccountDoc | null>;
  /** Unscoped: an account-level webhook names only its WABA, which several accounts may share. */
  findByWabaId(wabaId: string): Promise<AccountDoc[]>;
  /** Unscoped: the accounts sharing a messaging limit, across organizations as Meta counts. */
  findInPortfolio(scope: PortfolioScope): Promise<AccountDoc[]>;
  /** Unscoped: Meta's subscription handshake only carries the verify token. */
  findByVerifyToken(token: string): Promise<AccountDoc | null>;
  credentials(doc: AccountDoc): AccountCredentials;
  /** Connected accounts of one organization, or of all of them (scheduled sync). */
  listConnected(orgId?: string | null): Promise<AccountDoc[]>;
  /** Applies the given fields only; a new access token reconnects the account. */
  update(orgId: string, id: string, changes: AccountChanges): Promise<AccountDoc | null>;
  /** Deletes the account; if it was the default, the oldest remaining one takes over. */
  remove(orgId: string, id: string): Promise<AccountDoc | null>;
  markDisconnected(id: string, reason: string): Promise<void>;
  /**
   * Records what Meta says of the messaging limit: of one account, or of every account of a
   * WABA and of its portfolio (account-level webhooks name only the WABA). Returns how many
   * accounts it updated.
   */
  setMessagingLimit(
    where: { id: string } | { wabaId: string; portfolioId?: string | null },
    facts: MessagingLimitFacts,
  ): Promise<number>;
}

export interface TemplateFilter {
  accountId?: string;
  status?: string;
  name?: string;
}

/** How a template webhook names its template: Meta's id, or its name and language. */
export interface TemplateMatch {
  metaId: string | null;
  name: string | null;
  language: string | null;
}

export type TemplatePatch = Partial<Pick<TemplateDoc, 'status' | 'category' | 'quality_score'>>;

export interface TemplateRepository {
  upsert(docs: TemplateDoc[]): Promise<void>;
  /** Deletes the account's templates whose ids are not in `keep` (gone from Meta). */
  removeOthers(accountId: string, keep: string[]): Promise<number>;
  removeForAccount(accountId: string): Promise<number>;
  /** By name, language, then account. */
  list(orgId: string, filter?: TemplateFilter): Promise<TemplateDoc[]>;
  /** The copies, in these accounts, of the template a webhook names (unscoped: a WABA's). */
  matching(accountIds: string[], match: TemplateMatch): Promise<TemplateDoc[]>;
  /** Applies what a template webhook changed to these templates. */
  patch(ids: string[], patch: TemplatePatch): Promise<void>;
  /**
   * The template to send: the exact language when one is given; otherwise an English one
   * (`en`, `en_US`...) if there is one, else the first.
   */
  find(
    orgId: string,
    accountId: string,
    name: string,
    language?: string | null,
  ): Promise<TemplateDoc | null>;
}

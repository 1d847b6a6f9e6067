import type {
  ApiKeyDoc,
  OrganizationDoc,
  RateLimitOverride,
  SessionDoc,
  UserDoc,
} from '../documents';

export interface OrganizationRepository {
  create(name: string): Promise<OrganizationDoc>;
  get(id: string): Promise<OrganizationDoc | null>;
  /** The oldest organization (the dev stack's own). */
  first(): Promise<OrganizationDoc | null>;
  /** Sets the given settings; null when there is no such organization. */
  update(id: string, patch: OrganizationPatch): Promise<OrganizationDoc | null>;
}

export type OrganizationPatch = Partial<Pick<OrganizationDoc, 'default_country'>>;

export interface UserRepository {
  /** Emails are unique, whatever their case: a second one is a ConflictError. */
  create(orgId: string, input: { email: string; name: string; password: string }): Promise<UserDoc>;
  /** Unscoped: login is what tells the organization. */
  findByEmail(email: string): Promise<UserDoc | null>;
  get(orgId: string, id: string): Promise<UserDoc | null>;
}

export interface NewApiKey {
  name: string;
  expiresAt?: Date | null;
  rateLimit?: RateLimitOverride | null;
}

export interface ApiKeyRepository {
  /** The stored record and the key itself, which is never stored or shown again. */
  create(orgId: string, input: NewApiKey): Promise<{ doc: ApiKeyDoc; key: string }>;
  /** Newest first. */
  list(orgId: string): Promise<ApiKeyDoc[]>;
  get(orgId: string, id: string): Promise<ApiKeyDoc | null>;
  /** Revokes once; revoking again keeps the first revocation time. */
  revoke(orgId: string, id: string, at?: Date): Promise<ApiKeyDoc | null>;
  /** Unscoped: the key is what tells the organization. */
  findByKey(key: string): Promise<ApiKeyDoc | null>;
  touch(id: string, at?: Date): Promise<void>;
}

export interface SessionRepository {
  create(orgId: string, userId: string, ttlMs: number): Promise<{ doc: SessionDoc; token: string }>;
  findActive(token: string, now?: Date): Promise<SessionDoc | null>;
  delete(token: string): Promise<boolean>;
  purgeExpired(now?: Date): Promise<number>;
}

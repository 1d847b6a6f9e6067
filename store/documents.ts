/** Stored shapes. Ids are UUID strings; every tenant-owned document carries `org_id`. */

export interface OrganizationDoc {
  _id: string;
  name: string;
  created_at: Date;
}

export interface UserDoc {
  _id: string;
  org_id: string;
  email: string;
  name: string;
  password_hash: string;
  created_at: Date;
}

export interface RateLimitOverride {
  per_minute: number;
  per_second: number;
}

export interface ApiKeyDoc {
  _id: string;
  org_id: string;
  name: string;
  prefix: string;
  key_hash: string;
  expires_at: Date | null;
  revoked_at: Date | null;
  rate_limit: RateLimitOverride | null;
  created_at: Date;
  last_used_at: Date | null;
}

export interface SessionDoc {
  _id: string;
  org_id: string;
  user_id: string;
  token_hash: string;
  expires_at: Date;
  created_at: Date;
}

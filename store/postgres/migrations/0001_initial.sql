-- Waflow's tables. Columns are named as the fields of the records in store/documents.ts, with
-- `id` for `_id`. Every query the repositories make has an index; tenant tables lead with
-- org_id. No foreign keys to organizations: rows are scoped by org_id in every query, as in
-- the MongoDB store, and deleting an organization is not an operation Waflow has.

-- Trigram indexes serve the contact search (name or phone containing the text). The extension
-- lives in public, which every connection's search_path ends with.
CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public;

CREATE TABLE organizations (
  id text PRIMARY KEY,
  name text NOT NULL,
  created_at timestamptz NOT NULL
);
CREATE INDEX organizations_created ON organizations (created_at);

CREATE TABLE users (
  id text PRIMARY KEY,
  org_id text NOT NULL,
  email text NOT NULL UNIQUE,
  name text NOT NULL,
  password_hash text NOT NULL,
  created_at timestamptz NOT NULL
);
CREATE INDEX users_org ON users (org_id, id);

CREATE TABLE api_keys (
  id text PRIMARY KEY,
  org_id text NOT NULL,
  name text NOT NULL,
  prefix text NOT NULL,
  key_hash text NOT NULL UNIQUE,
  expires_at timestamptz,
  revoked_at timestamptz,
  rate_limit jsonb,
  created_at timestamptz NOT NULL,
  last_used_at timestamptz
);
CREATE INDEX api_keys_org_created ON api_keys (org_id, created_at DESC);

CREATE TABLE sessions (
  id text PRIMARY KEY,
  org_id text NOT NULL,
  user_id text NOT NULL,
  token_hash text NOT NULL UNIQUE,
  expires_at timestamptz NOT NULL,
  created_at timestamptz NOT NULL
);
CREATE INDEX sessions_expires ON sessions (expires_at);

CREATE TABLE accounts (
  id text PRIMARY KEY,
  org_id text NOT NULL,
  name text NOT NULL,
  phone_number_id text NOT NULL UNIQUE,
  waba_id text NOT NULL,
  display_phone_number text,
  access_token_enc text NOT NULL,
  app_secret_enc text NOT NULL,
  verify_token_enc text NOT NULL,
  verify_token_hash text NOT NULL,
  is_default boolean NOT NULL,
  throughput integer NOT NULL,
  status text NOT NULL,
  status_reason text,
  sandbox boolean NOT NULL,
  graph_url text NOT NULL,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL
);
CREATE INDEX accounts_org_created ON accounts (org_id, created_at);
CREATE INDEX accounts_verify_token ON accounts (verify_token_hash);
CREATE INDEX accounts_connected ON accounts (created_at) WHERE status = 'connected';
-- At most one default account per organization.
CREATE UNIQUE INDEX accounts_one_default ON accounts (org_id) WHERE is_default;

CREATE TABLE templates (
  id text PRIMARY KEY,
  org_id text NOT NULL,
  account_id text NOT NULL,
  meta_id text NOT NULL,
  name text NOT NULL,
  language text NOT NULL,
  category text NOT NULL,
  status text NOT NULL,
  components jsonb NOT NULL,
  parameter_counts jsonb NOT NULL,
  header_format text,
  synced_at timestamptz NOT NULL
);
CREATE INDEX templates_org_name ON templates (org_id, name, language, account_id);
CREATE INDEX templates_account ON templates (account_id);

CREATE TABLE contacts (
  id text PRIMARY KEY,
  org_id text NOT NULL,
  phone_number text NOT NULL,
  name text,
  email text,
  tags text[] NOT NULL,
  stage text,
  custom_fields jsonb NOT NULL,
  opted_in boolean NOT NULL,
  last_inbound_at timestamptz,
  source text NOT NULL,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  UNIQUE (org_id, phone_number)
);
CREATE INDEX contacts_org_created ON contacts (org_id, created_at DESC, id DESC);
CREATE INDEX contacts_tags ON contacts USING gin (tags);
CREATE INDEX contacts_org_stage ON contacts (org_id, stage);
CREATE INDEX contacts_name_search ON contacts USING gin (name public.gin_trgm_ops);
CREATE INDEX contacts_phone_search ON contacts USING gin (phone_number public.gin_trgm_ops);

CREATE TABLE transfers (
  id text PRIMARY KEY,
  org_id text NOT NULL,
  contact_id text NOT NULL,
  from_agent_id text,
  to_agent_id text,
  to_team_id text,
  notes text,
  created_at timestamptz NOT NULL
);
CREATE INDEX transfers_org_contact ON transfers (org_id, contact_id, created_at DESC);

CREATE TABLE messages (
  id text PRIMARY KEY,
  org_id text NOT NULL,
  account_id text NOT NULL,
  contact_id text NOT NULL,
  direction text NOT NULL,
  phone_number text NOT NULL,
  type text NOT NULL,
  content jsonb NOT NULL,
  origin text NOT NULL,
  origin_id text,
  request_hash text,
  wamid text,
  status text NOT NULL,
  -- Statuses only move forward: the order they move in, kept with the status itself.
  status_rank smallint GENERATED ALWAYS AS (
    CASE status WHEN 'queued' THEN 0 WHEN 'sent' THEN 1 WHEN 'delivered' THEN 2
      WHEN 'read' THEN 3 ELSE 4 END
  ) STORED,
  status_history jsonb NOT NULL,
  error jsonb,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL
);
CREATE INDEX messages_org_contact_created ON messages (org_id, contact_id, created_at DESC, id DESC);
CREATE INDEX messages_wamid ON messages (wamid) WHERE wamid IS NOT NULL;

CREATE TABLE events (
  id text PRIMARY KEY,
  org_id text NOT NULL,
  type text NOT NULL,
  timestamp timestamptz NOT NULL,
  data jsonb NOT NULL,
  created_at timestamptz NOT NULL
);
CREATE INDEX events_org_created ON events (org_id, created_at DESC);
CREATE INDEX events_org_type_created ON events (org_id, type, created_at DESC);
CREATE INDEX events_created ON events (created_at, id);

CREATE TABLE inbound_webhooks (
  id text PRIMARY KEY,
  provider text NOT NULL,
  body text NOT NULL,
  received_at timestamptz NOT NULL,
  processed_at timestamptz,
  attempts integer NOT NULL,
  last_error text
);
CREATE INDEX inbound_webhooks_pending ON inbound_webhooks (received_at) WHERE processed_at IS NULL;
CREATE INDEX inbound_webhooks_processed ON inbound_webhooks (processed_at) WHERE processed_at IS NOT NULL;

CREATE TABLE webhook_endpoints (
  id text PRIMARY KEY,
  org_id text NOT NULL,
  name text NOT NULL,
  url text NOT NULL,
  events text[] NOT NULL,
  secret_enc text NOT NULL,
  status text NOT NULL,
  status_reason text,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL
);
CREATE INDEX webhook_endpoints_org_created ON webhook_endpoints (org_id, created_at, id);

CREATE TABLE webhook_dispatches (
  id text PRIMARY KEY,
  org_id text NOT NULL,
  event_type text NOT NULL,
  body text NOT NULL,
  endpoint_ids text[] NOT NULL,
  created_at timestamptz NOT NULL
);
CREATE INDEX webhook_dispatches_endpoints ON webhook_dispatches USING gin (endpoint_ids);
CREATE INDEX webhook_dispatches_org_created ON webhook_dispatches (org_id, created_at DESC, id DESC);
CREATE INDEX webhook_dispatches_created ON webhook_dispatches (created_at);

CREATE TABLE webhook_attempts (
  id text PRIMARY KEY,
  org_id text NOT NULL,
  endpoint_id text NOT NULL,
  event_id text NOT NULL,
  run integer NOT NULL,
  attempt integer NOT NULL,
  at timestamptz NOT NULL,
  status_code integer,
  latency_ms double precision,
  error text,
  outcome text NOT NULL,
  next_attempt_at timestamptz
);
CREATE INDEX webhook_attempts_delivery ON webhook_attempts (endpoint_id, event_id);
CREATE INDEX webhook_attempts_at ON webhook_attempts (at);

CREATE TABLE webhook_recovery (
  id text PRIMARY KEY,
  through timestamptz NOT NULL
);

CREATE TABLE sequences (
  id text PRIMARY KEY,
  org_id text NOT NULL,
  name text NOT NULL,
  account_id text NOT NULL,
  keywords text[] NOT NULL,
  steps jsonb NOT NULL,
  schedule jsonb,
  reentry text NOT NULL,
  exit jsonb NOT NULL,
  version integer NOT NULL,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL
);
CREATE INDEX sequences_org_created ON sequences (org_id, created_at DESC, id DESC);
CREATE INDEX sequences_keywords ON sequences (org_id) WHERE cardinality(keywords) > 0;

-- Every version a subscription may still follow.
CREATE TABLE sequence_versions (
  id text PRIMARY KEY,
  org_id text NOT NULL,
  sequence_id text NOT NULL,
  version integer NOT NULL,
  definition jsonb NOT NULL,
  created_at timestamptz NOT NULL
);
CREATE INDEX sequence_versions_sequence ON sequence_versions (sequence_id);

-- One row per sequence and contact: its latest run.
CREATE TABLE sequence_subscriptions (
  sequence_id text NOT NULL,
  contact_id text NOT NULL,
  org_id text NOT NULL,
  phone_number text NOT NULL,
  run integer NOT NULL,
  version integer NOT NULL,
  state text NOT NULL,
  step integer NOT NULL,
  next_step_at timestamptz,
  exit_reason text,
  exit_tags text[] NOT NULL,
  exit_on_reply boolean NOT NULL,
  timezone text,
  source text NOT NULL,
  history jsonb NOT NULL,
  subscribed_at timestamptz NOT NULL,
  started_at timestamptz,
  ended_at timestamptz,
  updated_at timestamptz NOT NULL,
  PRIMARY KEY (sequence_id, contact_id)
);
-- Exits (opt-out, reply, goal tag) look running subscriptions up by contact.
CREATE INDEX sequence_subscriptions_running ON sequence_subscriptions (org_id, contact_id)
  WHERE state IN ('pending', 'active');
-- Workflows still to be started.
CREATE INDEX sequence_subscriptions_pending ON sequence_subscriptions (subscribed_at)
  WHERE state = 'pending';

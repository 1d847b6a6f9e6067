-- Meta's account-level webhook changes (template status, account alerts...) and those that
-- matched no account or template, kept for the organizations they are about.
CREATE TABLE meta_events (
  id text PRIMARY KEY,
  org_ids text[] NOT NULL,
  waba_id text NOT NULL,
  phone_number_id text,
  field text NOT NULL,
  value jsonb NOT NULL,
  state text NOT NULL,
  reason text,
  received_at timestamptz NOT NULL
);
CREATE INDEX meta_events_orgs ON meta_events USING gin (org_ids);
CREATE INDEX meta_events_received ON meta_events (received_at DESC, id DESC);
CREATE INDEX meta_events_unmatched ON meta_events (state) WHERE state = 'unmatched';

-- An account-level webhook names only its WABA.
CREATE INDEX accounts_waba ON accounts (waba_id);
-- Template webhooks look up the running campaigns of a WABA's accounts.
CREATE INDEX campaigns_running ON campaigns (account_id) WHERE status = 'running';
-- Meta's quality rating of a template, from its quality webhook.
ALTER TABLE templates ADD COLUMN quality_score text;

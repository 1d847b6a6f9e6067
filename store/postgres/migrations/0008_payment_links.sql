CREATE TABLE gateway_settings (
  id text PRIMARY KEY,
  org_id text NOT NULL,
  gateway text NOT NULL,
  mode text NOT NULL,
  keys_enc text NOT NULL,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL
);
CREATE INDEX gateway_settings_gateway ON gateway_settings (gateway);

CREATE TABLE payment_links (
  id text PRIMARY KEY,
  org_id text NOT NULL,
  contact_id text NOT NULL,
  phone_number text NOT NULL,
  account_id text NOT NULL,
  amount bigint NOT NULL,
  currency text NOT NULL,
  description text NOT NULL,
  gateway text NOT NULL,
  gateway_link_id text,
  url text,
  reference_id text,
  expires_at timestamptz NOT NULL,
  remind_at timestamptz,
  reminders_sent integer NOT NULL DEFAULT 0,
  status text NOT NULL,
  status_history jsonb NOT NULL,
  payment_id text,
  paid_at timestamptz,
  paid_after_close boolean NOT NULL DEFAULT false,
  error text,
  link_message_id text,
  receipt_message_id text,
  request_hash text,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL
);
CREATE INDEX payment_links_org_created ON payment_links (org_id, created_at DESC, id DESC);
CREATE INDEX payment_links_org_contact ON payment_links (org_id, contact_id, created_at DESC);
CREATE INDEX payment_links_gateway_link ON payment_links (org_id, gateway, gateway_link_id);

-- Gateway webhooks, once per gateway event id, until their link's workflow has them.
CREATE TABLE payment_events (
  id text PRIMARY KEY,
  org_id text NOT NULL,
  gateway text NOT NULL,
  type text NOT NULL,
  kind text NOT NULL,
  link_id text,
  gateway_link_id text,
  payment_id text,
  reason text,
  received_at timestamptz NOT NULL,
  processed_at timestamptz,
  attempts integer NOT NULL DEFAULT 0,
  last_error text
);
CREATE INDEX payment_events_pending ON payment_events (received_at) WHERE processed_at IS NULL;

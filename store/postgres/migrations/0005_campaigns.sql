CREATE TABLE campaigns (
  id text PRIMARY KEY,
  org_id text NOT NULL,
  account_id text NOT NULL,
  name text NOT NULL,
  audience jsonb NOT NULL,
  message jsonb NOT NULL,
  mode text NOT NULL,
  scheduled_at timestamptz,
  throughput double precision,
  status text NOT NULL,
  total integer,
  error text,
  created_at timestamptz NOT NULL,
  started_at timestamptz,
  completed_at timestamptz,
  updated_at timestamptz NOT NULL,
  -- When the recipients were written: a snapshot retried after that writes nothing, even
  -- when the audience matched no one.
  snapshot_at timestamptz
);
CREATE INDEX campaigns_org_created ON campaigns (org_id, created_at DESC, id DESC);

-- A campaign's audience as it was at start, in send order. No foreign keys: a snapshot writes
-- up to 100,000 rows in one statement, and each would fire a check of its own.
CREATE TABLE campaign_recipients (
  campaign_id text NOT NULL,
  contact_id text NOT NULL,
  seq integer NOT NULL,
  phone_number text NOT NULL,
  state text NOT NULL,
  message_id text,
  reason text,
  PRIMARY KEY (campaign_id, contact_id),
  UNIQUE (campaign_id, seq)
);
CREATE INDEX campaign_recipients_pending ON campaign_recipients (campaign_id, seq)
  WHERE state = 'pending';

-- Audiences by custom field value (jsonb containment). Country codes (a phone number prefix)
-- have contacts_phone_search already: trigrams serve prefix LIKEs whatever the collation.
CREATE INDEX contacts_custom_fields ON contacts USING gin (custom_fields jsonb_path_ops);

-- What a campaign still has in the send queue (its messages' origin_id is the campaign's id).
CREATE INDEX messages_queued_origin ON messages (origin_id) WHERE status = 'queued';

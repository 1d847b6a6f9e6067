-- Media files Waflow keeps (their bytes are in the media store), and the inbound download
-- queue: a pending row is due at next_attempt_at, which a claim moves to the end of its hold.
CREATE TABLE media (
  id text PRIMARY KEY,
  org_id text NOT NULL,
  account_id text NOT NULL,
  direction text NOT NULL CHECK (direction IN ('inbound', 'outbound')),
  mime_type text NOT NULL,
  filename text,
  size bigint,
  sha256 text,
  storage_key text NOT NULL,
  status text NOT NULL CHECK (status IN ('pending', 'stored', 'failed')),
  message_id text,
  meta_media_id text,
  attempts integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz,
  error text,
  created_at timestamptz NOT NULL,
  stored_at timestamptz
);
CREATE INDEX media_due ON media (next_attempt_at) WHERE status = 'pending';

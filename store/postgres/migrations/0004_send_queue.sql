-- Each outbound message waits here, from the API's answer to Meta's, claimed by the process that
-- holds its number's lane. Kept apart from messages so claims touch a small table.
CREATE TABLE send_queue (
  message_id text PRIMARY KEY REFERENCES messages (id) ON DELETE CASCADE,
  account_id text NOT NULL,
  -- 0 transactional, 1 bulk: claimed in that order.
  priority smallint NOT NULL,
  seq bigserial NOT NULL,
  not_before timestamptz NOT NULL,
  owner text,
  lease_until timestamptz,
  claims integer NOT NULL DEFAULT 0,
  held boolean NOT NULL DEFAULT false,
  retrying boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL
);
-- Claims, and the accounts with due entries: one probe per account (a loose index scan), where
-- an index on not_before would have the whole backlog of a busy number read on every look.
CREATE INDEX send_queue_claim ON send_queue (account_id, priority, seq) WHERE NOT held;
-- Held entries are few: their own index lets depths count them without scanning the queue.
CREATE INDEX send_queue_held ON send_queue (account_id, priority) WHERE held;

CREATE TABLE send_lanes (
  account_id text PRIMARY KEY,
  owner text,
  lease_until timestamptz,
  rate real NOT NULL DEFAULT 0,
  updated_at timestamptz NOT NULL
);

-- Monotonic counters added to by every process, read by /metrics.
CREATE TABLE counters (
  name text NOT NULL,
  labels jsonb NOT NULL,
  value double precision NOT NULL,
  PRIMARY KEY (name, labels)
);

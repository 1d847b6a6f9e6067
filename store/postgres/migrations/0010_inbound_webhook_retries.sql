-- A webhook whose processing fails is retried after a growing wait, then parked dead with the
-- organizations its numbers belonged to, until it is replayed. Rows given up on before this
-- (attempts past the old bound) get one more attempt, which parks them with their owners.
ALTER TABLE inbound_webhooks
  ADD COLUMN next_attempt_at timestamptz,
  ADD COLUMN dead_at timestamptz,
  ADD COLUMN org_ids text[] NOT NULL DEFAULT '{}';
CREATE INDEX inbound_webhooks_dead ON inbound_webhooks (dead_at DESC) WHERE dead_at IS NOT NULL;

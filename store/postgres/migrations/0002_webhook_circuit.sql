-- Circuit breaking for outbound webhooks (workflows/webhook-circuit.ts): since when an
-- endpoint's circuit is open and when it is probed next, and the deliveries that wait for it.

ALTER TABLE webhook_endpoints ADD COLUMN failing_since timestamptz;
ALTER TABLE webhook_endpoints ADD COLUMN next_probe_at timestamptz;

CREATE TABLE webhook_backlog (
  id text PRIMARY KEY,
  org_id text NOT NULL,
  endpoint_id text NOT NULL,
  event_id text NOT NULL,
  run integer NOT NULL,
  attempt integer NOT NULL,
  event_at timestamptz NOT NULL,
  parked_at timestamptz NOT NULL
);
-- Released oldest event first; also serves the list of endpoints with a backlog.
CREATE INDEX webhook_backlog_release ON webhook_backlog (endpoint_id, event_at, id);

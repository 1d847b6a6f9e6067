CREATE TABLE actions (
  id text PRIMARY KEY,
  org_id text NOT NULL,
  name text NOT NULL,
  description text,
  code text NOT NULL,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  CONSTRAINT actions_org_name UNIQUE (org_id, name)
);

-- No foreign key to actions: a campaign batch records its runs even if the action is deleted
-- meanwhile; deleting an action deletes its runs in the same transaction.
CREATE TABLE action_runs (
  id text PRIMARY KEY,
  org_id text NOT NULL,
  action_id text NOT NULL,
  caller_type text NOT NULL,
  caller_id text,
  outcome text NOT NULL,
  error text,
  duration_ms double precision NOT NULL,
  created_at timestamptz NOT NULL
);
CREATE INDEX action_runs_action_created ON action_runs (action_id, created_at DESC, id DESC);

CREATE TABLE automations (
  id text PRIMARY KEY,
  org_id text NOT NULL,
  name text NOT NULL,
  enabled boolean NOT NULL,
  account_id text NOT NULL,
  trigger jsonb NOT NULL,
  conditions jsonb NOT NULL,
  steps jsonb NOT NULL,
  priority integer NOT NULL,
  version integer NOT NULL,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL
);
CREATE INDEX automations_org_created ON automations (org_id, created_at DESC, id DESC);
-- Routing reads an organization's enabled automations in the order it tries them.
CREATE INDEX automations_enabled ON automations (org_id, priority DESC, created_at, id)
  WHERE enabled;

-- Every version a run may still follow.
CREATE TABLE automation_versions (
  id text PRIMARY KEY,
  org_id text NOT NULL,
  automation_id text NOT NULL,
  version integer NOT NULL,
  definition jsonb NOT NULL,
  created_at timestamptz NOT NULL
);
CREATE INDEX automation_versions_automation ON automation_versions (automation_id, version);

CREATE TABLE automation_runs (
  id text PRIMARY KEY,
  org_id text NOT NULL,
  automation_id text NOT NULL,
  version integer NOT NULL,
  contact_id text NOT NULL,
  state text NOT NULL,
  -- `<automation_id>:<contact_id>` while active, the run's id once ended: one active run per
  -- automation and contact.
  active_key text NOT NULL UNIQUE,
  trigger jsonb NOT NULL,
  step text,
  wait jsonb,
  -- wait.until, for the overdue sweep's index.
  wait_until timestamptz,
  seq integer NOT NULL,
  context jsonb NOT NULL,
  path jsonb NOT NULL,
  last_input text NOT NULL,
  end_reason text,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  ended_at timestamptz
);
CREATE INDEX automation_runs_active ON automation_runs (org_id, contact_id)
  WHERE state IN ('running', 'waiting');
CREATE INDEX automation_runs_automation ON automation_runs (automation_id, created_at DESC, id DESC);
CREATE INDEX automation_runs_contact
  ON automation_runs (org_id, contact_id, created_at DESC, id DESC);
-- Runs whose process died while running them.
CREATE INDEX automation_runs_stalled ON automation_runs (updated_at) WHERE state = 'running';
-- Waits whose timer was lost.
CREATE INDEX automation_runs_overdue ON automation_runs (wait_until) WHERE state = 'waiting';

-- One row per routed input: its decision, recorded before it is carried out.
CREATE TABLE automation_inputs (
  id text PRIMARY KEY,
  org_id text NOT NULL,
  contact_id text NOT NULL,
  decision jsonb NOT NULL,
  state text NOT NULL,
  created_at timestamptz NOT NULL,
  done_at timestamptz
);
-- Decisions left behind by a crash, to carry out again.
CREATE INDEX automation_inputs_undone ON automation_inputs (created_at) WHERE state = 'decided';

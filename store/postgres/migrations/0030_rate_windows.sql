-- Rate limits shared by every API process: a window's claimed blocks (a block is a share of
-- its quota that one process serves on its own), and failed logins one row each.
CREATE TABLE rate_windows (
  key text NOT NULL,
  window_start timestamptz NOT NULL,
  window_end timestamptz NOT NULL,
  claimed integer NOT NULL,
  PRIMARY KEY (key, window_start)
);
CREATE INDEX rate_windows_end ON rate_windows (window_end);

CREATE TABLE login_failures (
  id bigserial PRIMARY KEY,
  email text NOT NULL,
  at timestamptz NOT NULL
);
CREATE INDEX login_failures_email_at ON login_failures (email, at);
CREATE INDEX login_failures_at ON login_failures (at);

-- An action that crashes its sandbox process again and again is disabled with the reason.
ALTER TABLE actions ADD COLUMN disabled_reason text;
ALTER TABLE actions ADD COLUMN disabled_at timestamptz;

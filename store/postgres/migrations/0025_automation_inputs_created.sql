-- The cleanup job deletes routed inputs past the events' retention (EVENT_RETENTION_DAYS), done
-- or not: automation_inputs_undone covers only those still decided.
CREATE INDEX IF NOT EXISTS automation_inputs_created ON automation_inputs (created_at);

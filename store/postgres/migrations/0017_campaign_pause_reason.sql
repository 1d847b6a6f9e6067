-- Why a paused campaign is paused: by hand, its portfolio's messaging limit, or its template.
ALTER TABLE campaigns ADD COLUMN pause_reason jsonb;

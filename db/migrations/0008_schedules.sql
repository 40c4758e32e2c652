-- Scheduled exports (/schedule): what to export, when, and where the next run starts. Portable to
-- PostgreSQL (docs/scale.md): INTEGER, REAL and TEXT only, booleans as 0/1, times as Unix seconds.
-- rule_kind 'daily' and 'weekly' fire at at_minute (after local midnight in time_zone; weekday
-- 0 = Monday for weekly ones); 'every' fires every every_seconds from anchor_at.
-- options: the export's choices as JSON (ExportOptions.to_json), without where it starts.
-- last_ids: where the next run starts, as JSON [[topic id or null, highest message id], ...]: what
-- the schedule's delivered archives hold, per forum topic; it moves only once a run's archive was
-- delivered, so a failed run leaves it for the next one to catch up.
-- A run in progress: claimed_at set (the process that claimed it is submitting its job), then
-- job_id set (the job runs); both are cleared when its outcome is recorded. Claims are one UPDATE
-- on the next_run_at (and run_requested) seen, so several processes never fire one period twice.
CREATE TABLE IF NOT EXISTS schedules (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id INTEGER NOT NULL,
    chat_id INTEGER NOT NULL,
    thread_id INTEGER,
    target TEXT NOT NULL,
    title TEXT NOT NULL,
    rule_kind TEXT NOT NULL CHECK (rule_kind IN ('daily', 'weekly', 'every')),
    at_minute INTEGER NOT NULL DEFAULT 0,
    weekday INTEGER,
    every_seconds INTEGER NOT NULL DEFAULT 0,
    anchor_at REAL NOT NULL,
    time_zone TEXT NOT NULL,
    options TEXT NOT NULL,
    last_ids TEXT NOT NULL DEFAULT '[]',
    paused INTEGER NOT NULL DEFAULT 0 CHECK (paused IN (0, 1)),
    run_requested INTEGER NOT NULL DEFAULT 0 CHECK (run_requested IN (0, 1)),
    next_run_at REAL NOT NULL,
    claimed_at REAL,
    job_id INTEGER,
    last_run_at REAL,
    last_result TEXT CHECK (last_result IN ('delivered', 'nothing_new', 'failed')),
    last_messages INTEGER,
    last_error TEXT,
    created_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS schedules_due ON schedules (next_run_at);
CREATE INDEX IF NOT EXISTS schedules_by_user ON schedules (user_id, id);

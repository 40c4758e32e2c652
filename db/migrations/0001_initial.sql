-- The first schema: who may use the bot, the durable job queue, and where
-- incremental exports left off. Times are Unix seconds (REAL, UTC); JSON
-- columns hold text written by the code, never typed in by hand.

-- Admins mirror the settings (is_admin); access is granted by the settings'
-- allowed list or by an admin, and revoked by an admin. NULL access: nobody
-- decided yet, so no access unless the user is an admin.
CREATE TABLE users (
    user_id INTEGER PRIMARY KEY,
    is_admin INTEGER NOT NULL DEFAULT 0 CHECK (is_admin IN (0, 1)),
    access TEXT CHECK (access IN ('allowed', 'denied')),
    changed_by INTEGER,
    changed_at REAL NOT NULL
);

-- Who changed whose access and when; by_user NULL means the settings did.
CREATE TABLE user_audit (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL,
    action TEXT NOT NULL CHECK (action IN ('allow', 'deny', 'make_admin', 'revoke_admin')),
    by_user INTEGER,
    at REAL NOT NULL
);
CREATE INDEX user_audit_by_user ON user_audit (user_id, id);

-- AUTOINCREMENT: a job id names its work directory, so an id is never reused.
CREATE TABLE jobs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id INTEGER NOT NULL,
    chat_id INTEGER NOT NULL,
    thread_id INTEGER,
    target TEXT NOT NULL,
    peer_id INTEGER,
    peer_title TEXT,
    kind TEXT NOT NULL CHECK (kind IN ('full', 'incremental')),
    options TEXT NOT NULL DEFAULT '{}',
    state TEXT NOT NULL DEFAULT 'queued'
        CHECK (state IN ('queued', 'running', 'done', 'failed', 'cancelled')),
    progress TEXT,
    report TEXT,
    error TEXT,
    parts TEXT NOT NULL DEFAULT '[]',
    status_message_id INTEGER,
    created_at REAL NOT NULL,
    started_at REAL,
    finished_at REAL,
    cancel_requested INTEGER NOT NULL DEFAULT 0 CHECK (cancel_requested IN (0, 1)),
    cancelled_by INTEGER,
    attempts INTEGER NOT NULL DEFAULT 0,
    work_dir TEXT
);
CREATE INDEX jobs_by_state ON jobs (state, user_id, id);
CREATE INDEX jobs_by_user ON jobs (user_id, id);

-- The highest message id delivered per chat and forum topic (NULL topic: the
-- chat outside topics). NULLs never collide in a UNIQUE index, hence IFNULL.
CREATE TABLE export_checkpoints (
    user_id INTEGER NOT NULL,
    peer_id INTEGER NOT NULL,
    topic_id INTEGER,
    max_id INTEGER NOT NULL,
    job_id INTEGER REFERENCES jobs (id),
    exported_at REAL NOT NULL
);
CREATE UNIQUE INDEX export_checkpoints_key ON export_checkpoints (user_id, peer_id, IFNULL(topic_id, 0));

-- Many chats at once (issue 16): an umbrella is one request for several chats (/export all); each
-- chat is an ordinary job of the queue, linked here, so the queue, its fairness and its restarts
-- are the same for them. The umbrella keeps what the chats share: where the one progress message
-- and the one summary go, how the archives are laid out, whether the whole was cancelled, and the
-- delivery of a combined archive (JSON text: its parts, which Telegram confirmed).
CREATE TABLE IF NOT EXISTS umbrellas (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id INTEGER NOT NULL,
    chat_id INTEGER NOT NULL,
    thread_id INTEGER,
    layout TEXT NOT NULL CHECK (layout IN ('per-chat', 'combined')),
    state TEXT NOT NULL DEFAULT 'running' CHECK (state IN ('running', 'finishing', 'done')),
    cancelled INTEGER NOT NULL DEFAULT 0 CHECK (cancelled IN (0, 1)),
    status_message_id INTEGER,
    delivery TEXT,
    created_at REAL NOT NULL,
    finished_at REAL
);
CREATE INDEX IF NOT EXISTS umbrellas_by_state ON umbrellas (state, id);

-- One row per chat of an umbrella, in the order chosen; outcome (JSON text) is written when the
-- chat's export ends: complete or not, messages, the reason, the archive for a combined layout.
CREATE TABLE IF NOT EXISTS umbrella_chats (
    umbrella_id INTEGER NOT NULL REFERENCES umbrellas (id),
    position INTEGER NOT NULL,
    job_id INTEGER NOT NULL REFERENCES jobs (id),
    title TEXT NOT NULL,
    is_left INTEGER NOT NULL DEFAULT 0 CHECK (is_left IN (0, 1)),
    archived INTEGER NOT NULL DEFAULT 0 CHECK (archived IN (0, 1)),
    outcome TEXT,
    PRIMARY KEY (umbrella_id, position)
);
CREATE UNIQUE INDEX IF NOT EXISTS umbrella_chats_by_job ON umbrella_chats (job_id);

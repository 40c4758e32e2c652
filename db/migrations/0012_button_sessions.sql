-- What each set of inline buttons means and whose it is (bot.callbacks): a button carries only a
-- short random token (callback data is at most 64 bytes and comes back as the client sends it).
-- In the database, not in a bot process's memory: with several bot processes (webhook mode,
-- docs/scale.md) a button sent by one may be pressed through another.
CREATE TABLE IF NOT EXISTS button_sessions (
    token TEXT PRIMARY KEY,
    owner_id INTEGER NOT NULL,
    kind TEXT NOT NULL,
    data TEXT NOT NULL,
    created_at REAL NOT NULL
);
-- Expired sessions are deleted by age.
CREATE INDEX IF NOT EXISTS button_sessions_created ON button_sessions (created_at);

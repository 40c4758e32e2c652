-- Where a dialog of several messages stands (aiogram's FSM: /login's code and password, a typed date
-- range) and what it gathered so far (JSON), per bot, chat, user and topic. In the database, not in a
-- bot process's memory: with several bot processes (webhook mode, docs/scale.md) the next message of
-- a dialog may reach another process.
CREATE TABLE IF NOT EXISTS dialog_states (
    dialog_key TEXT PRIMARY KEY,
    state TEXT,
    data TEXT NOT NULL DEFAULT '{}',
    changed_at REAL NOT NULL
);

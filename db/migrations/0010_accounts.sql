-- Exporting accounts (issue 17): several Telegram accounts read chats, each used by one process
-- at a time. Times are Unix seconds (REAL).

-- session: the account's Telethon session, encrypted with SESSION_KEY (a Fernet token, text), so
-- any process with the key can take the account over and a copy of the database alone opens nothing.
-- holder / lease_until: the process using the account and until when; a process renews its
-- leases by heartbeat, and one that dies stops renewing, so another takes the account once
-- lease_until has passed.
CREATE TABLE accounts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tg_user_id INTEGER NOT NULL UNIQUE,
    name TEXT NOT NULL,
    session TEXT NOT NULL,
    paused INTEGER NOT NULL DEFAULT 0 CHECK (paused IN (0, 1)),
    added_by INTEGER,
    added_at REAL NOT NULL,
    holder TEXT,
    lease_until REAL
);

-- What an account was seen to read or be refused: chat_key is "peer:ID" or "name:USERNAME".
CREATE TABLE account_chats (
    account_id INTEGER NOT NULL,
    chat_key TEXT NOT NULL,
    readable INTEGER NOT NULL CHECK (readable IN (0, 1)),
    seen_at REAL NOT NULL,
    PRIMARY KEY (account_id, chat_key)
);
CREATE INDEX account_chats_by_chat ON account_chats (chat_key, readable);

-- Telegram's flood waits, per account and method: a job resumed by another process honours them.
-- A row of the log per wait, for /stats; the newest end per method is what is honoured.
CREATE TABLE account_floods (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id INTEGER NOT NULL,
    method TEXT NOT NULL,
    seconds INTEGER NOT NULL,
    at REAL NOT NULL,
    wait_until REAL NOT NULL
);
CREATE INDEX account_floods_by_account ON account_floods (account_id, method, wait_until);

-- Which account ran a job (NULL: the bot's own session, before accounts were added).
ALTER TABLE jobs ADD COLUMN account_id INTEGER;

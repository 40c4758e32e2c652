-- Chats an admin shared with everyone who may use the bot. Non-admins export only these; the
-- exporting account's private chats, bot chats and Saved Messages land here only by an admin's
-- explicit, confirmed choice. peer_id is Telethon's marked id (-100… channels, -… basic groups,
-- users positive), the same numbers the Bot API uses for chat ids.
CREATE TABLE IF NOT EXISTS shared_chats (
    peer_id INTEGER PRIMARY KEY,
    title TEXT NOT NULL,
    kind TEXT NOT NULL,
    shared_by INTEGER NOT NULL,
    shared_at REAL NOT NULL
);

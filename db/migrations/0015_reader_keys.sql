-- A person's chat and Saved Messages are the conversation of the session that read them: the same
-- id names the bot's own session's conversation with that person and each exporting account's own
-- (docs/accounts.md). Incremental checkpoints and delivered files are therefore kept per reading
-- session too. reader_account: the exporting account (accounts.id) whose own conversation was
-- exported; 0 for every other export: groups and channels (one chat whoever reads it) and the bot's
-- own session's conversations, which is what every row written before this column was, so no
-- existing user exports anything again.
ALTER TABLE export_checkpoints ADD COLUMN reader_account INTEGER NOT NULL DEFAULT 0;
DROP INDEX export_checkpoints_key;
CREATE UNIQUE INDEX export_checkpoints_key
    ON export_checkpoints (user_id, peer_id, reader_account, IFNULL(topic_id, 0));
-- SQLite cannot change a primary key in place: the table is copied into one with the new key.
CREATE TABLE exported_files_by_reader (
    user_id INTEGER NOT NULL,
    peer_id INTEGER NOT NULL,
    reader_account INTEGER NOT NULL DEFAULT 0,
    file_key TEXT NOT NULL,
    path TEXT NOT NULL,
    job_id INTEGER,
    exported_at REAL NOT NULL,
    PRIMARY KEY (user_id, peer_id, reader_account, file_key)
);
INSERT INTO exported_files_by_reader (user_id, peer_id, reader_account, file_key, path, job_id, exported_at)
    SELECT user_id, peer_id, 0, file_key, path, job_id, exported_at FROM exported_files;
DROP TABLE exported_files;
ALTER TABLE exported_files_by_reader RENAME TO exported_files;
-- A schedule's jobs run on the session its chat was resolved on when that chat is a user
-- (bot/accounts/pool.py: reader_of, recorded in its options as "reader"). /schedule resolved every
-- chat on the bot's own session before it recorded that, so a schedule of a user (a positive id:
-- Telethon's marked ids give groups and channels negative ones) is tied to the own session, as
-- its runs' options would have said. The options are json.dumps of a non-empty object.
UPDATE schedules SET options = substr(options, 1, length(options) - 1) || ', "reader": null}'
    WHERE substr(target, 1, 1) <> '-';

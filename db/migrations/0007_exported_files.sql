-- Files incremental exports delivered: per user and chat, each file's identity on Telegram (its
-- document or photo id and size, exporter.media.FileLocation.key) and its path in the archive that
-- held it. A later incremental export points its records at that path instead of downloading the
-- file again, and names its new files so that none clashes when the archives are unzipped into one
-- folder.
CREATE TABLE IF NOT EXISTS exported_files (
    user_id INTEGER NOT NULL,
    peer_id INTEGER NOT NULL,
    file_key TEXT NOT NULL,
    path TEXT NOT NULL,
    job_id INTEGER,
    exported_at REAL NOT NULL,
    PRIMARY KEY (user_id, peer_id, file_key)
);

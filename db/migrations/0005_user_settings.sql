-- What a user chose with /settings. time_zone: the zone their archives' dates are written in (an IANA
-- name such as Europe/Berlin, or UTC+05:30), as Telegram Desktop writes the exporting computer's local
-- time; a user without a row gets UTC.
CREATE TABLE IF NOT EXISTS user_settings (
    user_id INTEGER PRIMARY KEY,
    time_zone TEXT NOT NULL,
    changed_at REAL NOT NULL
);

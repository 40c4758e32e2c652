-- What a finished export hands to the user, recorded before the first upload:
-- the summary text, each part's caption, whether the summary went out, and
-- where the next incremental export starts. A job re-claimed after a crash
-- reads it to send only what Telegram has not confirmed (the parts column
-- holds each part's file and message id as they are confirmed).
ALTER TABLE jobs ADD COLUMN delivery TEXT;

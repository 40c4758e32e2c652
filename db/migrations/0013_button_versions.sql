-- A version per set of inline buttons, so a press's write is a compare-and-set: two presses on one
-- screen handled at the same moment (two bot processes, or two updates in one) each read the state;
-- the second write finds the version moved, reads again and applies its press to what the first kept
-- (db/buttons.py). Without it the later write won and one toggle was lost.
ALTER TABLE button_sessions ADD COLUMN version INTEGER NOT NULL DEFAULT 0;

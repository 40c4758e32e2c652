-- What /login saw of each chat in an exporting account's dialog list: its title, kind, @username and
-- place in the list (0: the most recent), so /export's chat picker lists the chats the accounts read,
-- not only the bot's own session's (bot/handlers/picker.py). NULL for a chat only a job was seen to
-- read (its key is then all that is known).
ALTER TABLE account_chats ADD COLUMN title TEXT;
ALTER TABLE account_chats ADD COLUMN kind TEXT;
ALTER TABLE account_chats ADD COLUMN username TEXT;
ALTER TABLE account_chats ADD COLUMN dialog_rank INTEGER;

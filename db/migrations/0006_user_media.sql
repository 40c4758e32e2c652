-- What a user chose on the export screen's media row: media, the kinds of files their archives
-- download (comma-separated, as exporter.options.MEDIA_TYPES names them; '' for none), and
-- max_file_size, the largest file downloaded, in bytes. NULL: not chosen yet, so the exporter's
-- defaults (Telegram Desktop's: photos only, 8 MiB).
ALTER TABLE user_settings ADD COLUMN media TEXT;
ALTER TABLE user_settings ADD COLUMN max_file_size INTEGER;

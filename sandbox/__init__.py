"""An offline Telegram: fake MTProto data centres for the real Telethon client, and a fake Bot API."""

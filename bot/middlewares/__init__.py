"""Middlewares: who may use the bot, and waiting out Telegram's 429s."""

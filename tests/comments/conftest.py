"""The bot's fixtures (tests/bot/conftest.py), for the test of the export screen's comments option."""

from tests.bot.conftest import api, product  # noqa: F401

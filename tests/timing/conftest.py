"""The bot end-to-end fixtures (tests/bot/conftest.py) for the tests here that talk to the bot."""

from tests.bot.conftest import api, product  # noqa: F401 (fixtures)

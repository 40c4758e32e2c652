"""The bot end-to-end fixtures (tests/bot/conftest.py) for every fault test here."""

from tests.bot.conftest import api, product  # noqa: F401 (fixtures)

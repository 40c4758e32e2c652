"""Checks that need this machine's powers (root, a browser): skipped on a user's machine, mandatory in CI."""

from __future__ import annotations

import os
from typing import NoReturn

import pytest


def cannot(reason: str) -> NoReturn:
    """Skip here; fail where CI=true (.ci/run sets it), so CI never passes by skipping."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"must run in CI: {reason}")
    pytest.skip(reason)

"""The size warning with topics chosen: its sample would be the whole forum's newest messages, so
it is not taken and no warning is given (a small unit test: the estimate is replaced by a recorder)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from bot.handlers import size_warning
from db import JobKind
from exporter.options import ExportOptions


async def test_no_forum_wide_sample_when_topics_are_chosen(monkeypatch: pytest.MonkeyPatch) -> None:
    sampled: list[object] = []

    async def sample_history(client: object, peer: object, **kwargs: Any) -> None:
        sampled.append(peer)
        raise TimeoutError  # unreachable with the check in place; keeps the test off the network

    monkeypatch.setattr(size_warning, "sample_history", sample_history)
    target: Any = SimpleNamespace(input_peer="forum", chat=SimpleNamespace(id=1))
    app: Any = SimpleNamespace(client=None)
    options = ExportOptions(media=("photos", "videos"), topics=(5,))
    assert await size_warning.check(app, 1, target, JobKind.FULL, options) is None
    assert sampled == []
    # Without topics the same call samples the history (the warning's normal path).
    whole = ExportOptions(media=("photos", "videos"))
    assert await size_warning.check(app, 1, target, JobKind.FULL, whole) is None
    assert sampled == ["forum"]

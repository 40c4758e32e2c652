"""The one JSON form of export options: what a job stores, the plan's identity, the manifest."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest

from exporter.errors import ExportError
from exporter.options import ExportOptions

CHOSEN = ExportOptions(
    formats=("json", "md"),
    since=dt.datetime(2024, 1, 2, tzinfo=dt.UTC),
    until=dt.datetime(2024, 3, 4, 5, 6, tzinfo=dt.UTC),
    min_id=10,
    max_id=900,
    last=50,
    topics=(1, 7),
    after=((None, 40), (7, 55)),
    takeout=True,
    media=("photos", "videos", "voice"),
    max_file_size=50_000_000,
    time_zone="Europe/Berlin",
)


def test_every_choice_survives_json() -> None:
    assert ExportOptions.from_json(json.loads(json.dumps(CHOSEN.to_json()))) == CHOSEN
    assert ExportOptions.from_json(json.loads(json.dumps(ExportOptions().to_json()))) == ExportOptions()


def test_defaults_fill_what_the_json_leaves_out() -> None:
    defaults = ExportOptions(formats=("md",), part_size=49_000_000, max_concurrency=8)
    decoded = ExportOptions.from_json(CHOSEN.to_json(), defaults)
    assert (decoded.part_size, decoded.max_concurrency) == (49_000_000, 8)
    assert decoded.formats == ("json", "md") and decoded.takeout
    # A job queued without options (db's submit default {}) is the defaults.
    assert ExportOptions.from_json({}, defaults) == defaults


def test_a_job_queued_by_the_previous_codec_still_decodes() -> None:
    # The shape the codec before ExportOptions.to_json wrote: zero ids as 0, no "after".
    old = {
        "formats": ["html"],
        "since": None,
        "until": "2024-03-04T05:06:00+00:00",
        "min_id": 0,
        "max_id": 0,
        "last": None,
        "topics": None,
        "takeout": False,
        "time_zone": "Asia/Tokyo",
    }
    assert ExportOptions.from_json(old) == ExportOptions(
        formats=("html",), until=dt.datetime(2024, 3, 4, 5, 6, tzinfo=dt.UTC), time_zone="Asia/Tokyo"
    )
    # Missing choices take the defaults.
    assert ExportOptions.from_json({"formats": ["md"]}) == ExportOptions(formats=("md",))


def test_identity_is_the_manifest_shape_without_the_zone() -> None:
    # Work folders are named by this dict's hash and manifests show it: its keys and nulls are fixed.
    assert ExportOptions().identity() == {
        "formats": ["json", "html"],
        "since": None,
        "until": None,
        "min_id": None,
        "max_id": None,
        "last": None,
        "topics": None,
        "after": None,
        "takeout": False,
        "media": ["photos"],
        "max_file_size": 8 * 1024 * 1024,
    }
    assert CHOSEN.identity()["after"] == [[None, 40], [7, 55]]
    assert ExportOptions(time_zone="Asia/Tokyo").identity() == ExportOptions().identity()


@pytest.mark.parametrize(
    ("options", "says"),
    [
        (ExportOptions(formats=("pdf",)), "Unknown format pdf"),
        (ExportOptions(formats=()), "Unknown format (none)"),
        (ExportOptions(since=CHOSEN.until, until=CHOSEN.since), "not before the end date"),
        (ExportOptions(until=dt.datetime(1970, 1, 1, tzinfo=dt.UTC)), "before 1970"),
        (ExportOptions(min_id=5, max_id=6), "No message id lies between"),
        (ExportOptions(media=("photos", "podcasts")), "Unknown media podcasts"),
        (ExportOptions(max_file_size=0), "at least one byte"),
    ],
)
def test_options_that_would_export_nothing_are_refused(options: ExportOptions, says: str) -> None:
    with pytest.raises(ExportError, match=re.escape(says)):
        options.check()
    CHOSEN.check()

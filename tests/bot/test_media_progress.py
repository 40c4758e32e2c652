"""While the media stage downloads, the bot's status message shows its bar, files and bytes done
of the total, the speed and the time left: a real export of media-small through the sandbox Bot
API, its downloads slowed to a known bandwidth so the stage lasts a few progress edits."""

from __future__ import annotations

import json
import re
import zipfile

import pytest

from exporter.media.progress import human_bytes
from sandbox.netmodel import NetworkModel
from sandbox.world import World, build_scenario
from tests.bot.conftest import Product

# 2 MB/s for the account: the 4 MB of media-small's photos take about two seconds (progress
# edits are at most one per 0.2 s in these tests).
BANDWIDTH = 2_000_000
FILES = re.compile(r"^([\d,]+) of ([\d,]+) files, (.+) of (.+)$", re.M)
LEFT = re.compile(r"^(.+)/s, about (.+) of downloading left$", re.M)


@pytest.fixture
def world() -> World:
    return build_scenario("media-small")


@pytest.fixture
def network() -> NetworkModel:
    return NetworkModel(account_bandwidth=BANDWIDTH)


async def test_the_status_shows_files_bytes_and_time_left_while_media_downloads(product: Product) -> None:
    admin = product.admin
    product.say(admin, "/export @media_small_sandbox")
    options = await product.reply(
        admin.id, lambda m: (m.text or "").startswith("Export ") and "Media: photos" in (m.text or "")
    )
    product.press(admin, options, "▶ Export")  # Desktop's defaults: photos up to 8 MB
    await product.archive(admin.id, timeout=120)

    texts = [c.params.get("text", "") for c in product.api.calls_to("editMessageText")]
    media = [(text, found) for text in texts if (found := FILES.search(text)) is not None]
    assert len(media) >= 3, texts  # the stage lasted several edits
    done = [int(found[1].replace(",", "")) for _text, found in media]
    assert done == sorted(done) and done[0] < done[-1]
    # The totals are the stage's, announced before its first file: what the archive got from Telegram
    # (the vCards are written from the message itself; the senders' photos come after the stage,
    # as a phase of their own: exporter.media.userpics).
    document = product.api.documents_in(admin.id)[-1]
    with zipfile.ZipFile(document.path) as zf:
        files = json.loads(zf.read("manifest.json"))["media"]["files"]
    fetched = {
        path: f["size"] for path, f in files.items() if not path.startswith(("contacts/", "userpics/"))
    }
    assert {(found[2], found[4]) for _text, found in media} == {
        (str(len(fetched)), human_bytes(sum(fetched.values())))
    }
    for text, _found in media:
        left = LEFT.search(text)
        assert left is not None, text  # a byte came before the first edit: the time left is known
        speed = float(left[1].split()[0]) * {"kB": 1e3, "MB": 1e6}[left[1].split()[1]]
        assert 0 < speed <= BANDWIDTH  # measured, and never above what the sandbox lets through

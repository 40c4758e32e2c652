"""The per-export store: pages with their cursors, exact membership, and the one-pass overview."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from db import store as store_module
from db.store import ExportStore, StoreReader, StreamRow


def rows(ids: list[int], topic: int | None = None) -> list[tuple[int, int | None, int, bytes]]:
    return [(i, topic, 0, b'{"id": %d}' % i) for i in ids]


def test_a_page_and_its_cursor_are_stored_together_and_duplicates_kept_once(tmp_path: Path) -> None:
    store = ExportStore(tmp_path / "store.sqlite")
    store.add_streams([StreamRow("a", None, 0, 100, "ids 1-99", 0)])
    assert store.put_page(rows([1, 2, 3]), stream="a", cursor=3, expected=50) == 3
    assert store.put_page(rows([3, 4]), stream="a", cursor=4) == 1  # 3 came again after a reconnect
    [stream] = store.streams()
    assert (stream.cursor, stream.expected, stream.done) == (4, 50, False)
    assert store.present([2, 4, 7]) == {2, 4} and store.present([]) == set()
    assert store.count() == 4
    store.close()


def test_overview_counts_gaps_and_page_starts_per_topic(tmp_path: Path) -> None:
    store = ExportStore(tmp_path / "store.sqlite")
    store.add_streams([StreamRow("a", None, 0, 0, "all", 0)])
    topic_one = [1, 2, 3, 5, 6, 9, 10]
    topic_seven = [7, 8, 12]
    store.put_page(rows(topic_one, 1) + rows(topic_seven, 7), stream="a", cursor=12)
    store.close()
    with StoreReader(tmp_path / "store.sqlite") as reader:
        overview = reader.overview(page_size=3, ranges_listed=1)
        assert [r["id"] for r in reader.records()] == sorted(topic_one + topic_seven)
    assert [(c.topic_id, c.messages, c.first_id, c.last_id) for c in overview.counts] == [
        (1, 7, 1, 10),
        (7, 3, 7, 12),
    ]
    assert overview.page_starts == {1: [1, 5, 10], 7: [7]}
    # 4 and 11 are missing: two gaps, of which one is listed.
    assert overview.gaps == {"missing_ids": 2, "ranges": [[4, 4]], "ranges_listed": 1}


def test_records_come_back_in_id_order_however_pages_interleave(tmp_path: Path) -> None:
    store = ExportStore(tmp_path / "store.sqlite")
    store.add_streams([StreamRow("a", None, 0, 0, "a", 0), StreamRow("b", None, 0, 0, "b", 0)])
    # A forum's history pass: each page holds several topics side by side.
    store.put_page(rows([21, 23], 1) + rows([22, 24], 2), stream="b", cursor=24)
    store.put_page(rows([1, 4], 1) + rows([2, 3, 5], 2), stream="a", cursor=5)
    # Topic streams: one topic's pages span ids another topic's pages fall between.
    store.put_page(rows([6, 40], 3), stream="a", cursor=40)
    store.put_page(rows([7, 30], 4), stream="b", cursor=30)
    # A page fetched again keeps only what was new.
    assert store.put_page(rows([5, 8], 2), stream="a", cursor=8) == 1
    store.close()
    with StoreReader(tmp_path / "store.sqlite") as reader:
        every = [r["id"] for r in reader.records()]
        by_topic = {t: [r["id"] for r in reader.topic_records(t)] for t in (1, 2, 3, 4)}
    assert every == [1, 2, 3, 4, 5, 6, 7, 8, 21, 22, 23, 24, 30, 40]
    assert by_topic == {1: [1, 4, 21, 23], 2: [2, 3, 5, 8, 22, 24], 3: [6, 40], 4: [7, 30]}


def test_topics_are_indexed_once_reading_is_done_not_page_by_page(tmp_path: Path) -> None:
    path = tmp_path / "store.sqlite"
    store = ExportStore(path)
    store.add_streams([StreamRow("a", None, 0, 0, "a", 0)])
    store.put_page(rows([1, 4], 1) + rows([2, 3], 2), stream="a", cursor=4)

    def plan() -> str:
        query = "EXPLAIN QUERY PLAN SELECT record FROM messages WHERE topic_id = ? ORDER BY id"
        return " ".join(str(row[-1]) for row in store.connection.execute(query, (1,)))

    # While pages are stored no index is kept up; a topic is still read whole, by a scan.
    assert "messages_by_topic" not in plan()
    with StoreReader(path) as reader:
        assert [r["id"] for r in reader.topic_records(1)] == [1, 4]
    store.index_topics()
    store.index_topics()  # a resumed export that had rendered once: nothing to do
    assert "USING INDEX messages_by_topic" in plan()
    store.close()
    with StoreReader(path) as reader:
        assert [r["id"] for r in reader.topic_records(2)] == [2, 3]


def test_insert_statements_are_built_for_each_page_size_and_split_at_200_rows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A fresh process: no statement built yet (the cache would hide how they are built).
    monkeypatch.setattr(store_module, "_INSERTS", {})
    store = ExportStore(tmp_path / "store.sqlite")
    store.add_streams([StreamRow("a", None, 0, 0, "all", 0)])
    assert store.put_page(rows(list(range(1, 451))), stream="a", cursor=450) == 450
    assert sorted(store_module._INSERTS) == [50, 200]
    store.close()
    with StoreReader(tmp_path / "store.sqlite") as reader:
        assert [r["id"] for r in reader.records()] == list(range(1, 451))


def test_streams_meta_and_ids_come_back_as_they_were_stored(tmp_path: Path) -> None:
    store = ExportStore(tmp_path / "store.sqlite")
    streams = [StreamRow("t5", 5, 10, 900, "topic 5", 10, expected=40), StreamRow("h", None, 0, 0, "all", 0)]
    store.add_streams(streams)
    store.add_streams([StreamRow("h", None, 1, 2, "again", 7)])  # a stream is added once
    assert store.streams() == streams
    store.finish_stream("t5")
    assert [(s.key, s.done) for s in store.streams()] == [("t5", True), ("h", False)]
    assert store.get_meta("plan") is None
    store.set_meta("plan", {"max_id": 7, "topics": [1, 5]})
    store.set_meta("plan", {"max_id": 8, "topics": [1, 5]})
    assert store.get_meta("plan") == {"max_id": 8, "topics": [1, 5]}
    store.put_page(rows([3, 1], 5) + rows([2]), stream="h", cursor=3)
    assert sorted(asyncio.run(store.stored_ids())) == [1, 2, 3]
    store.close()
    with pytest.raises(RuntimeError, match="closed"):
        store.count()
    store.close()  # closing twice is harmless
    with StoreReader(tmp_path / "store.sqlite") as reader:
        assert sorted(reader.ids()) == [1, 2, 3]
        assert [reader.topic_of(i) for i in (1, 2, 4)] == [(True, 5), (True, None), (False, None)]
        assert [r["id"] for r in reader.topic_records(None)] == [2]
        assert [r["id"] for r in reader.topic_records(5)] == [1, 3]


def ref(msg_id: int, seq: int, topic: int | None) -> tuple[object, ...]:
    """A media_refs row as the media stage captures it (db/store.py SCHEMA, file and value unset)."""
    return (msg_id, seq, "photo", topic, "photo", 0, f"k{msg_id}", 2, "photo", msg_id, 1, b"r", "", 10, 10,
            "image/jpeg", "", 0, None, None)  # fmt: skip


def test_file_refs_are_stored_with_their_page_and_their_values_read_by_topic(tmp_path: Path) -> None:
    store = ExportStore(tmp_path / "store.sqlite")
    store.add_streams([StreamRow("a", None, 0, 0, "all", 0)])
    refs = [ref(1, 0, None), ref(2, 0, 4), ref(2, 1, 4)]
    store.put_page(rows([1]) + rows([2], 4), stream="a", cursor=2, refs=refs)
    (stored,) = store.connection.execute("SELECT COUNT(*) FROM media_refs").fetchone()
    assert stored == 3
    with store.connection:
        store.connection.execute("UPDATE media_refs SET value = 'photos/' || msg_id || '_' || seq")
    store.close()
    with StoreReader(tmp_path / "store.sqlite") as reader:
        assert list(reader.media_values()) == [(1, "photo", "photos/1_0"), (2, "photo", "photos/2_0"),
                                               (2, "photo", "photos/2_1")]  # fmt: skip
        assert list(reader.topic_media_values(None)) == [(1, "photo", "photos/1_0")]
        assert [v for _, _, v in reader.topic_media_values(4)] == ["photos/2_0", "photos/2_1"]


def test_the_overview_lists_messages_outside_topics_first_then_topics_by_id(tmp_path: Path) -> None:
    store = ExportStore(tmp_path / "store.sqlite")
    store.add_streams([StreamRow("a", None, 0, 0, "all", 0)])
    # An upgraded group's messages (no topic, ids shifted below zero) before a forum's topics,
    # topic 9 seen before topic 3.
    store.put_page(
        rows([-999_999_990, -999_999_980]) + rows([1, 4], 9) + rows([2, 3], 3), stream="a", cursor=4
    )
    store.close()
    with StoreReader(tmp_path / "store.sqlite") as reader:
        overview = reader.overview(page_size=100)
    assert [c.topic_id for c in overview.counts] == [None, 3, 9]
    # The step from the shifted ids to the forum's own is no gap; the one between the group's is.
    assert overview.gaps["missing_ids"] == 9


def test_senders_most_messages_first(tmp_path: Path) -> None:
    """For the userpics (exporter.media.userpics): who wrote, most active first, at most N; service
    messages without a sender are nobody."""
    store = ExportStore(tmp_path / "store.sqlite")
    store.add_streams([StreamRow("a", None, 0, 0, "all", 0)])
    who = ["user2", "channel9", "user2", "user5", "user2", "channel9", None]
    page = [
        (i, None, 0, (b'{"id": %d, "from_id": "%s"}' % (i, s.encode())) if s else b'{"id": %d}' % i)
        for i, s in enumerate(who, 1)
    ]
    store.put_page(page, stream="a", cursor=len(who))
    store.close()
    with StoreReader(tmp_path / "store.sqlite") as reader:
        # Each with its newest message: what a resumed export asks again for the sender's access hash.
        assert reader.senders(10) == [("user2", 5), ("channel9", 6), ("user5", 4)]
        assert reader.senders(2) == [("user2", 5), ("channel9", 6)]

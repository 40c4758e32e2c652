"""The per-export store: pages with their cursors, exact membership, and the one-pass overview."""

from __future__ import annotations

from pathlib import Path

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

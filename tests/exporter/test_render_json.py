from __future__ import annotations

import json
from pathlib import Path

from exporter.records import FORWARDED_DATE
from exporter.render.json import render_json
from exporter.render.model import ChatInfo, TopicInfo
from tests.exporter.test_schema import varied_records

RECORD = {
    "id": 1,
    "type": "message",
    "date": "2024-05-06T07:08:09",
    "date_unixtime": "1714979289",
    "from": "Ann",
    "from_id": "user5",
    "text": ["a ", {"type": "bold", "text": "b"}],
    "text_entities": [{"type": "plain", "text": "a "}, {"type": "bold", "text": "b"}],
}


def test_layout_is_json_dumps_with_two_space_indent(tmp_path: Path) -> None:
    chat = ChatInfo(id=5, name="Ann", type="personal_chat")
    records = [RECORD, dict(RECORD, id=2, text="", text_entities=[], reactions={})]
    [path] = render_json(tmp_path, chat, None, iter(records))
    assert path == tmp_path / "result.json"
    document = {"name": "Ann", "type": "personal_chat", "id": 5, "messages": records}
    assert path.read_text(encoding="utf-8") == json.dumps(document, indent=2, ensure_ascii=False)
    assert path.read_text(encoding="utf-8").startswith(
        '{\n  "name": "Ann",\n  "type": "personal_chat",\n  "id": 5,\n  "messages": [\n    {\n      "id": 1,\n'
    )


def test_batches_join_into_one_list(tmp_path: Path) -> None:
    records = [dict(RECORD, id=i) for i in range(1, 600)]
    chat = ChatInfo(id=-1000000000077, name="Forum", type="public_supergroup")
    [path] = render_json(tmp_path, chat, None, iter(records))
    document = {"name": "Forum", "type": "public_supergroup", "id": 77, "messages": records}
    assert path.read_text(encoding="utf-8") == json.dumps(document, indent=2, ensure_ascii=False)


def test_a_record_orjson_refuses_is_written_escaped(tmp_path: Path) -> None:
    lone = "half of a pair: \ud83d, then é"
    records = [RECORD, dict(RECORD, id=2, text=lone, text_entities=[{"type": "plain", "text": lone}])]
    [path] = render_json(tmp_path, ChatInfo(id=5, name="Ann", type="personal_chat"), None, records)
    raw = path.read_bytes()
    raw.decode("utf-8")  # still valid UTF-8
    assert b"\\ud83d" in raw and b"\\u00e9" in raw
    assert json.loads(raw)["messages"] == records


def test_output_loads_back_to_the_records(tmp_path: Path) -> None:
    records = sorted(varied_records(), key=lambda r: r["id"])
    chat = ChatInfo(id=-1000001234567, name="Big <group>", type="private_supergroup")
    [path] = render_json(tmp_path, chat, None, (r for r in records))
    with path.open(encoding="utf-8") as fh:
        data = json.load(fh)
    assert list(data) == ["name", "type", "id", "messages"]
    assert (data["name"], data["type"], data["id"]) == ("Big <group>", "private_supergroup", 1234567)
    # Every record comes back, less the forwarded message's original date (the HTML's, not Desktop's JSON).
    assert any(FORWARDED_DATE in r for r in records)
    assert data["messages"] == [{k: v for k, v in r.items() if k != FORWARDED_DATE} for r in records]


def test_forum_keeps_topics_and_topic_ids(tmp_path: Path) -> None:
    chat = ChatInfo(id=-1000000000077, name="Forum", type="public_supergroup", is_forum=True)
    topics = [
        TopicInfo(id=1, title="General", message_count=1),
        TopicInfo(id=8, title="Ideas 💡", closed=True, hidden=False, icon_color=0x6FB9F0, message_count=1),
    ]
    records = [dict(RECORD, id=8, topic_id=8), dict(RECORD, id=9, topic_id=1)]
    [path] = render_json(tmp_path, chat, topics, records)
    data = json.loads(path.read_text(encoding="utf-8"))
    assert list(data) == ["name", "type", "id", "topics", "messages"]
    assert data["id"] == 77
    assert data["topics"] == [
        {"id": 1, "title": "General", "closed": False, "hidden": False, "icon_color": 0, "message_count": 1},
        {
            "id": 8,
            "title": "Ideas 💡",
            "closed": True,
            "hidden": False,
            "icon_color": 0x6FB9F0,
            "message_count": 1,
        },
    ]
    assert [(m["id"], m["topic_id"]) for m in data["messages"]] == [(8, 8), (9, 1)]


def test_saved_messages_have_no_name_and_empty_history(tmp_path: Path) -> None:
    [path] = render_json(tmp_path, ChatInfo(id=5, name="Me", type="saved_messages"), None, [])
    text = path.read_text(encoding="utf-8")
    assert text == '{\n  "type": "saved_messages",\n  "id": 5,\n  "messages": []\n}'
    assert json.loads(text) == {"type": "saved_messages", "id": 5, "messages": []}


def test_odd_characters_stay_valid_json(tmp_path: Path) -> None:
    odd = 'nul\x00 bell\x07 tab\t nl\n quote" back\\ sep\u2028para\u2029 emoji 😀 rtl \u202e'
    record = dict(RECORD, text=odd, text_entities=[{"type": "plain", "text": odd}], **{"from": None})
    [path] = render_json(tmp_path, ChatInfo(id=1, name=None, type="private_group"), None, [record])
    raw = path.read_text(encoding="utf-8")
    assert "\u2028" not in raw and "\\u2028" in raw and "\\u2029" in raw
    assert "😀" in raw  # UTF-8, not \u escapes, like Desktop
    data = json.loads(raw)
    assert data["name"] is None
    assert data["messages"] == [record]

"""An independent count of an account, written with plain Telethon as any third-party tool would be.

It imports nothing from this project: it reads the session file ``python -m sandbox serve
--session-file`` writes, walks the dialog list, reads every history with ``iter_messages`` and asks
each forum for its topics (``messages.getForumTopics``) and each topic for its count
(``messages.getReplies``), and reads an upgraded supergroup's older history in its basic group
(``channelFull.migrated_from_chat_id``). It prints JSON: ``{marked peer id: {"messages": n,
"topics": {id: n}, "migrated_from": {"peer_id": id, "messages": n}}}``.

    python tests/realtg/crosscheck.py SESSION_FILE
"""

from __future__ import annotations

import asyncio
import json
import sys

from telethon import TelegramClient, functions, utils
from telethon.crypto import rsa
from telethon.sessions import StringSession
from telethon.tl import types


async def forum_topics(client: TelegramClient, peer: object) -> list[types.ForumTopic]:
    """Every topic, paged by the last topic's (date, top message, id) as Telegram Desktop pages them."""
    topics: list[types.ForumTopic] = []
    offset_date, offset_id, offset_topic = None, 0, 0
    while True:
        page = await client(
            functions.messages.GetForumTopicsRequest(
                peer=peer,
                offset_date=offset_date,
                offset_id=offset_id,
                offset_topic=offset_topic,
                limit=100,
            )
        )
        fresh = [t for t in page.topics if isinstance(t, types.ForumTopic)]
        known = {t.id for t in topics}
        topics += [t for t in fresh if t.id not in known]
        if not fresh or len(topics) >= page.count:
            return topics
        last = fresh[-1]
        dates = {m.id: m.date for m in page.messages}
        offset_date, offset_id, offset_topic = dates.get(last.top_message), last.top_message, last.id


async def topic_count(client: TelegramClient, peer: object, topic_id: int) -> int:
    page = await client(
        functions.messages.GetRepliesRequest(
            peer=peer, msg_id=topic_id, offset_id=0, offset_date=None, add_offset=0, limit=1,
            max_id=0, min_id=0, hash=0,
        )
    )  # fmt: skip
    return getattr(page, "count", len(page.messages))


async def count_account(client: TelegramClient) -> dict[str, dict]:
    counts: dict[str, dict] = {}
    async for dialog in client.iter_dialogs():
        entity = dialog.entity
        ids = [m.id async for m in client.iter_messages(entity)]
        if len(ids) != len(set(ids)):
            raise SystemExit(f"{dialog.id}: a message came twice")
        entry: dict = {"messages": len(ids)}
        if getattr(entity, "megagroup", False):
            full = await client(functions.channels.GetFullChannelRequest(entity))
            old = full.full_chat.migrated_from_chat_id
            if old:
                # an upgraded group: its older history stays in the basic group
                old_ids = [m.id async for m in client.iter_messages(types.PeerChat(old))]
                entry["migrated_from"] = {"peer_id": -old, "messages": len(old_ids)}
        if getattr(entity, "forum", False):
            peer = utils.get_input_peer(entity)
            topics = await forum_topics(client, peer)
            entry["topics"] = {str(t.id): await topic_count(client, peer, t.id) for t in topics}
        counts[str(dialog.id)] = entry
    return counts


async def main(session_path: str) -> None:
    with open(session_path, encoding="utf-8") as file:
        session = json.load(file)
    if session.get("rsa_public_key"):
        rsa.add_key(session["rsa_public_key"].encode(), old=False)
    string = StringSession(session["string_session"])
    string.set_dc(session["dc_id"], session["host"], session["port"])
    client = TelegramClient(string, session["api_id"], session["api_hash"], receive_updates=False)
    await client.connect()
    try:
        print(json.dumps(await count_account(client)))
    finally:
        await client.disconnect()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))

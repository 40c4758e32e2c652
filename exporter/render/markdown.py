"""Markdown export for Obsidian and other Markdown readers.

Contract
--------
``render_markdown(out_dir, chat, topics, records, locate)`` writes and returns:

* outside forums: one file, ``<safe chat name>.md``;
* in forums: ``topics/<id> - <safe title>.md`` per topic (a topic in ``topics``
  without records still gets its file) and ``index.md`` linking them.

``records`` come as for the HTML renderer: ascending id, and in forums grouped
by topic, a topic never coming back once left (``ValueError`` otherwise).
Bodies are streamed to a ``.part`` file and the front matter (chat, topic,
message count, first and last date) is put in front once the counts are known,
so memory stays flat.

Each file starts with YAML front matter and a title, has a ``## YYYY-MM-DD``
heading per day, and gives every message a block id ``^msg-<ID>`` at the end of
its header paragraph, and an anchor ``<a id="^msg-<ID>"></a>`` at its start.
Links are ordinary Markdown links, which Obsidian reads too (its help, "Internal
links": Markdown links with the destination URL-encoded, ``#^id`` for a block):
``[Name: first words](#^msg-ID)`` inside the file and
``[…](<URL-encoded topic file>#^msg-ID)`` across topics.  Obsidian finds the
block id; other readers (CommonMark, GitHub, editors' previews) find the anchor,
whose id is the same ``^msg-ID`` the link's fragment names.  ``locate`` (see
:data:`~exporter.render.model.Locate`) tells whether and in which topic a target
exists, and a target not in the export is named, not linked; ``quote`` reads the
sender and first words of a target not among the file's recent messages.
Message text is escaped so nothing in it is read as Markdown, HTML or Obsidian
syntax; an ``&`` is escaped only where it would start a character reference,
so "Tom & Jerry" stays as written.

The escaping is in :mod:`.markdown_text`, the per-topic bookkeeping in :mod:`.sections`.
"""

from __future__ import annotations

import shutil
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import IO, Any
from urllib.parse import quote as url_quote

from exporter.records import FORWARDED_DATE
from exporter.render.common import (
    day_label,
    display_name,
    file_url,
    is_file_path,
    media_label,
    media_missing_reason,
    plain_text,
    poll_lines,
    reaction_label,
    reply_target,
    service_link_target,
    service_text,
    snippet,
    topic_marks,
)
from exporter.render.local_time import LocalTime
from exporter.render.markdown_comments import comments_callout
from exporter.render.markdown_text import anchor, escape_md, format_text, link_label, yaml_scalar
from exporter.render.model import ChatInfo, Locate, Quote, TopicInfo, bare_id, write_records
from exporter.render.names import safe_filename, topic_stem
from exporter.render.sections import Sections

Record = dict[str, Any]

INDEX_FILE = "index.md"
TOPICS_DIR = "topics"

# Messages remembered per file for reply labels; older targets are still linked, just unlabelled.
_RECENT = 1000

# File names keep clear of Obsidian's wiki-link syntax, so a reader may still link them as [[name]].
_WIKI_STEM_UNSAFE = str.maketrans(dict.fromkeys("[]|#^", "_"))
# Files readers show as pictures: photos (always JPEG) and stickers of these types.
_PICTURES = frozenset({"image/webp", "image/png", "image/jpeg"})


def render_markdown(
    out_dir: Path,
    chat: ChatInfo,
    topics: Sequence[TopicInfo] | None,
    records: Iterable[Record],
    locate: Locate,
    *,
    zone: str = "UTC",
    quote: Quote | None = None,
) -> list[Path]:
    return write_records([MarkdownWriter(out_dir, chat, topics, locate, zone=zone, quote=quote)], records)


# --------------------------------------------------------------------------- writer


class _File:
    """One Markdown file being written: its body goes to a .part file until the end."""

    def __init__(self, path: Path, stem: str, topic: int | None) -> None:
        self.path = path
        self.stem = stem
        self.topic = topic
        self.part = path.with_name(path.name + ".part")
        path.parent.mkdir(parents=True, exist_ok=True)
        # A lone surrogate (Telegram's UTF-16 entity offsets can split an emoji) has no UTF-8 form: "?".
        self.body: IO[str] = self.part.open("w", encoding="utf-8", errors="replace", newline="")
        self.count = 0
        self.first_date: str | None = None
        self.last_date: str | None = None
        self.day = ""
        # OrderedDict: dropping the oldest of a plain dict rescans its deleted slots.
        self.recent: OrderedDict[int, Record] = OrderedDict()


class MarkdownWriter(Sections):
    """The Markdown files of one export, written as records are added (see the module's contract)."""

    def __init__(
        self,
        out_dir: Path,
        chat: ChatInfo,
        topics: Sequence[TopicInfo] | None,
        locate: Locate,
        *,
        zone: str = "UTC",
        files_root: str = "../",
        quote: Quote | None = None,
    ) -> None:
        super().__init__(out_dir, chat, topics, locate, zone)
        self.quote = quote
        self.local = LocalTime(zone)
        self.file: _File | None = None
        # From out_dir to the folder the records' file paths start in: the export's own, one up
        # from its markdown/ (exporter.render.MARKDOWN_DIR).
        self.files_root = files_root

    def add(self, rec: Record) -> None:
        topic = self.section_of(rec)
        if self.is_new_section(topic):
            self.enter(topic)
        assert self.file is not None
        self.file.body.write(self._message(rec))
        self.file.count += 1
        date = rec.get("date")
        if date:
            self.file.first_date = self.file.first_date or date
            self.file.last_date = date
        recent = self.file.recent
        recent[rec["id"]] = rec
        if len(recent) > _RECENT:
            recent.popitem(last=False)

    def close(self) -> None:
        """Give up: the bot process lives on after a failed export, so no body file is left open."""
        if self.file is not None:
            self.file.body.close()
            self.file.part.unlink(missing_ok=True)
            self.file = None

    # ------------------------------------------------------------------ files

    def _stem(self, topic: int | None) -> str:
        if topic is None:
            return safe_filename(self.chat.name, fallback="chat").translate(_WIKI_STEM_UNSAFE)
        return topic_stem(topic, self.topic_title(topic)).translate(_WIKI_STEM_UNSAFE)

    def _begin_section(self, topic: int | None) -> None:
        stem = self._stem(topic)
        folder = self.out_dir if topic is None else self.out_dir / TOPICS_DIR
        self.file = _File(folder / f"{stem}.md", stem, topic)

    def _end_section(self) -> None:
        file = self.file
        if file is None:
            return
        self.file = None
        file.body.close()
        self.counts[file.topic] = file.count
        head = ["---", f"chat: {yaml_scalar(self.chat.name)}", f"chat_id: {bare_id(self.chat.id)}"]
        head.append(f"chat_type: {yaml_scalar(self.chat.type)}")
        if file.topic is not None:
            head.append(f"topic: {yaml_scalar(self.topic_title(file.topic))}")
            head.append(f"topic_id: {file.topic}")
        head.append(f"messages: {file.count}")
        if file.first_date:
            head.append(f"first_message: {file.first_date}")
            head.append(f"last_message: {file.last_date}")
            head.append(f"time_zone: {yaml_scalar(self.zone)}")
        title = self.topic_title(file.topic) if file.topic is not None else display_name(self.chat.name)
        head += ["---", "", f"# {escape_md(title)}", "", ""]
        with file.path.open("w", encoding="utf-8", errors="replace", newline="") as out:
            out.write("\n".join(head))
            if file.count == 0:
                out.write("*No messages*\n")
            with file.part.open("r", encoding="utf-8", newline="") as body:
                shutil.copyfileobj(body, out)
        file.part.unlink()
        self.written.append(file.path)

    def _write_index(self) -> None:
        order = self.index_order()
        total = sum(self.counts.values())
        lines = [
            "---",
            f"chat: {yaml_scalar(self.chat.name)}",
            f"chat_id: {bare_id(self.chat.id)}",
            f"chat_type: {yaml_scalar(self.chat.type)}",
            f"topics: {len(order)}",
            f"messages: {total}",
            "---",
            "",
            f"# {escape_md(display_name(self.chat.name))}",
            "",
        ]
        for topic_id in order:
            count = self.counts.get(topic_id, 0)
            marks = topic_marks(self.topics.get(topic_id))
            label = link_label(self.topic_title(topic_id)) or str(topic_id)
            suffix = f" ({', '.join(marks)})" if marks else ""
            target = f"{TOPICS_DIR}/{url_quote(self._stem(topic_id) + '.md', safe='')}"
            lines.append(f"- [{label}]({target}) — {count:,} message{'' if count == 1 else 's'}{suffix}")
        path = self.out_dir / INDEX_FILE
        path.write_text("\n".join(lines) + "\n", encoding="utf-8", errors="replace", newline="")
        self.written.append(path)

    # ------------------------------------------------------------------ messages

    def _link(self, target: int, label: str) -> str | None:
        """A Markdown link to a message of the export, or None if it is not in it."""
        file = self.file
        assert file is not None
        label = link_label(label) or f"message {target}"
        if target in file.recent:
            return f"[{label}](#^msg-{target})"
        found = self.locate(target)
        if found is None:
            return None
        topic = found[0]
        if topic == file.topic:
            return f"[{label}](#^msg-{target})"
        # Topic files sit side by side in topics/.
        return f"[{label}]({url_quote(self._stem(topic) + '.md', safe='')}#^msg-{target})"

    def _message(self, rec: Record) -> str:
        file = self.file
        assert file is not None
        msg_id = rec["id"]
        out: list[str] = []
        date = rec.get("date")
        if date and date[:10] != file.day:
            file.day = date[:10]
            out.append(f"## {file.day}\n\n")
        kind = rec.get("type")
        if kind == "unsupported":
            out.append(f"{anchor(msg_id)}*Unsupported message* ^msg-{msg_id}\n\n")
            return "".join(out)
        if kind == "service":
            line = f"{anchor(msg_id)}*{escape_md(service_text(rec))}*"
            target = service_link_target(rec)
            if target is not None:
                link = self._link(target, "view message")
                if link:
                    line += f" ({link})"
            out.append(f"{line} ^msg-{msg_id}\n\n")
            return "".join(out)

        header = [f"{anchor(msg_id)}**{escape_md(display_name(rec.get('from')))}**"]
        if "via_bot" in rec:
            header.append(f"via {escape_md(rec['via_bot'])}")
        header.append(date[11:16] if date else "")
        if "edited" in rec:
            header.append("*edited*")
        lines = [" · ".join(header)]
        if "forwarded_from" in rec:
            lines.append(self._forwarded(rec))
        target = reply_target(rec)
        if target is not None:
            lines.append(self._reply(rec, target))
        out.append("\n".join(lines) + f" ^msg-{msg_id}\n\n")

        body: list[str] = []
        media = self._media(rec)
        if media:
            body.append(media)
        text = rec.get("text")
        if text:
            body.append(format_text(text).strip("\n"))
        if "author" in rec:
            body.append(f"— *{escape_md(rec['author'])}*")
        if "reactions" in rec:
            body.append("Reactions: " + " · ".join(escape_md(reaction_label(r)) for r in rec["reactions"]))
        if "comments" in rec:
            body.append(comments_callout(rec["comments"]))
        if body:
            out.append("\n\n".join(body) + "\n\n")
        return "".join(out)

    def _reply(self, rec: Record, target: int) -> str:
        if "reply_to_peer_id" in rec:
            return "↩ *In reply to a message in another chat*"
        quoted = self.file.recent.get(target) if self.file else None
        if quoted is None and self.quote is not None and self.locate(target) is not None:
            quoted = self.quote(target)
        label = f"message {target}"
        if quoted is not None:
            label = f"{display_name(quoted.get('from') or quoted.get('actor'))}: {snippet(quoted, 60)}"
        link = self._link(target, label)
        if link is None:
            return "↩ *In reply to a message not in this export*"
        return f"↩ {link}"

    def _forwarded(self, rec: Record) -> str:
        """'Forwarded from Name · 6 May 2024 07:08': the original date when the stored record has it
        (result.json has no such field; see :data:`exporter.records.FORWARDED_DATE`)."""
        line = f"*Forwarded from {escape_md(display_name(rec['forwarded_from']))}"
        original = rec.get(FORWARDED_DATE)
        if original is not None:
            date = self.local.iso(int(original))
            line += f" · {day_label(date)} {date[11:16]}"
        return line + "*"

    def _media(self, rec: Record) -> str:
        if "poll" in rec:
            poll = rec["poll"]
            total = poll.get("total_voters") or 0
            state = "closed poll" if poll.get("closed") else "poll"
            lines = [
                f"**Poll:** {escape_md(plain_text(poll.get('question', '')))} "
                f"*({state}, {total:,} vote{'' if total == 1 else 's'})*"
            ]
            for text, voters, chosen, percent in poll_lines(poll):
                mark = "✓ " if chosen else ""
                lines.append(f"- {mark}{escape_md(text)} — {voters} ({percent}%)")
            return "\n".join(lines)
        label = media_label(rec)
        if label is None:
            return ""
        title = escape_md(label)
        key = next((k for k in ("photo", "file", "contact_vcard") if k in rec), None)
        url = self._file_url(rec[key]) if key is not None else None
        if url is None:
            # No file (a location, a contact without its vCard) or not in the archive: say why.
            reason = media_missing_reason(rec)
            return f"*\\[{title}{' — ' + escape_md(reason) if reason else ''}\\]*"
        kind = rec.get("media_type")
        if key == "photo" or (kind == "sticker" and rec.get("mime_type") in _PICTURES):
            return f"![{title}]({url})"
        thumb = self._file_url(rec.get("thumbnail"))
        if thumb is not None and kind in ("video_file", "video_message", "animation"):
            # The video's thumbnail, a link to the video: what a reader sees of it in Telegram.
            return f"[![{title}]({thumb})]({url})"
        return f"[{title}]({url})"

    def _file_url(self, path: Any) -> str | None:
        """The link to a file of the archive from the open Markdown file, or None when the record
        holds Desktop's sentence (or anything that is not a safe relative path) instead."""
        url = file_url(path) if is_file_path(path) else None
        if url is None:
            return None
        return (
            self.files_root + ("../" if self.file is not None and self.file.topic is not None else "") + url
        )

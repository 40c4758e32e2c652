"""Files in the HTML and Markdown exports: what each kind looks like, links that resolve from where the
page is, and paths that cannot become anything but a file of the archive."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest
from markdown_it import MarkdownIt

from exporter.records import FILE_NOT_INCLUDED, FILE_UNAVAILABLE
from exporter.render.html import render_html
from exporter.render.markdown import render_markdown
from exporter.render.model import ChatInfo, TopicInfo
from tests.exporter import history

TOO_BIG = "(File exceeds maximum size. Change data exporting settings to download.)"
PHOTO = "photos/photo_1@06-03-2023_13-07-19.jpg"

Record = dict[str, Any]


def kinds() -> list[Record]:
    """One message of every kind of file, downloaded or not, with the fields the converter writes."""
    m = history.message
    return [
        m(1, "", photo=PHOTO, photo_file_size=74899, width=1280, height=720),
        m(2, "", file="stickers/sticker.webp", file_name="sticker.webp", file_size=24827, media_type="sticker",
          sticker_emoji="😢", mime_type="image/webp", width=512, height=512),
        m(3, "", file="stickers/AnimatedSticker.tgs", file_name="AnimatedSticker.tgs", file_size=9000,
          media_type="sticker", mime_type="application/x-tgsticker", width=512, height=512),
        m(4, "", file="video_files/VID 1.mp4", file_name="VID 1.mp4", file_size=932032,
          thumbnail="video_files/VID 1.mp4_thumb.jpg", thumbnail_file_size=7073, media_type="video_file",
          mime_type="video/mp4", duration_seconds=48, width=960, height=1280),
        m(5, "", file="round_video_messages/file_1@16-03-2023_16-54-42.mp4", file_size=344862,
          thumbnail="round_video_messages/file_1@16-03-2023_16-54-42.mp4_thumb.jpg",
          media_type="video_message", mime_type="video/mp4", duration_seconds=2, width=384, height=384),
        m(6, "", file="video_files/animation.gif.mp4", file_name="animation.gif.mp4", file_size=224637,
          thumbnail="video_files/animation.gif.mp4_thumb.jpg", media_type="animation",
          mime_type="video/mp4", duration_seconds=3, width=270, height=480),
        m(7, "", file="voice_messages/audio_1@17-02-2023_11-03-34.ogg", file_size=214673,
          media_type="voice_message", mime_type="audio/ogg", duration_seconds=17),
        m(8, "", file="files/Кино - Группа крови.mp3", file_name="Кино - Группа крови.mp3", file_size=743989,
          media_type="audio_file", performer="Кино", title="Группа крови", mime_type="audio/mpeg"),
        m(9, "", file="files/report (1).pdf", file_name="report.pdf", file_size=123456,
          mime_type="application/pdf"),
        m(10, "", contact_information={"first_name": "Zoë", "last_name": "", "phone_number": "+1 555"},
          contact_vcard="contacts/contact_1.vcard", contact_vcard_file_size=40),
        m(11, "", photo=FILE_NOT_INCLUDED, photo_file_size=2048, width=800, height=600),
        m(12, "", file=TOO_BIG, file_name="big.mkv", file_size=900_000_000, media_type="video_file",
          mime_type="video/x-matroska", thumbnail="video_files/big.mkv_thumb.jpg", width=1920, height=1080),
        m(13, "", file=FILE_UNAVAILABLE, file_size=0, mime_type="application/zip"),
    ]  # fmt: skip


class Elements(HTMLParser):
    """Every element of a page as (tag, attributes), and the text inside each message."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None], int | None]] = []
        self.text: dict[int, str] = {}
        self.message: int | None = None
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if (found.get("id") or "").startswith("message"):
            self.message = int(found["id"].removeprefix("message"))  # type: ignore[union-attr]
        self.elements.append((tag, found, self.message))

    def handle_data(self, data: str) -> None:
        if self.message is not None:
            self.text[self.message] = self.text.get(self.message, "") + data

    def of(self, message: int, tag: str) -> list[dict[str, str | None]]:
        return [attrs for t, attrs, m in self.elements if m == message and t == tag]


def write_files(root: Path, records: list[Record]) -> None:
    """The files the records name, so links can be checked against a real folder."""
    for rec in records:
        for key in ("photo", "file", "thumbnail", "contact_vcard"):
            value = rec.get(key)
            if isinstance(value, str) and not value.startswith("("):
                (root / value).parent.mkdir(parents=True, exist_ok=True)
                (root / value).write_bytes(b"x")


def resolves(page: Path, url: str, root: Path) -> Path:
    """The file of the archive a relative URL on ``page`` names; fails for anything else."""
    parts = urlsplit(url)
    assert not parts.scheme and not parts.netloc and not parts.query and not parts.fragment, url
    target = (page.parent / unquote(parts.path)).resolve()
    assert target.is_relative_to(root.resolve()) and target.is_file(), f"{url} on {page} names no file"
    return target


def test_html_shows_every_kind_of_file_as_telegram_does(tmp_path: Path) -> None:
    records = kinds()
    write_files(tmp_path, records)
    chat = ChatInfo(id=1, name="Media", type="private_supergroup")
    render_html(tmp_path, chat, None, iter(records), history.locator(records))
    page = tmp_path / "messages.html"
    html = Elements(page.read_text(encoding="utf-8"))
    for tag, attrs, _ in html.elements:
        for name in ("src", "href", "poster"):
            if (
                tag in ("img", "video", "audio", "a")
                and attrs.get(name)
                and attrs.get("class") != "pagination"
            ):
                resolves(page, attrs[name], tmp_path)  # type: ignore[arg-type]

    # Photos and stickers: pictures, lazy, with a size that fits Desktop's boxes and keeps the shape.
    (photo,) = html.of(1, "img")
    assert (photo["src"], photo["loading"], photo["width"], photo["height"]) == (PHOTO, "lazy", "480", "270")
    (sticker,) = html.of(2, "img")
    assert (sticker["class"], sticker["width"], sticker["height"], sticker["alt"]) == (
        "sticker",
        "192",
        "192",
        "😢",
    )
    # An animated sticker (Lottie) is no picture a browser shows: a link to the file.
    assert not html.of(3, "img") and html.of(3, "a")[0]["href"] == "stickers/AnimatedSticker.tgs"
    # Videos: a player that loads nothing before a tap, the thumbnail as poster; GIFs loop, silent.
    (video,) = html.of(4, "video")
    assert (
        video["src"] == "video_files/VID%201.mp4" and video["poster"] == "video_files/VID%201.mp4_thumb.jpg"
    )
    assert (video["preload"], video["width"], video["height"]) == (
        "none",
        "360",
        "480",
    ) and "controls" in video
    (round_video,) = html.of(5, "video")
    assert round_video["class"] == "round" and round_video["width"] == round_video["height"] == "240"
    (gif,) = html.of(6, "video")
    assert {"autoplay", "loop", "muted", "playsinline"} <= gif.keys() and "controls" not in gif
    # Voice and music: the browser's audio player.
    for msg_id in (7, 8):
        (audio,) = html.of(msg_id, "audio")
        assert "controls" in audio and audio["preload"] == "none"
    assert (
        html.of(8, "audio")[0]["src"]
        == "files/%D0%9A%D0%B8%D0%BD%D0%BE%20-%20%D0%93%D1%80%D1%83%D0%BF%D0%BF%D0%B0%20%D0%BA%D1%80%D0%BE%D0%B2%D0%B8.mp3"
    )
    # Other files: one link with the name and the size.
    (link,) = html.of(9, "a")
    assert link["href"] == "files/report%20%281%29.pdf" and "report.pdf, 120.5 KB" in html.text[9]
    assert html.of(10, "a")[0]["href"] == "contacts/contact_1.vcard"
    # Not downloaded: Desktop's sentence, and the thumbnail when that was saved.
    assert "File not included. Change data exporting settings to download." in html.text[11]
    assert not html.of(11, "img")
    assert "File exceeds maximum size." in html.text[12]
    assert html.of(12, "img")[0]["src"] == "video_files/big.mkv_thumb.jpg" and not html.of(12, "video")
    assert "File unavailable, please try again later" in html.text[13] and not html.of(13, "a")


def test_forum_pages_link_files_two_folders_up(tmp_path: Path) -> None:
    records = [dict(rec, topic_id=5) for rec in kinds()[:2]]
    write_files(tmp_path, records)
    chat = ChatInfo(id=1, name="Forum", type="public_supergroup", is_forum=True)
    render_html(tmp_path, chat, [TopicInfo(5, "Pictures")], iter(records), history.locator(records))
    page = tmp_path / "topics" / "5" / "messages.html"
    html = Elements(page.read_text(encoding="utf-8"))
    srcs = [attrs["src"] for tag, attrs, _ in html.elements if tag == "img"]
    assert srcs == [f"../../{PHOTO}", "../../stickers/sticker.webp"]
    for src in srcs:
        resolves(page, src, tmp_path)  # type: ignore[arg-type]


# Paths that would leave the archive: never links, the file is "unavailable".
LEAVING = [
    "/etc/passwd",
    "//evil.example/x.jpg",
    "../../../etc/passwd",
    "photos/../../secret.jpg",
    "photos\\..\\..\\secret.jpg",
    "photos/./x.jpg",
    "photos/x.jpg\n",
    "https://evil.example/x.jpg",
]
# Paths that look like other schemes: percent-encoded, they are names of files in the archive.
SCHEMES = [
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "data:text/html,<script>alert(1)</script>",
]


@pytest.mark.parametrize("path", LEAVING + SCHEMES)
def test_a_path_is_a_file_of_the_archive_or_nothing(tmp_path: Path, path: str) -> None:
    """Records come from the store; a value that is not a plain relative path never becomes a link
    out of the archive (another scheme, another host, a parent folder), in HTML or in Markdown."""
    records = [history.message(1, "", photo=path, width=10, height=10), history.message(2, "", file=path)]
    chat = ChatInfo(id=1, name="Chat", type="private_supergroup")
    render_html(tmp_path, chat, None, iter(records), history.locator(records))
    render_markdown(tmp_path / "markdown", chat, None, iter(records), history.locator(records))
    html = Elements((tmp_path / "messages.html").read_text(encoding="utf-8"))
    markdown = next((tmp_path / "markdown").glob("*.md"))
    md_targets = markdown_targets(markdown.read_text(encoding="utf-8"))
    targets = [
        (tmp_path, value)
        for tag, attrs, _ in html.elements
        for name in ("src", "href", "poster")
        # The stylesheet and the script are the archive's own, not the records'.
        if tag not in ("link", "script") and (value := attrs.get(name)) is not None
    ] + [(markdown.parent, value) for value in md_targets]
    for folder, value in targets:
        parts = urlsplit(value)
        assert not parts.scheme and not parts.netloc and not parts.query and not parts.fragment, value
        assert (folder / unquote(parts.path)).resolve().is_relative_to(tmp_path.resolve()), value
    sentences = "".join(html.text.values()).count("File unavailable, please try again later")
    if path in LEAVING:
        assert not targets and sentences == 2
    else:
        # The photo (a link and a picture) and the file: each names a file called exactly ``path``.
        assert {unquote(urlsplit(value).path) for _, value in targets} == {path, f"../{path}"}
        assert sentences == 0


def test_odd_names_still_link_to_their_file(tmp_path: Path) -> None:
    """Spaces, '#', '?', '%', quotes and brackets in a name: escaped in the page, the file still found."""
    name = 'files/a "b" <c> #1 ?x=1 100% [d] (e).txt'
    records = [history.message(1, "", file=name, file_name="a.txt", file_size=1, mime_type="text/plain")]
    write_files(tmp_path, records)
    chat = ChatInfo(id=1, name="Chat", type="private_supergroup")
    render_html(tmp_path, chat, None, iter(records), history.locator(records))
    render_markdown(tmp_path / "markdown", chat, None, iter(records), history.locator(records))
    page = tmp_path / "messages.html"
    (link,) = Elements(page.read_text(encoding="utf-8")).of(1, "a")
    assert resolves(page, link["href"], tmp_path).name == name.removeprefix("files/")  # type: ignore[arg-type]
    markdown = next((tmp_path / "markdown").glob("*.md"))
    (target,) = markdown_targets(markdown.read_text(encoding="utf-8"))
    assert resolves(markdown, target, tmp_path).name == name.removeprefix("files/")


def markdown_targets(text: str) -> list[str]:
    """Where the links and pictures of a Markdown text point, as a CommonMark reader sees them."""
    found = []
    for block in MarkdownIt("commonmark").parse(text):
        for token in block.children or ():
            if token.type == "image":
                found.append(str(token.attrs["src"]))
            elif token.type == "link_open":
                found.append(str(token.attrs["href"]))
    return found


def test_markdown_pictures_players_and_links_resolve_in_a_commonmark_reader(tmp_path: Path) -> None:
    records = kinds()
    write_files(tmp_path, records)
    chat = ChatInfo(id=1, name="Media", type="private_supergroup")
    render_markdown(tmp_path / "markdown", chat, None, iter(records), history.locator(records))
    path = tmp_path / "markdown" / "Media.md"
    text = path.read_text(encoding="utf-8")
    images: list[str] = []
    links: list[str] = []
    for block in MarkdownIt("commonmark").parse(text):
        for token in block.children or ():
            if token.type == "image":
                images.append(str(token.attrs["src"]))
            elif token.type == "link_open":
                links.append(str(token.attrs["href"]))
    assert images == [
        f"../{PHOTO}",
        "../stickers/sticker.webp",
        "../video_files/VID%201.mp4_thumb.jpg",
        "../round_video_messages/file_1@16-03-2023_16-54-42.mp4_thumb.jpg",
        "../video_files/animation.gif.mp4_thumb.jpg",
    ]
    assert [unquote(link) for link in links] == [
        "../stickers/AnimatedSticker.tgs",
        "../video_files/VID 1.mp4",
        "../round_video_messages/file_1@16-03-2023_16-54-42.mp4",
        "../video_files/animation.gif.mp4",
        "../voice_messages/audio_1@17-02-2023_11-03-34.ogg",
        "../files/Кино - Группа крови.mp3",
        "../files/report (1).pdf",
        "../contacts/contact_1.vcard",
    ]
    for target in images + links:
        resolves(path, target, tmp_path)
    assert "File not included. Change data exporting settings to download." in text
    assert "File exceeds maximum size." in text and "File unavailable, please try again later" in text


def test_markdown_topic_files_link_two_folders_up(tmp_path: Path) -> None:
    records = [dict(rec, topic_id=5) for rec in kinds()[:1]]
    write_files(tmp_path, records)
    chat = ChatInfo(id=1, name="Forum", type="public_supergroup", is_forum=True)
    render_markdown(
        tmp_path / "markdown", chat, [TopicInfo(5, "Pictures")], iter(records), history.locator(records)
    )
    (path,) = (tmp_path / "markdown" / "topics").glob("*.md")
    (target,) = markdown_targets(path.read_text(encoding="utf-8"))
    assert target == f"../../{PHOTO}"
    resolves(path, target, tmp_path)


def test_custom_emoji_show_their_saved_picture_or_link_their_animation(tmp_path: Path) -> None:
    """document_id holds the saved file's path (as Desktop writes it), or Telegram's number if not saved."""
    static, animated = "stickers/sticker (3).webp", "stickers/AnimatedSticker.tgs"
    text = [
        {"type": "custom_emoji", "text": "😎", "document_id": static},
        " and ",
        {"type": "custom_emoji", "text": "🔥", "document_id": animated},
        {"type": "custom_emoji", "text": "🐍", "document_id": "5368324170671202300"},
    ]
    reactions = [
        {"type": "custom_emoji", "count": 8, "document_id": static},
        {"type": "custom_emoji", "count": 2, "document_id": "5368324170671202301"},
    ]
    records = [history.message(1, "", reactions=reactions) | {"text": text}]
    (tmp_path / "stickers").mkdir()
    for name in (static, animated):
        (tmp_path / name).write_bytes(b"x")
    chat = ChatInfo(id=1, name="Chat", type="private_supergroup")
    render_html(tmp_path, chat, None, iter(records), history.locator(records))
    page = tmp_path / "messages.html"
    html = Elements(page.read_text(encoding="utf-8"))
    pictures = html.of(1, "img")
    # In the text with the emoji it stands for; in a reaction, which has none, with the stand-in mark.
    picture = "stickers/sticker%20%283%29.webp"
    assert [(i["src"], i["alt"], i["width"]) for i in pictures] == [
        (picture, "😎", "20"),
        (picture, "◆", "20"),
    ]
    (link,) = html.of(1, "a")
    assert link["href"] == "stickers/AnimatedSticker.tgs"
    for element in [*pictures, link]:
        resolves(page, element.get("src") or element["href"], tmp_path)  # type: ignore[arg-type]
    assert " and 🔥🐍" in html.text[1] and "◆ 2" in html.text[1]

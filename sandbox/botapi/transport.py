"""Reading a Bot API request: query string, urlencoded, JSON or streamed multipart bodies.

aiogram sends files as ``multipart/form-data`` in chunked transfer encoding
(no Content-Length), with the method's field holding ``attach://<key>`` and the
bytes in a part named ``<key>``.  Parts are streamed to disk and counted here:
``request.post()`` would buffer them and trip aiohttp's ``client_max_size``
(1 MiB by default) with a plain-text 413 that aiogram cannot decode.

Like the real server (tdnet ``HttpReader``), every parameter ends up a string:
JSON bodies keep string values as they are and other values as JSON text.

Guess: the upload limit is compared with the total of the file parts' bytes
(api.telegram.org's front end limits the whole body, a few hundred bytes more).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import parse_qsl

from aiohttp import BodyPartReader, web

from .errors import BotApiError, bad_request, entity_too_large

CHUNK = 256 * 1024
MAX_PARAMETERS_BYTES = 1 << 20  # text parameters of one request; real limit unknown, generous


@dataclass(frozen=True)
class Upload:
    """A file part of a multipart request, already on disk."""

    field: str
    filename: str | None
    content_type: str | None
    size: int
    sha256: str
    path: Path  # temporary; the file store moves it when a method keeps it


class Params:
    """A request's parameters as the server reads them (``Query::arg`` and friends)."""

    def __init__(self, values: dict[str, str], uploads: dict[str, Upload]) -> None:
        self.values = values
        self.uploads = uploads

    def text(self, name: str) -> str:
        return self.values.get(name, "")

    def integer(self, name: str, default: int = 0, *, low: int | None = None, high: int | None = None) -> int:
        """``get_integer_arg``: a missing value is the default; garbage reads as 0; then clamp."""
        raw = self.values.get(name, "").strip()
        if not raw:
            return default
        try:
            value = int(raw)
        except ValueError:
            value = 0
        if low is not None:
            value = max(low, value)
        if high is not None:
            value = min(high, value)
        return value

    def flag(self, name: str) -> bool:
        raw = self.values.get(name, "")
        return raw.lower() == "true" or raw == "1"

    def json(self, name: str) -> Any:
        """The decoded JSON value, or None when missing or not JSON."""
        raw = self.values.get(name, "")
        if not raw:
            return None
        try:
            return json.loads(raw)
        except ValueError:
            return None

    def upload(self, name: str) -> Upload | str | None:
        """A file field: an upload (direct or via ``attach://``), a file_id/URL string, or None."""
        value = self.values.get(name, "")
        if value.startswith("attach://"):
            return self.uploads.get(value.removeprefix("attach://"))
        if value:
            return value
        return self.uploads.get(name)


async def read_params(request: web.Request, incoming: Path, upload_limit: int) -> Params:
    values: dict[str, str] = dict(request.query)
    uploads: dict[str, Upload] = {}
    if request.method == "POST" and request.body_exists:
        if request.content_type == "multipart/form-data":
            await _read_multipart(request, values, uploads, incoming, upload_limit)
        elif request.content_type == "application/json":
            values.update(_json_params(await _body(request)))
        else:
            text = (await _body(request)).decode("utf-8", "replace")
            values.update(parse_qsl(text, keep_blank_values=True))
    return Params(values, uploads)


async def _body(request: web.Request) -> bytes:
    try:
        return await request.read()
    except web.HTTPRequestEntityTooLarge:
        raise entity_too_large() from None


def _json_params(body: bytes) -> dict[str, str]:
    try:
        decoded = json.loads(body) if body.strip() else {}
    except ValueError:
        raise bad_request("JSON object expected") from None
    if not isinstance(decoded, dict):
        raise bad_request("JSON object expected")
    return {
        key: value if isinstance(value, str) else json.dumps(value)
        for key, value in decoded.items()
        if value is not None
    }


class _Sink:
    """One file part on its way to disk, hashed as it streams."""

    def __init__(self, incoming: Path) -> None:
        self.path = incoming / uuid.uuid4().hex
        # Plain blocking writes: 256 KiB chunks to a local disk take microseconds,
        # less than handing each chunk to an executor thread would.
        self._file: BinaryIO = self.path.open("wb")
        self._hash = hashlib.sha256()
        self.size = 0

    def write(self, chunk: bytes) -> None:
        self._file.write(chunk)
        self._hash.update(chunk)
        self.size += len(chunk)

    def finish(self, part: BodyPartReader, name: str) -> Upload:
        self._file.close()
        content_type = part.headers.get("Content-Type")
        return Upload(name, part.filename, content_type, self.size, self._hash.hexdigest(), self.path)

    def discard(self) -> None:
        self._file.close()
        self.path.unlink(missing_ok=True)


async def _read_multipart(
    request: web.Request,
    values: dict[str, str],
    uploads: dict[str, Upload],
    incoming: Path,
    upload_limit: int,
) -> None:
    reader = await request.multipart()
    text_bytes = 0
    too_large = False
    sink: _Sink | None = None
    try:
        while (part := await reader.next()) is not None:
            if not isinstance(part, BodyPartReader) or part.name is None:
                raise bad_request("field name in multipart/form-data not found")
            if part.filename is None:
                data = bytearray()
                while chunk := await part.read_chunk(CHUNK):
                    text_bytes += len(chunk)
                    if text_bytes > MAX_PARAMETERS_BYTES:
                        raise BotApiError(413, "Request Entity Too Large: too many parameters")
                    data += chunk
                values[part.name] = data.decode(part.get_charset("utf-8"), "replace")
                continue
            # Past the limit the rest is still read, so that the client gets a clean answer.
            sink = None if too_large else _Sink(incoming)
            while chunk := await part.read_chunk(CHUNK):
                # The limit covers the whole body: boundaries, headers and other fields too.
                if request.content.total_bytes > upload_limit and sink is not None:
                    too_large = True
                    sink.discard()
                    sink = None
                elif sink is not None:
                    sink.write(chunk)
            if sink is not None:
                uploads[part.name] = sink.finish(part, part.name)
                sink = None
    except BaseException:
        if sink is not None:
            sink.discard()
        discard(uploads)
        raise
    if too_large or request.content.total_bytes > upload_limit:
        discard(uploads)
        raise entity_too_large()


def discard(uploads: dict[str, Upload]) -> None:
    """Delete the uploads no method kept (kept ones were moved away already)."""
    for upload in uploads.values():
        with contextlib.suppress(FileNotFoundError):
            upload.path.unlink()

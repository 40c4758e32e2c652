"""Filters choose files too: when a filter says which files it keeps, those files are downloaded.

A top-level term about files (``has:`` a kind of file, ``size…``, ``ext:``) means every message the
export keeps holds such a file: the person asked for those files, so they are downloaded whatever
the media settings say (``has:video`` downloads the videos even where the settings choose photos
only).  ``size<20MB`` also raises the size limit to 20 MB, ``size>50MB`` lifts it (those are the
files asked for).  Terms under OR or NOT promise nothing about the files, and a filter without a
file term leaves the choice to the media settings.
"""

from __future__ import annotations

from .syntax import And, Compare, Ext, Has, Node, parse

# has: kinds → the media settings' kinds (exporter.options.MEDIA_TYPES) of their files.
_KIND_MEDIA = {
    "photo": ("photos",),
    "video": ("videos",),
    "gif": ("gifs",),
    "voice": ("voice",),
    "round": ("round",),
    "audio": ("files",),
    "file": ("files",),
    "sticker": ("stickers",),
    "media": ("photos", "videos", "gifs", "voice", "round", "stickers", "files"),
}
# ext: names a document's file name: any kind of document may carry it (a .mp4 is a video).
_DOCUMENTS = ("videos", "gifs", "voice", "round", "stickers", "files")
_NO_LIMIT = 1 << 62


def media_choice(query: str, kinds: tuple[str, ...], max_file_size: int) -> tuple[frozenset[str], int]:
    """The kinds of files to download and the size limit, given the filter and the media settings."""
    node = parse(query)
    chosen: set[str] = set()
    limit: int | None = None
    for term in _conjuncts(node):
        if isinstance(term, Has):
            chosen.update(k for kind in term.kinds for k in _KIND_MEDIA.get(kind, ()))
        elif isinstance(term, Ext):
            chosen.update(_DOCUMENTS)
        elif isinstance(term, Compare) and term.field == "size":
            bound = term.number if term.op in ("<", "<=", "=") else _NO_LIMIT
            limit = bound if limit is None else min(limit, bound)
            chosen.update(_KIND_MEDIA["media"])
    if not chosen:
        return frozenset(kinds), max_file_size
    # Every message kept holds a file of one of these kinds (it passed each term): a union is exact.
    return frozenset(chosen), max_file_size if limit is None else max(max_file_size, limit)


def _conjuncts(node: Node) -> tuple[Node, ...]:
    return node.items if isinstance(node, And) else (node,)

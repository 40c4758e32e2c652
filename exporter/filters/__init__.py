"""The one-line filter language of exports (docs/filters.md): parse, describe in words, evaluate.

:func:`syntax.parse` turns ``from:@alice has:photo,video -"giveaway"`` into a tree,
:func:`words.describe` reads it back in words, :func:`evaluate.bind` turns it into a
predicate over a stored record and its raw message, evaluated while paging
(exporter.fetch keeps only the matching messages in the store).  :mod:`pushdown` asks
Telegram's messages.search for what of a filter it can evaluate, :mod:`media` lets a filter
choose the files downloaded, :mod:`resolve` binds a filter for one export.
"""

from __future__ import annotations

from .evaluate import Context, FilterBindError, Predicate, bind, usernames
from .syntax import FilterSyntaxError, Node, parse
from .words import describe

__all__ = [
    "Context",
    "FilterBindError",
    "FilterSyntaxError",
    "Node",
    "Predicate",
    "bind",
    "describe",
    "parse",
    "usernames",
]

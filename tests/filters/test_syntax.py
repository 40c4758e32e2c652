"""The filter language's parser and its words: every term, precedence, escapes, and errors with positions."""

from __future__ import annotations

import pytest

from exporter.filters import FilterSyntaxError, describe, parse
from exporter.filters.syntax import (
    MAX_DEPTH,
    And,
    Compare,
    DateTerm,
    Ext,
    Flag,
    From,
    Has,
    Ids,
    Last,
    Not,
    Or,
    Reaction,
    Text,
    TopicTerm,
)


def word(text: str, phrase: bool = False) -> Text:
    return Text(text.casefold(), text, phrase)


@pytest.mark.parametrize(
    "query, tree",
    [
        ("from:@Alice_B", From("@alice_b")),
        ("from:me", From("me")),
        ("FROM:ME", From("me")),
        ("from:42", From("42")),
        ("from:-1001234567890", From("-1001234567890")),
        ("has:photo", Has(("photo",))),
        ("has:photo,video,photo", Has(("photo", "video"))),
        (
            "has:photo,video,gif,voice,round,audio,file,sticker,link,poll,geo,contact,media",
            Has(
                (
                    "photo",
                    "video",
                    "gif",
                    "voice",
                    "round",
                    "audio",
                    "file",
                    "sticker",
                    "link",
                    "poll",
                    "geo",
                    "contact",
                    "media",
                )
            ),
        ),
        ("after:2024-01-01", DateTerm("after", 2024, 1, 1)),
        ("before:2024-05", DateTerm("before", 2024, 5, None)),
        ("on:2024", DateTerm("on", 2024, None, None)),
        ("last:7d", Last(7 * 86400, "7d")),
        ("last:12h", Last(12 * 3600, "12h")),
        ("last:2w", Last(14 * 86400, "2w")),
        ("id:100..500", Ids(100, 500)),
        ("id:100", Ids(100, 100)),
        ("id:100..", Ids(100, None)),
        ("id:..500", Ids(None, 500)),
        ("topic:5", TopicTerm(5, None)),
        ('topic:"Release notes"', TopicTerm(None, "Release notes")),
        ('topic:"42"', TopicTerm(None, "42")),
        ("topic:Ideas", TopicTerm(None, "Ideas")),
        ("pinned", Flag("pinned")),
        ("fwd", Flag("fwd")),
        ("edited", Flag("edited")),
        ("mentions:me", Flag("mentions")),
        ("reaction:👍", Reaction("👍")),
        ("size>50MB", Compare("size", ">", 50 << 20, "50MB")),
        ("size<=1.5kb", Compare("size", "<=", 1536, "1.5kb")),
        ("size>=10", Compare("size", ">=", 10, "10")),
        ("views>100", Compare("views", ">", 100, "100")),
        ("views=7", Compare("views", "=", 7, "7")),
        ("ext:pdf,.ZIP", Ext(("pdf", "zip"))),
        ("Straße", word("Straße")),
        ('"two words"', word("two words", True)),
        ("http://example.com/a", word("http://example.com/a")),
    ],
)
def test_every_term(query: str, tree: object) -> None:
    assert parse(query) == tree


def test_words_are_casefolded_for_the_whole_of_unicode() -> None:
    assert parse("STRASSE") == Text("strasse", "STRASSE", False)
    assert parse("Straße").needle == "strasse"  # casefold, not lower: ß matches SS
    assert parse('"ΣΊΣΥΦΟΣ"').needle == "σίσυφοσ"


def test_and_binds_tighter_than_or_and_parentheses_group() -> None:
    a, b, c, d = (word(x) for x in "abcd")
    assert parse("a b | c d") == Or((And((a, b)), And((c, d))))
    assert parse("a b or c") == Or((And((a, b)), c))
    assert parse("a (b | c) d") == And((a, Or((b, c)), d))
    assert parse("((a))") == a
    assert parse("a|b|c") == Or((a, b, c))


def test_negation_binds_to_the_next_term_or_group() -> None:
    a, b = word("a"), word("b")
    assert parse("-a b") == And((Not(a), b))
    assert parse("~a") == Not(a)
    assert parse("not a b") == And((Not(a), b))
    assert parse("-(a | b)") == Not(Or((a, b)))
    assert parse("--a") == Not(Not(a))
    assert parse('-"giveaway"') == Not(word("giveaway", True))
    assert parse("2024-05") == word("2024-05")  # a dash inside a word is the word's


def test_backslash_escapes_and_quotes() -> None:
    assert parse(r"from\:me") == word("from:me")
    assert parse(r"\-a") == word("-a")
    assert parse(r"\or") == word("or")
    assert parse(r"a \or b") == And((word("a"), word("or"), word("b")))
    assert parse(r"a \not b") == And((word("a"), word("not"), word("b")))
    assert parse(r"\pinned") == word("pinned")
    assert parse(r"\edited fwd") == And((word("edited"), Flag("fwd")))
    assert parse('"or"') == word("or", True)
    assert parse(r'"say \"hi\""') == word('say "hi"', True)
    assert parse(r"a\ b") == word("a b")
    assert parse(r"\(x\)") == word("(x)")
    assert parse(r'topic:"a \"b\""') == TopicTerm(None, 'a "b"')


@pytest.mark.parametrize(
    "query, position, expected",
    [
        ("", 0, "something to search for"),
        ("   ", 3, "something to search for"),
        ("a |", 3, "something to search for"),
        ("| a", 0, "something to search for"),
        ("(a", 2, "“)”"),
        ("a)", 1, "a “)” that closes nothing"),
        ("()", 1, "something to search for inside the parentheses"),
        ("a -", 3, "something to search for after “-”"),
        ("not", 3, "something to search for after “not”"),
        ('"abc', 4, 'a closing quote (")'),
        ('""', 0, "some text inside the quotes"),
        ("a\\", 2, "a character after the backslash"),
        ("from:", 5, "a value after “from:”"),
        ("from:alice", 5, "me, @username or a numeric id"),
        ("has:photo,vidoe", 10, "a kind of content"),
        ("has:photo,", 10, "a kind of content"),
        ("after:2024-13", 6, "a date that exists"),
        ("on:24-01-01", 3, "a date YYYY, YYYY-MM or YYYY-MM-DD"),
        ("last:7y", 5, "a period such as 12h, 7d or 2w"),
        ("last:0d", 5, "a period"),
        ("id:500..100", 3, "a range whose first id is not above its last"),
        ("id:abc", 3, "an id or a range"),
        ("mentions:you", 9, "“me” after “mentions:”"),
        ("size>big", 5, "a size such as 50MB"),
        ("views>lots", 6, "a number after “views>”"),
        ("a form:@alice", 2, "a known key"),
    ],
)
def test_errors_give_the_position_and_what_was_expected(query: str, position: int, expected: str) -> None:
    with pytest.raises(FilterSyntaxError) as caught:
        parse(query)
    error = caught.value
    assert (error.position, error.query) == (position, query)
    assert expected in error.expected
    assert str(error) == f"expected {error.expected} at column {position + 1}"
    assert "\n" not in str(error)
    assert error.caret() == f"  {query}\n  {' ' * position}^"


@pytest.mark.parametrize(
    "query, words",
    [
        (
            'from:@alice has:photo,video after:2024-01-01 -"giveaway"',
            "from @alice · photos or videos · since 1 Jan 2024 · without “giveaway”",
        ),
        ("from:me | from:42", "from me or from id 42"),
        ("(a | b) -(c d)", "(containing “a” or containing “b”) · not (containing “c” · containing “d”)"),
        ("before:2024-05 on:2023 on:2023-02-03", "before May 2024 · in 2023 · on 3 Feb 2023"),
        (
            "last:7d last:1d last:36h last:2w",
            "in the last week · in the last day · in the last 36 hours · in the last 2 weeks",
        ),
        ("id:5 id:1..9 id:3.. id:..4", "message 5 · messages 1 to 9 · messages from 3 · messages up to 4"),
        ('topic:3 topic:"Ideas"', "in topic 3 · in topic “Ideas”"),
        ("pinned fwd edited mentions:me -fwd", "pinned · forwarded · edited · mentioning me · not forwarded"),
        (
            "reaction:🔥 size>50MB views>=1000 ext:pdf,zip",
            "with a 🔥 reaction · files over 50MB · at least 1,000 views · .pdf or .zip files",
        ),
    ],
)
def test_words(query: str, words: str) -> None:
    assert describe(parse(query)) == words


# The opening of one level, its closing, and where the level past MAX_DEPTH starts ("(-" is two).
@pytest.mark.parametrize(
    ("opening", "closing", "levels", "position"),
    [("(", ")", 1, 100), ("-", "", 1, 100), ("not ", "", 1, 400), ("(-", ")", 2, 100)],
    ids=["parens", "minus", "not", "mixed"],
)
def test_nesting_is_capped_with_a_syntax_error_not_a_recursion_error(
    opening: str, closing: str, levels: int, position: int
) -> None:
    fine = opening * (MAX_DEPTH // levels) + "x" + closing * (MAX_DEPTH // levels)
    assert describe(parse(fine))  # the deepest allowed parses, and its tree can be walked
    with pytest.raises(FilterSyntaxError) as caught:
        parse(opening * 5000 + "x" + closing * 5000)
    assert caught.value.position == position
    assert f"not more than {MAX_DEPTH} nested" in caught.value.expected

"""parse_mode parsing: Telegram's error messages and entity offsets, checked against TDLib's own test vectors.

The expected strings are those of TDLib's ``test/message_entities.cpp``: offsets
in errors are UTF-8 byte offsets, entity offsets are UTF-16 units ("🏟" is 4
bytes and 2 units).
"""

from __future__ import annotations

import pytest

from sandbox.botapi.errors import BotApiError
from sandbox.botapi.formatting import ParseError, parse_html, parse_markdown, parse_markdown_v2, prepare_text


def no_users(user_id: int) -> None:
    return None


def shape(parsed: object) -> tuple[str, list[tuple[object, ...]]]:
    text, entities = parsed.text, parsed.entities  # type: ignore[attr-defined]
    return text, [
        (e["type"], e["offset"], e["length"], *[e[k] for k in ("language", "url") if k in e])
        for e in entities
    ]


RESERVED = "Character '{}' is reserved and must be escaped with the preceding '\\'"


@pytest.mark.parametrize(
    ("source", "error"),
    [
        ("🏟 🏟_abacaba", "Can't find end of Italic entity at byte offset 9"),
        ("🏟 🏟_abac * asd ", "Can't find end of Bold entity at byte offset 15"),
        ("🏟 🏟`", "Can't find end of Code entity at byte offset 9"),
        ("🏟 🏟```a", "Can't find end of Pre entity at byte offset 9"),
        ("🏟 🏟```a ", "Can't find end of PreCode entity at byte offset 9"),
        ("🏟 🏟_🏟 🏟__", "Can't find end of Underline entity at byte offset 19"),
        ("🏟 🏟```🏟 🏟`", "Can't find end of Code entity at byte offset 21"),
        ("[telegram\\.org](asd", "Can't find end of a URL at byte offset 16"),
        ("🏟 🏟||test\\|", "Can't find end of Spoiler entity at byte offset 9"),
        ("🏟 🏟![", "Can't find end of CustomEmoji entity at byte offset 9"),
        (">*b\n>ld \n>bo\nld*\nasd\ndef", "Can't find end of Bold entity at byte offset 1"),
        (">asd\n>q||ew\n||asdad", "Can't find end of Spoiler entity at byte offset 7"),
        (">\n*a*>2", RESERVED.format(">")),
        ("Done. 100%!", RESERVED.format(".")),
        ("a-b", RESERVED.format("-")),
    ],
)
def test_markdown_v2_errors(source: str, error: str) -> None:
    with pytest.raises(ParseError) as caught:
        parse_markdown_v2(source, no_users)
    assert str(caught.value) == error


@pytest.mark.parametrize(
    ("source", "text", "entities"),
    [
        ("\\\\", "\\", []),
        ("🏟 🏟_abac \\* asd _", "🏟 🏟abac * asd ", [("italic", 5, 11)]),
        ("🏟 🏟_🏟 __🏟___", "🏟 🏟🏟 🏟", [("italic", 5, 5), ("underline", 8, 2)]),
        ("🏟 🏟```🏟\r\n🏟```", "🏟 🏟🏟", [("pre", 5, 2, "🏟")]),
        ("||test||", "test", [("spoiler", 0, 4)]),
        ("`_* *_`__*` `*__", "_* *_ ", [("code", 0, 5), ("code", 5, 1), ("bold", 5, 1), ("underline", 5, 1)]),
        ("[ ](telegram.org)", " ", [("text_link", 0, 1, "http://telegram.org/")]),
        ("[ ](as)", " ", []),
        ("abc\n> \n> \n>\ndef", "abc\n \n \n\ndef", [("blockquote", 4, 5)]),
        ("**>abc\n>def||", "abc\ndef", [("expandable_blockquote", 0, 7)]),
    ],
)
def test_markdown_v2_entities(source: str, text: str, entities: list[tuple[object, ...]]) -> None:
    assert shape(parse_markdown_v2(source, no_users)) == (text, entities)


@pytest.mark.parametrize(
    ("source", "error"),
    [
        ("🏟 🏟&lt;<abacaba", "Unclosed start tag at byte offset 13"),
        ("🏟 🏟&lt;<abac aba>", 'Unsupported start tag "abac" at byte offset 13'),
        ("🏟 🏟&lt;<i   =aba>", 'Empty attribute name in the tag "i" at byte offset 13'),
        ("🏟 🏟&lt;<i    aba>", 'Can\'t find end tag corresponding to start tag "i"'),
        ("🏟 🏟&lt;<i    aba  =  ", 'Unclosed start tag "i" at byte offset 13'),
        ("🏟 🏟&lt;<i    aba  =  190azAz-.,", "Unexpected end of name token at byte offset 27"),
        ("🏟 🏟&lt;<b></b></", "Unexpected end tag at byte offset 20"),
        ("🏟 🏟&lt;<i>a</i   ", "Unclosed end tag at byte offset 17"),
        ("🏟 🏟&lt;<i>a</em   >", 'Unmatched end tag at byte offset 17, expected "</i>", found "</em>"'),
        ("<span>x</span>", 'Tag "span" must have class "tg-spoiler" at byte offset 0'),
        (
            "&#57311;",
            "Text contains invalid Unicode characters after decoding HTML entities, check for unmatched "
            "surrogate code units",
        ),
    ],
)
def test_html_errors(source: str, error: str) -> None:
    with pytest.raises(ParseError) as caught:
        parse_html(source, no_users)
    assert str(caught.value) == error


@pytest.mark.parametrize(
    ("source", "text", "entities"),
    [
        ("&ge;&lt;&gt;&amp;&quot;&#12345678;", '&ge;<>&"&#12345678;', []),
        ("🏟 🏟<i>🏟 &gt;<b aba   =   caba>&lt🏟</b></i>", "🏟 🏟🏟 ><🏟", [("italic", 5, 7), ("bold", 9, 3)]),
        ("🏟 🏟&lt;<i    aba  =  '&lt;&gt;&quot;'>a</>", "🏟 🏟<a", [("italic", 6, 1)]),
        ("🏟 🏟&lt;<b></b>", "🏟 🏟<", []),
        ("<a>telegram.org</a>", "telegram.org", [("text_link", 0, 12, "http://telegram.org/")]),
        ("<pre><code>x</code></pre>", "x", [("pre", 0, 1), ("code", 0, 1)]),
        ('<pre><code class="language-py">x</code></pre>', "x", [("pre", 0, 1, "py")]),
        (
            "<blockquote expandable>a&lt;<pre>b;</></>",
            "a<b;",
            [("expandable_blockquote", 0, 4), ("pre", 2, 2)],
        ),
    ],
)
def test_html_entities(source: str, text: str, entities: list[tuple[object, ...]]) -> None:
    assert shape(parse_html(source, no_users)) == (text, entities)


def test_legacy_markdown() -> None:
    parsed = parse_markdown("*bold* _it_ `c` ```py\nx```", no_users)
    assert shape(parsed) == (
        "bold it c x",
        [("bold", 0, 4), ("italic", 5, 2), ("code", 8, 1), ("pre", 10, 1, "py")],
    )
    with pytest.raises(ParseError, match="Can't find end of the entity starting at byte offset 2"):
        parse_markdown("a *b", no_users)


def test_text_mentions_need_a_known_user() -> None:
    known = {7: {"id": 7, "is_bot": False, "first_name": "Ann"}}
    parsed = parse_html('<a href="tg://user?id=7">Ann</a> <a href="tg://user?id=8">Bob</a>', known.get)
    assert parsed.entities == [{"type": "text_mention", "offset": 0, "length": 3, "user": known[7]}]


def test_prepare_text_trims_and_wraps_errors() -> None:
    prepared = prepare_text("  <b>hi</b> \n", "HTML", "", no_users)
    assert (prepared.text, prepared.entities) == ("hi", [{"type": "bold", "offset": 0, "length": 2}])
    assert prepared.length == 2
    with pytest.raises(BotApiError) as caught:
        prepare_text("<b>hi", "html", "", no_users)
    assert caught.value.description == (
        "Bad Request: can't parse entities: Can't find end tag corresponding to start tag \"b\""
    )
    with pytest.raises(BotApiError, match="Bad Request: unsupported parse_mode"):
        prepare_text("hi", "BBCode", "", no_users)
    # Without parse_mode the markup characters are plain text; explicit entities are kept.
    plain = prepare_text("a_b*c", "", '[{"type": "bold", "offset": 0, "length": 1}]', no_users)
    assert (plain.text, plain.entities) == ("a_b*c", [{"type": "bold", "offset": 0, "length": 1}])

"""Telegram's ``parse_mode=HTML``: the supported subset, parsed into text + entities.

Telegram does not accept general HTML: an unknown tag (``<br>``, ``<p>``), an unclosed
or crossed tag, or an unescaped ``<`` or ``&`` from user input makes the whole request
fail with "can't parse entities". The bot must escape everything it interpolates.
The fake parses exactly the documented subset and stores the resulting plain text and
entities (UTF-16 offsets), so tests see what a Telegram client would show.

Deliberately strict where Telegram is lenient: a bare ``&`` that does not start one of
``&lt; &gt; &amp; &quot;`` or a numeric reference is refused (it is almost always an
unescaped user-provided string).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from .utf16 import byte_offset, utf16_len

_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_ENTITY_RE = re.compile(r"&(#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]*);")
_TAG_NAME_RE = re.compile(r"[A-Za-z][A-Za-z0-9-]*")
_END_TAG_RE = re.compile(r"</([A-Za-z][A-Za-z0-9-]*)?\s*>")
_ATTR_RE = re.compile(r"""\s+([A-Za-z][A-Za-z0-9_-]*)(?:\s*=\s*("[^"]*"|'[^']*'|[^\s"'>]+))?""")

_SIMPLE_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "code": "code",
    "pre": "pre",
}
SUPPORTED_TAGS = frozenset({*_SIMPLE_TAGS, "span", "a", "blockquote", "tg-emoji", "tg-time"})


class EntityParseError(ValueError):
    """The text cannot be parsed; the message becomes Telegram's error description."""


@dataclass
class _Open:
    tag: str
    start: int  # UTF-16 offset in the plain text
    entity: dict[str, Any] | None  # None: tag that makes no entity of its own


def parse_html(source: str) -> tuple[str, list[dict[str, Any]]]:
    """Plain text and entities of an HTML-formatted message, or :class:`EntityParseError`."""
    out: list[str] = []
    pos = 0  # UTF-16 length of what is in ``out``
    stack: list[_Open] = []
    entities: list[dict[str, Any]] = []
    i = 0
    n = len(source)
    while i < n:
        ch = source[i]
        if ch == "&":
            char, i = _decode_entity(source, i)
            out.append(char)
            pos += utf16_len(char)
        elif ch == "<" and source.startswith("</", i):
            i = _close_tag(source, i, stack, entities, pos)
        elif ch == "<":
            opened, i = _open_tag(source, i, stack)
            stack.append(_Open(opened[0], pos, opened[1]))
        else:
            out.append(ch)
            pos += utf16_len(ch)
            i += 1
    if stack:
        raise EntityParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1].tag}"')
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(out), entities


def _decode_entity(source: str, i: int) -> tuple[str, int]:
    m = _ENTITY_RE.match(source, i)
    if m is None:
        raise EntityParseError(
            f"Character '&' at byte offset {byte_offset(source, i)} does not start an HTML "
            "entity; escape it as &amp;"
        )
    name = m.group(1)
    if name.startswith(("#x", "#X")):
        code = int(name[2:], 16)
    elif name.startswith("#"):
        code = int(name[1:])
    elif name in _NAMED:
        return _NAMED[name], m.end()
    else:
        raise EntityParseError(
            f'Unsupported HTML entity "&{name};" at byte offset {byte_offset(source, i)}; '
            "only &lt; &gt; &amp; &quot; and numeric entities are supported"
        )
    if not 0 < code <= 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        raise EntityParseError(f"Invalid HTML entity at byte offset {byte_offset(source, i)}")
    return chr(code), m.end()


def _open_tag(
    source: str, i: int, stack: list[_Open]
) -> tuple[tuple[str, dict[str, Any] | None], int]:
    at = byte_offset(source, i)
    m = _TAG_NAME_RE.match(source, i + 1)
    if m is None:
        raise EntityParseError(f'Unsupported start tag "" at byte offset {at}')
    tag = m.group(0).lower()
    if tag not in SUPPORTED_TAGS:
        raise EntityParseError(f'Unsupported start tag "{tag}" at byte offset {at}')
    attrs: dict[str, str] = {}
    j = m.end()
    while True:
        am = _ATTR_RE.match(source, j)
        if am is None:
            break
        raw = am.group(2)
        value = "" if raw is None else raw.strip("\"'") if raw[:1] in "\"'" else raw
        attrs[am.group(1).lower()] = _unescape_attr(value)
        j = am.end()
    while j < len(source) and source[j].isspace():
        j += 1
    if j >= len(source) or source[j] != ">":
        raise EntityParseError(f"Unclosed start tag at byte offset {at}")
    return (tag, _entity_for(tag, attrs, stack, at)), j + 1


def _unescape_attr(value: str) -> str:
    def repl(m: re.Match[str]) -> str:
        name = m.group(1)
        if name.startswith(("#x", "#X")):
            return chr(int(name[2:], 16))
        if name.startswith("#"):
            return chr(int(name[1:]))
        return _NAMED.get(name, m.group(0))

    return _ENTITY_RE.sub(repl, value)


def _entity_for(
    tag: str, attrs: dict[str, str], stack: list[_Open], at: int
) -> dict[str, Any] | None:
    if tag == "code" and stack and stack[-1].tag == "pre" and stack[-1].entity is not None:
        language = attrs.get("class", "")
        if language.startswith("language-") and len(language) > len("language-"):
            stack[-1].entity["language"] = language[len("language-") :]
        return None  # <pre><code> is one pre entity
    if tag in _SIMPLE_TAGS:
        return {"type": _SIMPLE_TAGS[tag]}
    if tag == "span":
        if attrs.get("class") != "tg-spoiler":
            raise EntityParseError('Tag "span" must have class "tg-spoiler"')
        return {"type": "spoiler"}
    if tag == "a":
        href = attrs.get("href", "")
        if not href:
            raise EntityParseError(f'Tag "a" at byte offset {at} must have an "href" attribute')
        m = re.fullmatch(r"tg://user\?id=(\d+)", href)
        if m:
            return {"type": "text_mention", "user": {"id": int(m.group(1))}}
        return {"type": "text_link", "url": href}
    if tag == "blockquote":
        return {"type": "expandable_blockquote" if "expandable" in attrs else "blockquote"}
    if tag == "tg-emoji":
        emoji_id = attrs.get("emoji-id", "")
        if not emoji_id.isdigit():
            raise EntityParseError('Tag "tg-emoji" must have a numeric "emoji-id" attribute')
        return {"type": "custom_emoji", "custom_emoji_id": emoji_id}
    # tg-time
    unix = attrs.get("unix", "")
    if not unix.lstrip("-").isdigit():
        raise EntityParseError('Tag "tg-time" must have a numeric "unix" attribute')
    entity: dict[str, Any] = {"type": "date_time", "unix_time": int(unix)}
    if attrs.get("format"):
        entity["date_time_format"] = attrs["format"]
    return entity


def _close_tag(
    source: str, i: int, stack: list[_Open], entities: list[dict[str, Any]], pos: int
) -> int:
    at = byte_offset(source, i)
    m = _END_TAG_RE.match(source, i)
    if m is None:
        raise EntityParseError(f"Unclosed end tag at byte offset {at}")
    name = (m.group(1) or "").lower()
    if not stack:
        raise EntityParseError(f"Unexpected end tag at byte offset {at}")
    top = stack[-1]
    if name and name != top.tag:
        raise EntityParseError(
            f'Unmatched end tag at byte offset {at}, expected "</{top.tag}>", found "</{name}>"'
        )
    stack.pop()
    if top.entity is not None and pos > top.start:
        entities.append({**top.entity, "offset": top.start, "length": pos - top.start})
    return m.end()

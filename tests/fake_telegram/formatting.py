"""Message text as Telegram stores it: parse_mode applied, whitespace trimmed, limits checked.

What a test sees in ``message["text"]`` is the text a user would see, with the entities
Telegram would return, so "the code is shown in monospace" can be asserted as "there
is a ``code`` entity over the six digits".
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from .errors import bad_request
from .html_entities import EntityParseError, parse_html
from .markdown import parse_markdown_legacy, parse_markdown_v2
from .utf16 import utf16_len

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024

#: Characters Telegram trims from both ends of a message text.
_TRIMMED = " \t\n\r\u00a0\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u200b"

_AUTO_ENTITY_RE = re.compile(
    r"(?P<mention>(?<![\w@])@[A-Za-z][A-Za-z0-9_]{3,31}(?!\w))"
    r"|(?P<url>\bhttps?://[^\s<>\"]+)"
)

#: What a bot command's name and a bot's @name are made of (ASCII only, as in tdlib).
_COMMAND_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_")


def parse_formatted(
    text: str,
    parse_mode: str | None,
    entities: list[dict[str, Any]] | None,
    *,
    caption: bool = False,
) -> tuple[str, list[dict[str, Any]]]:
    """The stored text and entities for a bot-sent text or caption, or an :class:`ApiError`.

    ``entities`` given explicitly win over ``parse_mode`` (as in the Bot API).
    """
    what = "caption" if caption else "text"
    if entities is not None:
        plain, parsed = text, [dict(e) for e in entities]
        _check_entities(plain, parsed)
    elif parse_mode:
        plain, parsed = _parse_mode(text, parse_mode, what)
    else:
        plain, parsed = text, []
    plain, parsed = _trim(plain, parsed)
    limit = CAPTION_LIMIT if caption else TEXT_LIMIT
    if not plain and not caption:
        raise bad_request("message text is empty", violation=True)
    if utf16_len(plain) > limit:
        raise bad_request(
            "message caption is too long" if caption else "message is too long", violation=True
        )
    return plain, parsed


def _parse_mode(text: str, parse_mode: str, what: str) -> tuple[str, list[dict[str, Any]]]:
    mode = parse_mode.lower()
    try:
        if mode == "html":
            return parse_html(text)
        if mode == "markdownv2":
            return parse_markdown_v2(text)
        if mode == "markdown":
            return parse_markdown_legacy(text)
    except EntityParseError as exc:
        suffix = "" if what == "text" else " in message caption"
        raise bad_request(f"can't parse entities{suffix}: {exc}", violation=True) from exc
    raise bad_request(f"unsupported parse_mode {parse_mode!r}", violation=True)


def _check_entities(text: str, entities: list[dict[str, Any]]) -> None:
    length = utf16_len(text)
    for e in entities:
        offset, size = e.get("offset"), e.get("length")
        if not isinstance(offset, int) or not isinstance(size, int) or offset < 0 or size < 1:
            raise bad_request(f"can't parse entities: invalid entity {e}", violation=True)
        if offset + size > length:
            raise bad_request(
                f"can't parse entities: entity {e} ends after the text ({length})", violation=True
            )


def _trim(text: str, entities: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    """Trim whitespace at both ends like Telegram, clipping entities to the kept text."""
    stripped = text.strip(_TRIMMED)
    if stripped == text:
        return text, entities
    if not stripped:
        return "", []
    lead = utf16_len(text[: len(text) - len(text.lstrip(_TRIMMED))])
    end = lead + utf16_len(stripped)
    kept: list[dict[str, Any]] = []
    for e in entities:
        start = max(e["offset"], lead)
        stop = min(e["offset"] + e["length"], end)
        if stop > start:
            kept.append({**e, "offset": start - lead, "length": stop - start})
    return stripped, kept


def auto_entities(text: str) -> list[dict[str, Any]]:
    """Entities Telegram detects in a user's plain text: commands, @mentions, URLs."""
    spans = [(start, end, "bot_command") for start, end in bot_commands(text)]
    for m in _AUTO_ENTITY_RE.finditer(text):
        if not any(start < m.end() and m.start() < end for start, end, _ in spans):
            spans.append((m.start(), m.end(), m.lastgroup or "url"))
    return [
        {
            "offset": utf16_len(text[:start]),
            "length": utf16_len(text[start:end]),
            "type": kind,
        }
        for start, end, kind in sorted(spans)
    ]


def bot_commands(text: str) -> list[tuple[int, int]]:
    """Where Telegram marks bot commands in ``text`` (start and end, in code points), as
    tdlib's ``match_bot_commands`` finds them: "/" and 1-64 of ``[A-Za-z0-9_]``, then
    maybe "@" and a bot's name of 3-32 of them (a shorter or longer one drops the
    command); neither side may touch a letter, digit, "_", "/", "<" or ">". So a command
    ends at the first character that cannot be part of one: ``/members.`` is
    ``/members``, ``/secret:add`` is ``/secret``; ``/start/x`` and ``a/start`` are none.
    """
    found: list[tuple[int, int]] = []
    position = 0
    while (slash := text.find("/", position)) >= 0:
        position = slash + 1
        if slash > 0 and _touches_command(text[slash - 1]):
            continue
        position = _skip_command_chars(text, position)
        if not 1 <= position - (slash + 1) <= 64:
            continue
        if position < len(text) and text[position] == "@":
            name_start = position + 1
            position = _skip_command_chars(text, name_start)
            if not 3 <= position - name_start <= 32:
                continue
        if position < len(text) and _touches_command(text[position]):
            continue
        found.append((slash, position))
    return found


def _skip_command_chars(text: str, position: int) -> int:
    while position < len(text) and text[position] in _COMMAND_CHARS:
        position += 1
    return position


def _touches_command(ch: str) -> bool:
    """tdlib's ``is_word_character`` (letters and numbers of any script, "_") or "/<>"."""
    return ch in "_/<>" or unicodedata.category(ch)[0] in "LN"

"""Telegram's ``parse_mode=MarkdownV2`` (and legacy ``Markdown``), parsed into text + entities.

MarkdownV2 is the mode bots most often get wrong: every one of
``_*[]()~`>#+-=|{}.!`` outside an entity must be escaped with ``\\``, so a user name
like ``anna.k`` or a code like ``12-34`` breaks the message. This parser covers the
documented syntax closely enough to refuse what Telegram refuses and to produce the
entities a well-formed message has. Edge cases of the real parser (ambiguous ``___``
runs, crossing entities) are refused rather than guessed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .html_entities import EntityParseError
from .utf16 import byte_offset, utf16_len

RESERVED_V2 = frozenset("_*[]()~`>#+-=|{}.!")

_KIND_NAMES = {
    "bold": "Bold",
    "italic": "Italic",
    "underline": "Underline",
    "strikethrough": "Strikethrough",
    "spoiler": "Spoiler",
    "code": "Code",
    "pre": "Pre",
    "text_link": "TextUrl",
    "custom_emoji": "CustomEmoji",
}
_TOGGLES = (
    ("__", "underline"),
    ("||", "spoiler"),
    ("*", "bold"),
    ("_", "italic"),
    ("~", "strikethrough"),
)


@dataclass
class _Open:
    kind: str
    start: int  # UTF-16 offset in the output
    at: int  # byte offset in the source, for error messages
    extra: dict[str, Any] = field(default_factory=dict)


class _Builder:
    def __init__(self) -> None:
        self.out: list[str] = []
        self.pos = 0
        self.entities: list[dict[str, Any]] = []

    def add(self, text: str) -> None:
        self.out.append(text)
        self.pos += utf16_len(text)

    def close(self, opened: _Open, end: int | None = None) -> None:
        end = self.pos if end is None else end
        if end > opened.start:
            self.entities.append(
                {"type": opened.kind, "offset": opened.start, "length": end - opened.start}
                | opened.extra
            )

    def result(self) -> tuple[str, list[dict[str, Any]]]:
        self.entities.sort(key=lambda e: (e["offset"], -e["length"]))
        return "".join(self.out), self.entities


def _reserved(ch: str) -> EntityParseError:
    return EntityParseError(
        f"Character '{ch}' is reserved and must be escaped with the preceding '\\'"
    )


def parse_markdown_v2(source: str) -> tuple[str, list[dict[str, Any]]]:
    """Plain text and entities of a MarkdownV2 message, or :class:`EntityParseError`."""
    b = _Builder()
    stack: list[_Open] = []
    quote: _Open | None = None
    i, n = 0, len(source)
    line_start = True
    while i < n:
        ch = source[i]
        in_code = bool(stack) and stack[-1].kind in ("code", "pre")
        if line_start and not in_code:
            line_start = False
            if source.startswith("**>", i) or ch == ">":
                if quote is None:
                    kind = "expandable_blockquote" if ch == "*" else "blockquote"
                    quote = _Open(kind, b.pos, byte_offset(source, i))
                i += 3 if ch == "*" else 1
                continue
            if quote is not None:
                b.close(quote, b.pos - 1)  # the quote ends before the line break
                quote = None
        if ch == "\\":
            if i + 1 < n and 0 < ord(source[i + 1]) <= 126:
                b.add(source[i + 1])
                i += 2
                continue
            raise _reserved("\\")
        if in_code:
            i = _code_char(source, i, stack, b)
            continue
        if ch == "\n":
            b.add(ch)
            line_start = True
            i += 1
            continue
        if (
            quote is not None
            and quote.kind == "expandable_blockquote"
            and source.startswith("||", i)
            and (i + 2 == n or source[i + 2] == "\n")
        ):
            b.close(quote)
            quote = None
            i += 2
            continue
        if ch not in RESERVED_V2:
            b.add(ch)
            i += 1
            continue
        i = _markup(source, i, stack, b)
    if quote is not None:
        b.close(quote)
    if stack:
        top = stack[-1]
        raise EntityParseError(
            f"Can't find end of {_KIND_NAMES[top.kind]} entity at byte offset {top.at}"
        )
    return b.result()


def _code_char(source: str, i: int, stack: list[_Open], b: _Builder) -> int:
    top = stack[-1]
    if top.kind == "pre" and source.startswith("```", i):
        stack.pop()
        b.close(top)
        return i + 3
    if top.kind == "code" and source[i] == "`":
        stack.pop()
        b.close(top)
        return i + 1
    b.add(source[i])
    return i + 1


def _markup(source: str, i: int, stack: list[_Open], b: _Builder) -> int:
    """Handle a reserved character outside code: open or close an entity, or refuse it."""
    at = byte_offset(source, i)
    for token, kind in _TOGGLES:
        if source.startswith(token, i):
            if stack and stack[-1].kind == kind:
                b.close(stack.pop())
            elif any(o.kind == kind for o in stack):
                raise EntityParseError(
                    f"Can't find end of {_KIND_NAMES[stack[-1].kind]} entity at byte offset "
                    f"{stack[-1].at}"
                )
            else:
                stack.append(_Open(kind, b.pos, at))
            return i + len(token)
    ch = source[i]
    if ch == "`":
        if source.startswith("```", i):
            j = i + 3
            newline = source.find("\n", j)
            closing = source.find("```", j)
            extra: dict[str, Any] = {}
            if newline != -1 and (closing == -1 or newline < closing):
                language = source[j:newline]
                if language:
                    extra["language"] = language
                j = newline + 1
            stack.append(_Open("pre", b.pos, at, extra))
            return j
        stack.append(_Open("code", b.pos, at))
        return i + 1
    if ch == "[" or source.startswith("![", i):
        kind = "text_link" if ch == "[" else "custom_emoji"
        stack.append(_Open(kind, b.pos, at))
        return i + (1 if ch == "[" else 2)
    if ch == "]" and stack and stack[-1].kind in ("text_link", "custom_emoji"):
        return _close_link(source, i, stack.pop(), b)
    raise _reserved(ch)


def _close_link(source: str, i: int, opened: _Open, b: _Builder) -> int:
    j = i + 1
    if j >= len(source) or source[j] != "(":
        raise EntityParseError(
            f"Can't find end of {_KIND_NAMES[opened.kind]} entity at byte offset {opened.at}"
        )
    url: list[str] = []
    j += 1
    while j < len(source) and source[j] != ")":
        if source[j] == "\\" and j + 1 < len(source):
            j += 1
        url.append(source[j])
        j += 1
    if j >= len(source):
        raise EntityParseError(f"Can't find end of a URL at byte offset {byte_offset(source, i)}")
    target = "".join(url)
    if opened.kind == "custom_emoji":
        emoji_id = target.removeprefix("tg://emoji?id=")
        if not emoji_id.isdigit():
            raise EntityParseError("Custom emoji URL must have an emoji identifier")
        opened.extra["custom_emoji_id"] = emoji_id
    elif target.startswith("tg://user?id=") and target[len("tg://user?id=") :].isdigit():
        opened.kind = "text_mention"
        opened.extra["user"] = {"id": int(target[len("tg://user?id=") :])}
    else:
        opened.extra["url"] = target
    b.close(opened)
    return j + 1


def parse_markdown_legacy(source: str) -> tuple[str, list[dict[str, Any]]]:
    """Legacy ``Markdown``: ``*bold* _italic_ `code` ```pre``` [text](url)``, ``\\`` escapes."""
    b = _Builder()
    i, n = 0, len(source)
    while i < n:
        ch = source[i]
        if ch == "\\" and i + 1 < n and source[i + 1] in "_*`[":
            b.add(source[i + 1])
            i += 2
            continue
        if ch not in "_*`[":
            b.add(ch)
            i += 1
            continue
        at = byte_offset(source, i)
        if source.startswith("```", i):
            end = source.find("```", i + 3)
            if end == -1:
                raise EntityParseError(f"Can't find end of the entity starting at byte offset {at}")
            body = source[i + 3 : end]
            extra: dict[str, Any] = {}
            if "\n" in body:
                language, rest = body.split("\n", 1)
                if language and " " not in language:
                    extra["language"] = language
                    body = rest
            opened = _Open("pre", b.pos, at, extra)
            b.add(body)
            b.close(opened)
            i = end + 3
            continue
        if ch == "[":
            close = source.find("](", i + 1)
            end = source.find(")", close + 2) if close != -1 else -1
            if close == -1 or end == -1:
                raise EntityParseError(f"Can't find end of the entity starting at byte offset {at}")
            opened = _Open("text_link", b.pos, at, {"url": source[close + 2 : end]})
            b.add(source[i + 1 : close])
            b.close(opened)
            i = end + 1
            continue
        end = source.find(ch, i + 1)
        if end == -1:
            raise EntityParseError(f"Can't find end of the entity starting at byte offset {at}")
        kind = {"*": "bold", "_": "italic", "`": "code"}[ch]
        opened = _Open(kind, b.pos, at)
        b.add(source[i + 1 : end])
        b.close(opened)
        i = end + 1
    return b.result()

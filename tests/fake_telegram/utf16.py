"""UTF-16 arithmetic: Telegram measures entity offsets and lengths in UTF-16 code units.

An emoji outside the Basic Multilingual Plane counts 2, so Python's ``len`` is wrong
for offsets; the bot (and PTB's ``parse_entity``) rely on the UTF-16 numbers.
"""

from __future__ import annotations


def utf16_len(text: str) -> int:
    """Length of ``text`` in UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def utf16_slice(text: str, offset: int, length: int) -> str:
    """The substring at a UTF-16 ``offset``/``length`` (as an entity addresses it)."""
    raw = text.encode("utf-16-le")
    return raw[offset * 2 : (offset + length) * 2].decode("utf-16-le", errors="replace")


def byte_offset(text: str, index: int) -> int:
    """UTF-8 byte offset of ``text[index]``; Telegram's parse errors report byte offsets."""
    return len(text[:index].encode("utf-8"))

"""What a request costs beyond its own work: no import is tried again on every request.

An import that fails is not remembered: Python searches the whole path again each time.
httpcore asks for `sniffio` on every HTTP request it makes; without the package that was
a tenth of the bot's CPU per `/code`."""

from __future__ import annotations

import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from importlib.machinery import ModuleSpec
from types import ModuleType

from tests.e2e.conftest import Bot, setup_team


class _Looked:
    """A meta path finder that finds nothing and notes every name it was asked for: only
    modules not yet imported (or whose import failed) reach it."""

    def __init__(self) -> None:
        self.names: list[str] = []

    def find_spec(
        self, name: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        self.names.append(name)
        return None


@contextmanager
def imports_tried() -> Iterator[list[str]]:
    looked = _Looked()
    sys.meta_path.insert(0, looked)
    try:
        yield looked.names
    finally:
        sys.meta_path.remove(looked)


async def test_a_code_request_tries_no_import_once_the_bot_is_warm(bot: Bot) -> None:
    group = await setup_team(bot)
    member, owner = bot.people.member, bot.tg.private(bot.people.owner)
    for _ in range(2):  # whatever is imported on first use, is imported now
        await bot.say(member, "/code", chat=group)
        await bot.tg.next_message(owner)  # the notice
    with imports_tried() as names:
        reply = await bot.say(member, "/code", chat=group)
        await bot.tg.next_message(owner)  # the notice
    assert reply["text"]
    assert names == []

"""Who hears of what: the notifier the rules publish to, and the audience of a notice."""

from __future__ import annotations

from typing import Protocol

from bot.rules.model import Notice


class Notifier(Protocol):
    """Delivers notices without making the caller wait (rule 7). `publish` is called from
    the rules, which run on a worker thread: implementations must accept that."""

    def publish(self, notice: Notice) -> None: ...

"""What the bot waits for from someone in a private chat: the secret after
`/secret add NAME`, or a new name after an import named an account by itself.

One thing at a time per person (a new question replaces the old one), and only for
`LIFETIME` seconds: a plain "hello" days later must not be taken as a secret.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from bot.chat.context import BotContext

LIFETIME = 300.0
_KEY = "pending"


class Waiting(Enum):
    SECRET = "secret"  # noqa: S105 - a state's name, not a secret
    RENAME = "rename"


@dataclass(frozen=True)
class Pending:
    waiting: Waiting
    subject: str | int  # the account name to add, or the id of the account to rename
    until: float


def expect_secret(context: BotContext, name: str) -> None:
    _put(context, Pending(Waiting.SECRET, name, context.runtime.clock() + LIFETIME))


def offer_rename(context: BotContext, account_id: int) -> None:
    _put(context, Pending(Waiting.RENAME, account_id, context.runtime.clock() + LIFETIME))


def current(context: BotContext) -> Pending | None:
    """What is awaited now, if anything (an expired question is dropped)."""
    found = context.user_data.get(_KEY) if context.user_data is not None else None
    if not isinstance(found, Pending):
        return None
    if found.until <= context.runtime.clock():
        cancel(context)
        return None
    return found


def take(context: BotContext) -> Pending | None:
    """What is awaited, answered now: it is no longer awaited."""
    found = current(context)
    cancel(context)
    return found


def cancel(context: BotContext) -> bool:
    """Forget what was awaited; True if something was."""
    if context.user_data is None:
        return False
    return context.user_data.pop(_KEY, None) is not None


def _put(context: BotContext, pending: Pending) -> None:
    if context.user_data is not None:
        context.user_data[_KEY] = pending

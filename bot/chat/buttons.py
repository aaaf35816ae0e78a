"""Inline buttons: what their callback data says, and reading it back from a press.

Anyone can forge a callback query's data (a modified client sends what it likes),
and old buttons outlive what they were made for, so a press is only ever read here:
anything that is not one of our own `kind:account-id` forms, or not a button of the
message pressed (data copied from another chat's button, say), is answered with the
"button expired" alert, and the handlers see just the kind, the id and the message.
What a real but stale button asks for is checked again by the rules.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update

from bot.chat.context import BotContext
from bot.chat.people import lang
from bot.messages import plain, text

# Account ids are database row ids; 18 digits is far beyond any and keeps int() cheap.
_DATA = re.compile(r"([a-z]{1,8}):([0-9]{1,18})")


class Kind(StrEnum):
    PICK = "code"  # an account on the /code picker
    REMOVE = "rm"
    KEEP = "keep"
    EXPORT = "exp"
    NO_EXPORT = "noexp"


@dataclass(frozen=True)
class Press:
    kind: Kind
    account_id: int
    message: Message  # the message the button was on


def data(kind: Kind, account_id: int) -> str:
    return f"{kind.value}:{account_id}"


def pattern(*kinds: Kind) -> str:
    """For a `CallbackQueryHandler`: presses of these kinds (checked again in `read`)."""
    return "^(" + "|".join(re.escape(kind.value) for kind in kinds) + "):"


async def read(update: Update, *kinds: Kind) -> Press | None:
    """The press, or None once the presser was told the button has expired."""
    query = update.callback_query
    if query is None:
        return None
    pressed = query.data or ""
    found = _DATA.fullmatch(pressed)
    anchor = query.message
    if (
        found is not None
        and found.group(1) in kinds
        and isinstance(anchor, Message)
        and _offered(anchor, pressed)
    ):
        return Press(Kind(found.group(1)), int(found.group(2)), anchor)
    await query.answer(plain(text(lang(update), "error.button_expired")), show_alert=True)
    return None


def _offered(message: Message, pressed: str) -> bool:
    """Whether `message` carries a button with this data (Telegram sends the message
    with its keyboard as it is now)."""
    markup = message.reply_markup
    rows = markup.inline_keyboard if markup is not None else ()
    return any(button.callback_data == pressed for row in rows for button in row)


async def unknown_pressed(update: Update, _context: BotContext) -> None:
    """A press no other handler took: none of our kinds, so it is told it has expired."""
    await read(update)


def confirm(lng: str, keys: str, yes: Kind, no: Kind, account_id: int) -> InlineKeyboardMarkup:
    """Two buttons, `{keys}_yes` and `{keys}_no`, for a step that cannot be undone."""
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(text(lng, f"{keys}_yes"), callback_data=data(yes, account_id)),
                InlineKeyboardButton(text(lng, f"{keys}_no"), callback_data=data(no, account_id)),
            ]
        ]
    )

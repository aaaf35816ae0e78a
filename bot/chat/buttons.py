"""Inline buttons: what their callback data says, and reading it back from a press.

Anyone can forge a callback query's data, and old buttons outlive what they were
made for, so a press is only ever read here: anything that is not one of our own
`kind:account-id` forms on a message the bot can still reach is answered with the
"button expired" alert, and the handlers see just the kind, the id and the message.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update

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
    found = _DATA.fullmatch(query.data or "")
    anchor = query.message
    if found is not None and isinstance(anchor, Message) and found.group(1) in kinds:
        return Press(Kind(found.group(1)), int(found.group(2)), anchor)
    await query.answer(plain(text(lang(update), "error.button_expired")), show_alert=True)
    return None


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

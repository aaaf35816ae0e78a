"""Inline buttons: what their callback data says, and reading it back from a press.

Anyone can forge a callback query's data (a modified client sends what it likes),
and old buttons outlive what they were made for, so a press is only ever read here:
anything that is not one of our own `kind:subject[:n.n.n]` forms (numbers only), or not
a button of the message pressed (data copied from another chat's button, say), is
answered with the "button expired" alert, and the handlers see just the kind, the
numbers and the message. What a real but stale button asks for is checked again by the
rules.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from telegram import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update

from bot.chat.context import BotContext
from bot.chat.people import lang
from bot.messages import plain, text

# Row and user ids; 18 digits is far beyond any and keeps int() cheap. Telegram caps the
# whole string at 64 bytes, which `data` checks before a button is made.
_NUMBER = r"[0-9]{1,18}"
_DATA = re.compile(rf"([a-z]{{1,8}}):({_NUMBER})(?::({_NUMBER}(?:\.{_NUMBER})*))?")
MAX_DATA_BYTES = 64


class Kind(StrEnum):
    PICK = "code"  # an account on the /code picker
    PAGE = "page"  # another page of the picker: its first account, the prefix's length
    REMOVE = "rm"
    KEEP = "keep"
    EXPORT = "exp"
    NO_EXPORT = "noexp"
    ADD = "add"  # confirm `/add @name` for a username last seen long ago
    ADD_FOR = "addfor"  # the same with `for …`: the minutes come first in its numbers
    NO_ADD = "noadd"
    ROTATE = "rot"  # the site took the new key: it replaces the old one
    NO_ROTATE = "norot"  # cancel the change: the old key stays
    ROTATE_CODE = "rotcode"  # the new key's code once more
    APPROVE = "apr"  # a held code request (its id): give the code
    APPROVE_HOUR = "aprh"  # ... and this person's further requests for the account, 1 h
    DENY = "deny"
    SMS_WAIT = "smsw"  # under a code's reply: the account's next SMS code, to the presser


@dataclass(frozen=True)
class Press:
    kind: Kind
    subject: int  # an account id, for ADD the user id, for APPROVE... a request id
    message: Message  # the message the button was on
    # For ADD: the ids of the accounts to grant; for the ROTATE kinds: the change's ticket.
    extra: tuple[int, ...] = ()


def data(kind: Kind, subject: int, extra: tuple[int, ...] = ()) -> str:
    """The callback data of a button; check `fits` first where `extra` may be long."""
    found = _data(kind, subject, extra)
    if len(found.encode()) > MAX_DATA_BYTES:
        raise ValueError("callback data over Telegram's 64 bytes")
    return found


def fits(kind: Kind, subject: int, extra: tuple[int, ...] = ()) -> bool:
    return len(_data(kind, subject, extra).encode()) <= MAX_DATA_BYTES


def _data(kind: Kind, subject: int, extra: tuple[int, ...]) -> str:
    return f"{kind.value}:{subject}" + (":" + ".".join(map(str, extra)) if extra else "")


def pattern(*kinds: Kind) -> str:
    """For a `CallbackQueryHandler`: presses of these kinds (checked again in `read`)."""
    return "^(" + "|".join(re.escape(kind.value) for kind in kinds) + "):"


async def read(update: Update, context: BotContext, *kinds: Kind) -> Press | None:
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
        extra = tuple(int(n) for n in found.group(3).split(".")) if found.group(3) else ()
        return Press(Kind(found.group(1)), int(found.group(2)), anchor, extra)
    await query.answer(plain(text(lang(update, context), "error.button_expired")), show_alert=True)
    return None


def _offered(message: Message, pressed: str) -> bool:
    """Whether `message` carries a button with this data (Telegram sends the message
    with its keyboard as it is now)."""
    markup = message.reply_markup
    rows = markup.inline_keyboard if markup is not None else ()
    return any(button.callback_data == pressed for row in rows for button in row)


async def unknown_pressed(update: Update, context: BotContext) -> None:
    """A press no other handler took: none of our kinds, so it is told it has expired."""
    await read(update, context)


async def decline(query: CallbackQuery, lng: str) -> None:
    """The "no" of a confirmation: nothing happens, and the question says so."""
    await query.answer()
    await query.edit_message_text(text(lng, "cancel.done"))


def confirm(
    lng: str, keys: str, yes: Kind, no: Kind, subject: int, extra: tuple[int, ...] = ()
) -> InlineKeyboardMarkup:
    """Two buttons, `{keys}_yes` and `{keys}_no`, for a step that cannot be undone."""
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    text(lng, f"{keys}_yes"), callback_data=data(yes, subject, extra)
                ),
                InlineKeyboardButton(text(lng, f"{keys}_no"), callback_data=data(no, subject)),
            ]
        ]
    )

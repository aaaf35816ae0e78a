"""Sending replies the same way everywhere (HTML, in the right thread, quoting when it
helps), and deleting messages."""

from __future__ import annotations

import logging

from telegram import InlineKeyboardMarkup, Message, Update
from telegram.error import TelegramError

from bot.messages import Html

logger = logging.getLogger(__name__)


async def reply(
    update: Update,
    body: Html,
    *,
    markup: InlineKeyboardMarkup | None = None,
    quote: bool = True,
    protect: bool = False,
) -> Message | None:
    """Answer the update's message. `quote=False` for a message that was already deleted
    (Telegram refuses to quote a message that no longer exists)."""
    message = update.effective_message
    if message is None:
        return None
    in_group = message.chat.type != message.chat.PRIVATE
    return await message.reply_text(
        body,
        reply_markup=markup,
        do_quote=quote and in_group,
        protect_content=protect,
        # The message may already be gone (deleted as a secret, or by its sender).
        allow_sending_without_reply=True,
    )


async def delete(message: Message, what: str, *, level: int = logging.INFO) -> bool:
    """Delete `message`; False (logged at `level` with the error's kind) if Telegram
    refused, e.g. no right to delete in a group, or the message is already gone.
    `what` names the message in the log line and must never quote its content."""
    try:
        return await message.delete()
    except TelegramError as failure:
        logger.log(level, "could not delete %s: %s", what, type(failure).__name__)
        return False

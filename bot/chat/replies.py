"""Sending replies the same way everywhere: HTML, in the right thread, quoting when it helps."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup, Message, Update

from bot.messages import Html


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

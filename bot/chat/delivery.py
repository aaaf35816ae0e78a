"""Sending a code message, and arranging for it to disappear when the code dies."""

from __future__ import annotations

from telegram import Message

from bot.chat.context import BotContext
from bot.chat.render import code_message
from bot.chat.worker import offload
from bot.rules.model import IssuedCode, Person


async def send_code(
    context: BotContext,
    anchor: Message,
    issued: IssuedCode,
    lang: str,
    *,
    for_person: Person | None = None,
    quote: bool = True,
) -> Message:
    """Reply to `anchor` with the code: protected from forwarding, deleted at expiry."""
    body, markup = code_message(lang, issued, for_person)
    in_group = anchor.chat.type != anchor.chat.PRIVATE
    sent = await anchor.reply_text(
        body,
        reply_markup=markup,
        protect_content=True,
        do_quote=quote and in_group,
        # The request may be gone already (tidy groups delete commands); the code is not.
        allow_sending_without_reply=True,
    )
    await delete_later(context, [sent], issued.expires_at)
    return sent


async def delete_later(context: BotContext, sent: list[Message], expires_at: float) -> None:
    """Delete messages showing codes once the last of them has expired (plus the TTL).
    One transaction after the send: the message id exists only once Telegram answers."""
    ttl = context.runtime.code_ttl
    if ttl >= 0:
        await offload(
            context.services.cleanup.schedule,
            [(m.chat_id, m.message_id) for m in sent],
            expires_at + ttl,
        )

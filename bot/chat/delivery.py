"""Sending a code message, and arranging for it to disappear when the code dies."""

from __future__ import annotations

from telegram import Message

from bot.chat.context import BotContext
from bot.chat.render import code_message
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
    schedule_deletion(context, sent, issued.expires_at)
    return sent


def schedule_deletion(context: BotContext, sent: Message, expires_at: float) -> None:
    """Delete a message showing codes once the last of them has expired (plus the TTL)."""
    ttl = context.runtime.code_ttl
    if ttl >= 0:
        context.services.cleanup.schedule(sent.chat_id, sent.message_id, expires_at + ttl)

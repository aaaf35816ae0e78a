"""Sending a code message, and arranging for it to disappear when the code dies."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from telegram import ForceReply, InlineKeyboardMarkup, Message, ReplyParameters
from telegram.error import RetryAfter, TelegramError

from bot.chat.context import BotContext
from bot.chat.flood import RETRY_FOR, Patience, transient
from bot.chat.render import code_message
from bot.chat.worker import offload
from bot.messages import Html
from bot.rules.clock import Clock
from bot.rules.model import IssuedCode, Person

Renew = Callable[[IssuedCode], Awaitable[IssuedCode]]


@dataclass(frozen=True)
class Destination:
    """Where a code goes: a chat, its forum topic, and the message it answers. Plain
    numbers, so a code decided later (an approval, a private delivery) can still be sent
    where it belongs, also after a restart."""

    chat_id: int
    private: bool
    thread_id: int | None = None
    reply_to: int | None = None  # quoted in groups; the request may be gone by then

    @classmethod
    def of(cls, message: Message, *, quote: bool = True) -> Destination:
        private = message.chat.type == message.chat.PRIVATE
        return cls(
            chat_id=message.chat_id,
            private=private,
            thread_id=message.message_thread_id if message.is_topic_message else None,
            reply_to=message.message_id if quote and not private else None,
        )

    @property
    def quoting(self) -> ReplyParameters | None:
        """The request quoted where there is one; it may be gone by now (tidy groups delete
        commands): the message is sent all the same."""
        if self.reply_to is None:
            return None
        return ReplyParameters(self.reply_to, allow_sending_without_reply=True)


async def say(
    context: BotContext,
    to: Destination,
    body: Html,
    *,
    markup: InlineKeyboardMarkup | ForceReply | None = None,
) -> Message:
    """A plain message to `to` (a note, a question), in its topic, quoting its request."""
    return await context.bot.send_message(
        to.chat_id,
        body,
        reply_markup=markup,
        message_thread_id=to.thread_id,
        reply_parameters=to.quoting,
    )


async def send_code(
    context: BotContext,
    to: Destination,
    issued: IssuedCode,
    lang: str,
    *,
    for_person: Person | None = None,
    renew: Renew | None = None,
) -> Message:
    """Send the code to `to`: protected from forwarding, deleted at expiry.

    Telegram failing for a while (5xx, timeouts, flood control) is waited out for up to
    `RETRY_FOR` by the rate limiter. A code that expires meanwhile is of no use to anyone:
    with `renew`, the send then stops, and the reply goes out with the current code."""
    loop = asyncio.get_running_loop()
    give_up_at = loop.time() + RETRY_FOR
    while True:
        body, markup = code_message(lang, issued, for_person)
        patience = Patience(
            retry_for=max(0.0, give_up_at - loop.time()),
            stale=None if renew is None else _expiry(context.runtime.clock, issued),
        )
        try:
            sent = await context.bot.send_message(
                to.chat_id,
                body,
                reply_markup=markup,
                protect_content=True,
                message_thread_id=to.thread_id,
                reply_parameters=to.quoting,
                rate_limit_args=patience,
            )
        except TelegramError as failure:
            passing = transient(failure) or isinstance(failure, RetryAfter)
            if renew is None or not passing or not patience.stale or not patience.stale():
                raise
            if loop.time() >= give_up_at:
                raise
            issued = await renew(issued)
            continue
        await delete_later(context, [sent], issued.expires_at)
        return sent


def _expiry(clock: Clock, issued: IssuedCode) -> Callable[[], bool]:
    """True once the code `issued` shows first has expired."""
    return lambda: clock() >= issued.code.valid_until


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

"""Grants that end by themselves, on the chat side: the repeating job that ends them, and
telling a member privately what they were given or what they lost.

A member who never started the bot (or blocked it) cannot be told: Telegram answers 403,
which is logged by kind and changes nothing (the admins and the audit log know)."""

from __future__ import annotations

import logging

from bot.chat.context import BotContext
from bot.chat.notifier import TelegramNotifier
from bot.chat.render import access_ended
from bot.chat.worker import offload
from bot.messages import Html, language_for
from bot.rules.clock import utc

logger = logging.getLogger(__name__)


def tell(context: BotContext, user_id: int, body: Html) -> None:
    """A private message in the background: the reply to whoever acted never waits on it."""
    notifier = context.bot_data.get("notifier")
    if isinstance(notifier, TelegramNotifier):
        notifier.send(user_id, body)


async def end_grants(context: BotContext) -> None:
    """The repeating job: end what has ended (the rules audit it and tell the admins),
    then tell each member."""
    ended = await offload(context.services.expiry.end_expired)
    now = utc(context.runtime.clock())
    for one in ended:
        logger.info("grants of %s ended", one.user_id)
        tell(context, one.user_id, access_ended(language_for(one.language_code), one, now))

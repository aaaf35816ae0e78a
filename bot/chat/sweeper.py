"""Deleting code messages once their code has expired.

The due list lives in the store and is read against the injectable clock, so
restarts keep their promises and tests can move time without waiting for it.
"""

from __future__ import annotations

import logging

from telegram.error import BadRequest, ChatMigrated, Forbidden, TelegramError

from bot.chat.context import BotContext
from bot.chat.worker import offload

logger = logging.getLogger(__name__)

# Seconds between looks at the due list: a dead code should vanish promptly, and one
# indexed query per look costs next to nothing. The composition root may choose another.
SWEEP_INTERVAL = 0.5


async def sweep(context: BotContext) -> None:
    cleanup = context.services.cleanup
    finished: list[int] = []
    for due in await offload(cleanup.due):
        if not due.too_old:
            try:
                await context.bot.delete_message(due.chat_id, due.message_id)
            except (BadRequest, Forbidden, ChatMigrated) as failure:
                # Already gone, too old, the bot left the chat, or the group became a
                # supergroup (the old chat id is dead): nothing more to do.
                logger.info("expired code message not deleted: %s", type(failure).__name__)
            except TelegramError as failure:
                logger.warning(
                    "deleting an expired code failed, will retry: %s", type(failure).__name__
                )
                continue
        finished.append(due.id)
    if finished:
        await offload(cleanup.done, finished)

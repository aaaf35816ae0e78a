"""Deleting code messages once their code has expired.

The due list lives in the store and is read against the injectable clock, so
restarts keep their promises and tests can move time without waiting for it. Each sweep
takes the deletions it does (`Cleanup.due`), so replicas sharing the store never delete the
same message twice, and one that dies mid-sweep leaves its share to the others.
"""

from __future__ import annotations

import logging

from telegram.error import BadRequest, ChatMigrated, Forbidden, TelegramError

from bot.chat.context import BotContext
from bot.chat.flood import Patience
from bot.chat.worker import offload

logger = logging.getLogger(__name__)

# Seconds between looks at the due list: a dead code should vanish promptly, and one
# indexed query per look costs next to nothing. The composition root may choose another.
SWEEP_INTERVAL = 0.5


async def sweep(context: BotContext) -> None:
    cleanup = context.services.cleanup
    finished: list[int] = []
    failed: list[int] = []
    for due in await offload(cleanup.due):
        if not due.too_old:
            try:
                # No retrying in the call: the next sweep tries again anyway, and one
                # deletion waiting out an outage would hold up every other one.
                await context.bot.delete_message(
                    due.chat_id, due.message_id, rate_limit_args=Patience(retry_for=0.0)
                )
            except (BadRequest, Forbidden, ChatMigrated) as failure:
                # Already gone, too old, the bot left the chat, or the group became a
                # supergroup (the old chat id is dead): nothing more to do.
                logger.info("expired code message not deleted: %s", type(failure).__name__)
            except TelegramError as failure:
                # Tried again at every sweep, and an outage is reported once, by polling:
                # a line per message per sweep would bury it.
                logger.debug(
                    "deleting an expired code failed, will retry: %s", type(failure).__name__
                )
                failed.append(due.id)
                continue
        finished.append(due.id)
    if finished:
        await offload(cleanup.done, finished)
    if failed:
        await offload(cleanup.release, failed)

"""The first handler of every update: an update some replica took already is dropped
here, before anything answers it (`bot.rules.updates`). Only where replicas share the
store: a single process gets each update once (polling confirms what it fetched, the
webhook answers at once), and a flood of strangers should not pay a write per update."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import ApplicationHandlerStop

from bot.chat.context import BotContext
from bot.chat.worker import offload

logger = logging.getLogger(__name__)


async def once(update: Update, context: BotContext) -> None:
    if not context.runtime.shared:
        return
    if not await offload(context.services.updates.first_time, update.update_id):
        logger.info("update %s was taken before; dropped", update.update_id)
        raise ApplicationHandlerStop

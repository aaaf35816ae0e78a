"""Posting the audit chain's head to the audit chat once a day.

The chat keeps what the bot posted, out of reach of whoever holds the database file: a
history rewritten later (even one re-hashed throughout) no longer leads to a head the chat
holds. The check runs with the sweeper's rhythm but costs one comparison with the clock
until the day is over; the store is read only when a post is due, and the replica that
takes the post (`AuditLog.take_head_post`) is the only one to make it."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from telegram.error import TelegramError

from bot.chat.context import BotContext
from bot.chat.worker import offload
from bot.messages import language_for, text
from bot.rules.auditlog import REPEAT_WINDOW
from bot.rules.clock import utc

logger = logging.getLogger(__name__)

HEAD_INTERVAL = 24 * 3600.0
# A head that could not be posted (nothing settled yet, Telegram failing) is tried again.
RETRY_AFTER = REPEAT_WINDOW


@dataclass
class HeadSchedule:
    """When the next post is due, by the bot's clock (None: not read from the store yet)."""

    chat_id: int
    next_due: float | None = None


async def post_chain_head(context: BotContext) -> None:
    schedule = context.bot_data["chain_head"]
    if not isinstance(schedule, HeadSchedule):
        return
    audit = context.services.audit
    now = context.runtime.clock()
    if schedule.next_due is not None and now < schedule.next_due:
        return
    # Replicas sharing the store take turns: the one that takes the post posts it.
    due = await offload(audit.take_head_post, HEAD_INTERVAL, RETRY_AFTER)
    if due is not None:
        schedule.next_due = due
        return
    schedule.next_due = now + RETRY_AFTER
    head = await offload(audit.settled_head)
    if head is None:
        return
    body = text(
        language_for(await offload(context.services.languages.of_group, schedule.chat_id)),
        "chain.head_post",
        time=utc(head.at).strftime("%Y-%m-%d %H:%M:%S"),
        event_id=head.event_id,
        head_hash=head.hash,
    )
    try:
        await context.bot.send_message(schedule.chat_id, body)
    except TelegramError as failure:
        logger.warning("posting the audit chain's head failed: %s", type(failure).__name__)
        return
    await offload(audit.mark_head_posted)
    schedule.next_due = now + HEAD_INTERVAL

"""The bot watching itself: `/status`, the clock compared with Telegram's on every update,
and the check of every stored secret at start. Owners are told of what needs them."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from telegram import Bot, Update
from telegram.error import TelegramError

from bot.chat.context import BotContext, Runtime
from bot.chat.failures import user_errors
from bot.chat.people import lang, person
from bot.chat.replies import reply
from bot.chat.worker import offload
from bot.messages import Html, language_for, text
from bot.reports import chain_report
from bot.rules.clock import utc
from bot.rules.services import Services

logger = logging.getLogger(__name__)


def _sent_at(update: Update) -> datetime | None:
    """When Telegram says the update happened. A button press carries only the date of
    the message it is under, and an edited message the date it was first sent: neither
    says when the update came."""
    if update.message is not None:
        return update.message.date
    if update.edited_message is not None:
        return update.edited_message.edit_date
    if update.my_chat_member is not None:
        return update.my_chat_member.date
    return None


async def watch_clock(update: Update, context: BotContext) -> None:
    """Runs for every update, before the gate: one subtraction and a median of 20."""
    sent_at = _sent_at(update)
    if sent_at is None:
        return
    runtime = context.runtime
    now = runtime.clock()
    watch = runtime.health.clock
    if watch.observe(now - sent_at.timestamp(), now):
        offset = watch.offset or 0.0
        logger.warning(
            "the server's clock is %.0f s off Telegram's (median of the last updates)", offset
        )
        context.application.create_task(
            tell_owners(context.bot, runtime.services, "clock.skewed", seconds=round(abs(offset)))
        )


async def tell_owners(bot: Bot, services: Services, key: str, **params: Any) -> None:
    """Each owner, in their own language; a failed send is logged and the rest go on."""
    for owner in await offload(services.access.owners):
        try:
            await bot.send_message(
                owner.chat_id, text(language_for(owner.language_code), key, **params)
            )
        except TelegramError as failure:
            logger.warning("could not tell owner %s: %s", owner.chat_id, type(failure).__name__)


async def check_secrets(bot: Bot, runtime: Runtime) -> None:
    """At start: every stored secret must give a code. The broken ones are named (never
    their secret) in the log and to the owners; the others keep working."""
    broken = await offload(runtime.services.integrity.broken_secrets)
    if not broken:
        return
    logger.warning(
        "at start, the stored secrets of these accounts cannot be read (changed outside the "
        "bot); remove and re-add them: %s",
        ", ".join(broken),
    )
    await tell_owners(bot, runtime.services, "integrity.unreadable_at_start", names=tuple(broken))


@user_errors
async def status_command(update: Update, context: BotContext) -> None:
    user = update.effective_user
    if user is None:
        return
    runtime, reader = context.runtime, lang(update, context)
    size = await offload(runtime.services.integrity.team_size, person(user))
    chain = await offload(runtime.services.audit.chain, person(user))
    frozen = await offload(runtime.services.freeze.state)
    health = runtime.health
    offset = health.clock.offset
    if offset is None:
        clock = text(reader, "status.clock_unknown")
    else:
        key = "status.clock_off" if health.clock.off else "status.clock_ok"
        clock = text(reader, key, seconds=round(offset))
    if health.last_error is None:
        failure = text(reader, "status.no_error")
    else:
        kind, at = health.last_error
        failure = text(reader, "status.error", kind=kind, time=_when(at))
    await reply(
        update,
        text(
            reader,
            "status.text",
            version=health.version,
            uptime=_duration(reader, runtime.clock() - health.started_at),
            database=health.database,
            accounts=size.accounts,
            members=size.members,
            groups=size.groups,
            lock=text(reader, "status.unlocked")
            if frozen is None
            else text(
                reader,
                "status.locked",
                name=frozen.by_name,
                time=frozen.at.strftime("%Y-%m-%d %H:%M UTC"),
            ),
            clock=clock,
            error=failure,
            chain=chain_report(reader, chain),
        ),
    )


def _when(at: float) -> str:
    return utc(at).strftime("%Y-%m-%d %H:%M:%S")


def _duration(lang: str, seconds: float) -> Html:
    seconds = max(0, int(seconds))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    shown = f"{hours}:{minutes:02d}:{seconds:02d}"
    return text(lang, "status.uptime_days", days=days, time=shown) if days else Html(shown)

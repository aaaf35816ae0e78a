"""Rendering user-caused errors, and logging the rest without the update's content."""

from __future__ import annotations

import functools
import logging
import traceback
from collections.abc import Callable, Coroutine
from typing import Any

from telegram import Update
from telegram.error import NetworkError, RetryAfter, TelegramError

from bot.chat.context import BotContext
from bot.chat.people import lang
from bot.chat.render import error
from bot.chat.replies import reply
from bot.chat.worker import offload
from bot.messages import language_for, plain, text
from bot.rules.alarms import Failure
from bot.rules.clock import utc
from bot.rules.errors import TeamOtpError

logger = logging.getLogger(__name__)

# The project's top-level packages: their frames say where in our code a failure began.
OUR_PACKAGES = frozenset({"teamotp", "bot", "storage"})

Handler = Callable[[Update, BotContext], Coroutine[Any, Any, None]]


def user_errors(handler: Handler) -> Handler:
    """A `TeamOtpError` becomes a short reply that says what was wrong (rule 6)."""

    @functools.wraps(handler)
    async def wrapper(update: Update, context: BotContext) -> None:
        try:
            await handler(update, context)
        except TeamOtpError as failure:
            if update.callback_query is not None:
                await update.callback_query.answer(
                    plain(error(lang(update, context), failure)), show_alert=True
                )
            else:
                await reply(update, error(lang(update, context), failure))

    return wrapper


# Telegram being slow or unreachable is the network's doing, retried and logged where it
# happens; the owners could not be told over that same network anyway.
TRANSIENT = (NetworkError, RetryAfter)


async def on_error(update: object, context: BotContext) -> None:
    """No failure stops the bot. Log the error's kind, the update id and where it happened,
    never the update's content (an update may carry a secret, and an exception's text may
    quote it); apologise to the person; tell the owners, once per kind in ten minutes."""
    failure = context.error
    kind = type(failure).__name__ if failure else "?"
    update_id = update.update_id if isinstance(update, Update) else None
    context.runtime.health.failed(kind, context.runtime.clock())  # for /status
    # Decided (and timed) now, before the apology's round trip to Telegram.
    alarm = None if isinstance(failure, TRANSIENT) else context.runtime.alarms.failed(kind)
    logger.error("update %s failed: %s at %s", update_id, kind, where(failure))
    if isinstance(update, Update) and not isinstance(failure, TelegramError):
        try:
            if update.callback_query is not None:
                await update.callback_query.answer(
                    plain(text(lang(update, context), "error.internal"))
                )
            elif update.effective_message is not None:
                await reply(update, text(lang(update, context), "error.internal"))
        except TelegramError as again:
            logger.warning("could not report the error to the user: %s", type(again).__name__)
    if alarm is not None:
        await _tell_owners(context, alarm)


async def _tell_owners(context: BotContext, alarm: Failure) -> None:
    """The kind and the time only: the owners need to know the bot is hurting, and the log
    (for whoever runs the server) says where."""
    kind, at = alarm.kind, utc(alarm.at).strftime("%Y-%m-%d %H:%M:%S UTC")
    for owner in await offload(context.runtime.services.access.owners):
        body = text(language_for(owner.language_code), "error.owner_alert", kind=kind, time=at)
        try:
            await context.bot.send_message(owner.chat_id, body)
        except TelegramError as again:
            logger.warning(
                "could not tell owner %s of the failure: %s", owner.chat_id, type(again).__name__
            )


def where(failure: BaseException | None) -> str:
    """The innermost frame of our own code, and the library frame it failed in if any.

    "Ours" is decided by the frame's module name, not its file's path: an install
    or a checkout may well sit in a folder named after the project."""
    if failure is None or failure.__traceback__ is None:
        return "?"
    frames = [
        (str(frame.f_globals.get("__name__", "?")), lineno, frame.f_code.co_name)
        for frame, lineno in traceback.walk_tb(failure.__traceback__)
    ]
    ours = [f for f in frames if f[0].partition(".")[0] in OUR_PACKAGES]
    last = frames[-1]
    if not ours or ours[-1] is last:
        return _frame(last)
    return f"{_frame(ours[-1])} (via {_frame(last)})"


def _frame(frame: tuple[str, int, str]) -> str:
    module, lineno, function = frame
    return f"{module}:{lineno} in {function}"

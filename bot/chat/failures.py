"""Rendering user-caused errors, and logging the rest without the update's content."""

from __future__ import annotations

import functools
import logging
import traceback
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

from telegram import Update
from telegram.error import TelegramError

from bot.chat.context import BotContext
from bot.chat.people import lang
from bot.chat.render import error
from bot.chat.replies import reply
from bot.messages import plain, text
from bot.rules.errors import TeamOtpError

logger = logging.getLogger(__name__)

_PACKAGE = __name__.split(".", 1)[0]  # "teamotp": its frames say where in our code

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
                    plain(error(lang(update), failure)), show_alert=True
                )
            else:
                await reply(update, error(lang(update), failure))

    return wrapper


async def on_error(update: object, context: BotContext) -> None:
    """Log the error's kind, the update id and where it happened, never the update's content:
    an update may carry a secret, and an exception's text may quote it."""
    failure = context.error
    update_id = update.update_id if isinstance(update, Update) else None
    where = _where(failure)
    logger.error(
        "update %s failed: %s at %s", update_id, type(failure).__name__ if failure else "?", where
    )
    if isinstance(update, Update) and not isinstance(failure, TelegramError):
        try:
            if update.callback_query is not None:
                await update.callback_query.answer(plain(text(lang(update), "error.internal")))
            elif update.effective_message is not None:
                await reply(update, text(lang(update), "error.internal"))
        except TelegramError as again:
            logger.warning("could not report the error to the user: %s", type(again).__name__)


def _where(failure: BaseException | None) -> str:
    """The innermost frame of our own code, and the library frame it failed in if any."""
    if failure is None or failure.__traceback__ is None:
        return "?"
    frames: Any = traceback.extract_tb(failure.__traceback__)
    ours = [f for f in frames if _PACKAGE in Path(f.filename).parts]
    last = frames[-1]
    if not ours or ours[-1] is last:
        return _frame(last)
    return f"{_frame(ours[-1])} (via {_frame(last)})"


def _frame(frame: traceback.FrameSummary) -> str:
    return f"{Path(frame.filename).name}:{frame.lineno} in {frame.name}"

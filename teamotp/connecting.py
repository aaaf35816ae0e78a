"""Reaching the Bot API at start, for as long as it takes.

A bot that exits when Telegram cannot be reached makes its container restart in a loop,
each start saying the same thing. Here it waits instead: each failed attempt gives one
line with the reason and when the next attempt is, the pause doubling up to
`LONGEST_PAUSE`. Only what waiting cannot cure stops it: Telegram refusing the token, or
an API URL the HTTP library cannot use. A stop (SIGTERM) ends the wait at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable
from typing import Any

import httpx
from telegram.error import InvalidToken, TelegramError
from telegram.ext import Application

from bot.chat.connection import NotBotApi, reason_of
from teamotp.wiring import StartupError

logger = logging.getLogger(__name__)

FIRST_PAUSE = 1.0  # seconds
LONGEST_PAUSE = 60.0


async def connect(
    application: Application[Any, Any, Any, Any, Any, Any],
    stop: asyncio.Event,
    *,
    first_pause: float = FIRST_PAUSE,
) -> bool:
    """Initialize `application` (PTB asks Telegram who the bot is). False: `stop` was set
    first. Raises `StartupError` for what trying again cannot cure."""
    pause = first_pause
    while True:
        try:
            return await _unless_stopped(application.initialize(), stop)
        except InvalidToken as refused:
            # PTB re-raises the server's 401/404 with the token in the message: the reason
            # is the one it wraps, never this one's text.
            answer = refused.__cause__ if isinstance(refused.__cause__, InvalidToken) else refused
            if not isinstance(answer.__cause__, NotBotApi):
                raise StartupError("startup.token_refused") from None
            reason = reason_of(answer)  # a 404 page from something that is not the Bot API
        except TelegramError as failure:
            if isinstance(failure.__cause__, (httpx.UnsupportedProtocol, httpx.InvalidURL)):
                raise StartupError("startup.api_url_unusable") from None
            reason = reason_of(failure)
        except (KeyError, TypeError):  # JSON, but not the Bot API's: no "result" in it
            reason = "the reply is not Bot API JSON"
        logger.warning(
            "cannot reach the Telegram Bot API at TEAMOTP_API_URL (%s); next attempt in %.0f s",
            reason,
            pause,
        )
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), pause)
            return False
        pause = min(pause * 2, LONGEST_PAUSE)


async def _unless_stopped(attempt: Awaitable[None], stop: asyncio.Event) -> bool:
    """Run `attempt` unless `stop` is set first (then it is cancelled)."""
    trying = asyncio.ensure_future(attempt)
    stopping = asyncio.ensure_future(stop.wait())
    done, _ = await asyncio.wait({trying, stopping}, return_when=asyncio.FIRST_COMPLETED)
    if trying in done:
        stopping.cancel()
        trying.result()
        return True
    trying.cancel()
    with contextlib.suppress(BaseException):
        await trying
    return False

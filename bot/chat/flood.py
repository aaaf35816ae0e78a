"""Telegram's flood control, answered chat by chat.

Telegram refuses a send that exceeds its limits (about one message a second to a chat,
twenty a minute to a group, thirty a second overall) with 429 and `retry_after`. PTB's
own `AIORateLimiter` then holds back every request of the bot until that time has
passed: a burst of replies to strangers in their own group would delay a member's code
in another chat. Here only the chat that was refused waits; every other chat goes on.

A wait longer than `LONGEST_WAIT` is not waited out (a code that arrives a minute late is
of no use, and the chat's later updates queue behind it), and on shutdown nothing waits.
"""

from __future__ import annotations

import asyncio
import datetime as dtm
import logging
import warnings
from collections.abc import Callable, Coroutine
from typing import Any

from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter
from telegram.warnings import PTBDeprecationWarning

logger = logging.getLogger(__name__)

MAX_RETRIES = 3
LONGEST_WAIT = 10.0  # seconds

JSONDict = dict[str, Any]
Result = bool | JSONDict | list[JSONDict]


def seconds_of(flood: RetryAfter) -> float:
    with warnings.catch_warnings():  # PTB 22 warns that the int form will become a timedelta
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = flood.retry_after
    return value.total_seconds() if isinstance(value, dtm.timedelta) else float(value)


class ChatRateLimiter(BaseRateLimiter[int]):
    """Retries a send refused by flood control once Telegram allows it, holding back only
    the sends to the same chat meanwhile. `rate_limit_args`: the retries for one call."""

    def __init__(self, *, max_retries: int = MAX_RETRIES, longest_wait: float = LONGEST_WAIT):
        self._max_retries = max_retries
        self._longest_wait = longest_wait
        self._blocked_until: dict[object, float] = {}  # chat id -> loop time; expired ones go
        self._closing = asyncio.Event()

    async def initialize(self) -> None:
        self._closing.clear()

    async def shutdown(self) -> None:
        self.close()

    def close(self) -> None:
        """Stop waiting: the bot is shutting down, and sends still held back fail now."""
        self._closing.set()

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, Result]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> Result:
        chat = data.get("chat_id")
        retries = self._max_retries if rate_limit_args is None else rate_limit_args
        attempt = 0
        while True:
            await self._wait_turn(chat)
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as flood:
                seconds = seconds_of(flood)
                if attempt >= retries or seconds > self._longest_wait or self._closing.is_set():
                    logger.warning("%s refused by flood control; not retried", endpoint)
                    raise
                attempt += 1
                logger.info("%s refused by flood control; retrying in %.0f s", endpoint, seconds)
                if chat is not None:
                    until = asyncio.get_running_loop().time() + seconds
                    self._blocked_until[chat] = max(self._blocked_until.get(chat, 0.0), until)
                else:
                    await self._sleep(seconds)

    async def _wait_turn(self, chat: object) -> None:
        """Until Telegram takes sends to `chat` again; raises if the bot stops meanwhile."""
        if chat is None:
            return
        loop = asyncio.get_running_loop()
        while (until := self._blocked_until.get(chat)) is not None:
            left = until - loop.time()
            if left <= 0:
                if self._blocked_until.get(chat) == until:
                    del self._blocked_until[chat]
                return
            await self._sleep(left)

    async def _sleep(self, seconds: float) -> None:
        if self._closing.is_set():
            raise RetryAfter(max(1, round(seconds)))
        try:
            await asyncio.wait_for(self._closing.wait(), seconds)
        except TimeoutError:
            return
        raise RetryAfter(max(1, round(seconds)))

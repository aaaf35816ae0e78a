"""Telegram's flood control and its bad moments, answered chat by chat.

Telegram refuses a send that exceeds its limits (about one message a second to a chat,
twenty a minute to a group, thirty a second overall) with 429 and `retry_after`. PTB's
own `AIORateLimiter` then holds back every request of the bot until that time has
passed: a burst of replies to strangers in their own group would delay a member's code
in another chat. Here only the chat that was refused waits; every other chat goes on.
The overall limit is not waited for but kept: sends go out at most `OVERALL_PER_SECOND`
in any second, in the order they came (`Pace`), so a burst of requests from many chats
is answered at Telegram's pace instead of meeting refusals that every chat then waits
out (a send held back until its code expired is handed back to be rendered anew).

A send (a request to a chat) that fails for a reason trying again can cure (a 5xx, a
timeout, a dropped connection) is tried again with backoff for up to `RETRY_FOR`: a code
lost to one 502 is a member locked out. The backoff sleeps in the call, so only that send
(and its chat's later updates, which queue behind it) waits. A refusal that will not
change (400, 403) is not retried, nor is a request to no chat (getMe at start has its own
patience, `teamotp.connecting`).

A flood wait longer than `LONGEST_WAIT` is not waited out (a code that arrives a minute
late is of no use, and the chat's later updates queue behind it), a send whose content went
stale meanwhile (`Patience.stale`) is handed back to be rendered anew, and on shutdown
nothing waits.
"""

from __future__ import annotations

import asyncio
import datetime as dtm
import logging
from collections import deque
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from telegram.error import BadRequest, NetworkError, RetryAfter, TelegramError
from telegram.ext import BaseRateLimiter

logger = logging.getLogger(__name__)

MAX_RETRIES = 3  # flood refusals waited out for one send
LONGEST_WAIT = 10.0  # seconds
RETRY_FOR = 60.0  # seconds a send is tried again after failures that may pass
FIRST_BACKOFF = 1.0
LONGEST_BACKOFF = 5.0  # short: the first attempt after an outage is the one that delivers
# Telegram's "about 30 messages a second" to all chats, with one to spare for timing
# (TEAMOTP_SENDS_PER_SECOND, whose default is the same).
OVERALL_PER_SECOND = 29

#: PTB's switch (since 22.2) to give time periods, `RetryAfter.retry_after` among them, as
#: `timedelta`: the only form in its next major version. Until a process turns it on, PTB
#: warns of the change at every `RetryAfter` it makes, its own on each 429 included; the
#: composition root turns it on (teamotp.app).
TIMEDELTA_SWITCH = "PTB_TIMEDELTA"

JSONDict = dict[str, Any]
Result = bool | JSONDict | list[JSONDict]


@dataclass(frozen=True)
class Patience:
    """What one send may wait for (its `rate_limit_args`). `stale` turns true once what the
    message says is out of date (a code that expired): it is then not tried again, and the
    caller renders it anew. `retry_for`: seconds of retrying after transient failures."""

    retries: int = MAX_RETRIES
    retry_for: float = RETRY_FOR
    stale: Callable[[], bool] | None = None


def seconds_of(flood: RetryAfter) -> float:
    """The wait Telegram asked for: a `timedelta` with `TIMEDELTA_SWITCH` on, as the bot
    runs; a number of seconds in a process that has not turned it on."""
    value = flood.retry_after
    return value.total_seconds() if isinstance(value, dtm.timedelta) else float(value)


def transient(failure: BaseException) -> bool:
    """A failure that trying again may cure: Telegram's 5xx, a timeout, a dropped
    connection (PTB raises all of them as `NetworkError`, and 400 as its subclass)."""
    return isinstance(failure, NetworkError) and not isinstance(failure, BadRequest)


class Pace:
    """At most `per_second` sends in any one second (a sliding window, as Telegram counts),
    each waiting its turn in the order it came."""

    def __init__(self, per_second: int) -> None:
        self._per_second = per_second
        self._sent: deque[float] = deque()
        self._queue = asyncio.Lock()  # FIFO: the send that waits longest goes first

    async def turn(self) -> bool:
        """Whether this send had to wait for its turn."""
        waited = self._queue.locked()
        async with self._queue:
            loop = asyncio.get_running_loop()
            while True:
                now = loop.time()
                while self._sent and now - self._sent[0] >= 1.0:
                    self._sent.popleft()
                if len(self._sent) < self._per_second:
                    self._sent.append(now)
                    return waited
                waited = True
                await asyncio.sleep(1.0 - (now - self._sent[0]))


class ChatRateLimiter(BaseRateLimiter[Patience]):
    """Retries a send refused by flood control once Telegram allows it, holding back only
    the sends to the same chat meanwhile, and a send that failed for a passing reason."""

    def __init__(
        self,
        *,
        max_retries: int = MAX_RETRIES,
        longest_wait: float = LONGEST_WAIT,
        retry_for: float = RETRY_FOR,
        first_backoff: float = FIRST_BACKOFF,
        overall_per_second: int = OVERALL_PER_SECOND,
    ):
        self._default = Patience(retries=max_retries, retry_for=retry_for)
        self._longest_wait = longest_wait
        self._first_backoff = first_backoff
        self._blocked_until: dict[object, float] = {}  # chat id -> loop time; expired ones go
        self._closing = asyncio.Event()
        # 0: not paced (a Bot API server without Telegram's limits, or a raised limit
        # Telegram granted): every send goes at once, and a 429 is still waited out.
        self._pace = Pace(overall_per_second) if overall_per_second > 0 else None

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
        rate_limit_args: Patience | None,
    ) -> Result:
        chat = data.get("chat_id")
        patience = rate_limit_args or self._default
        loop = asyncio.get_running_loop()
        give_up_at = loop.time() + patience.retry_for
        floods, backoff = 0, self._first_backoff
        while True:
            await self._wait_turn(chat)
            pace = self._pace if chat is not None else None
            if pace is not None and await pace.turn() and _stale(patience):
                # It waited its turn until what it says expired: rendered anew.
                raise RetryAfter(dtm.timedelta(seconds=1))
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as flood:
                seconds = seconds_of(flood)
                if (
                    floods >= patience.retries
                    or seconds > self._longest_wait
                    or self._closing.is_set()
                    or _stale(patience)
                ):
                    logger.warning("%s refused by flood control; not retried", endpoint)
                    raise
                floods += 1
                logger.info("%s refused by flood control; retrying in %.0f s", endpoint, seconds)
                if chat is not None:
                    until = loop.time() + seconds
                    self._blocked_until[chat] = max(self._blocked_until.get(chat, 0.0), until)
                elif await self._stopped_during(seconds):
                    raise
            except TelegramError as failure:
                if (
                    chat is None  # not a send: getMe at start retries in its own way
                    or not transient(failure)
                    or loop.time() + backoff > give_up_at
                    or self._closing.is_set()
                    or _stale(patience)
                ):
                    raise
                logger.info(
                    "%s failed (%s); retrying in %.0f s", endpoint, type(failure).__name__, backoff
                )
                if await self._stopped_during(backoff):
                    raise
                backoff = min(backoff * 2, LONGEST_BACKOFF)

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
            if await self._stopped_during(left):
                raise RetryAfter(dtm.timedelta(seconds=max(1, round(left))))

    async def _stopped_during(self, seconds: float) -> bool:
        """Wait `seconds`, unless the bot stops (True) first."""
        if self._closing.is_set():
            return True
        try:
            await asyncio.wait_for(self._closing.wait(), seconds)
        except TimeoutError:
            return False
        return True


def _stale(patience: Patience) -> bool:
    return patience.stale is not None and patience.stale()

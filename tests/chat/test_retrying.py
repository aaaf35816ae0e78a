"""The rate limiter tries a send again after failures that may pass (5xx, timeouts, a
dropped connection), never after a refusal that will not change, and not once the bot
stops or the message went stale."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from telegram.error import BadRequest, NetworkError, RetryAfter, TelegramError, TimedOut

from bot.chat.flood import ChatRateLimiter, Patience


class Telegram:
    """A send callback failing with the given errors first, then taking the message."""

    def __init__(self, *failures: TelegramError) -> None:
        self.failures = list(failures)
        self.attempts = 0

    async def send(self) -> bool:
        self.attempts += 1
        if self.failures:
            raise self.failures.pop(0)
        return True


async def send(limiter: ChatRateLimiter, telegram: Telegram, patience: Patience | None) -> Any:
    return await limiter.process_request(
        telegram.send, (), {}, "sendMessage", {"chat_id": 10}, patience
    )


async def test_server_errors_and_timeouts_are_retried_until_the_send_passes() -> None:
    telegram = Telegram(NetworkError("Bad Gateway"), TimedOut())
    assert await send(ChatRateLimiter(first_backoff=0.01), telegram, None)
    assert telegram.attempts == 3


async def test_a_bad_request_is_not_retried() -> None:
    telegram = Telegram(BadRequest("Bad Request: chat not found"))
    with pytest.raises(BadRequest):
        await send(ChatRateLimiter(), telegram, None)
    assert telegram.attempts == 1


async def test_retrying_ends_after_its_time() -> None:
    telegram = Telegram(*[NetworkError("Bad Gateway")] * 5)
    with pytest.raises(NetworkError):
        await send(ChatRateLimiter(), telegram, Patience(retry_for=0.5))
    assert telegram.attempts == 1  # the first backoff would already end after it


async def test_a_stale_message_is_handed_back_instead_of_retried() -> None:
    telegram = Telegram(NetworkError("Bad Gateway"))
    with pytest.raises(NetworkError):
        await send(ChatRateLimiter(), telegram, Patience(stale=lambda: True))
    assert telegram.attempts == 1


async def test_shutdown_stops_the_backoff_at_once() -> None:
    limiter = ChatRateLimiter()
    telegram = Telegram(*[NetworkError("Bad Gateway")] * 100)
    waiting = asyncio.create_task(send(limiter, telegram, None))
    await asyncio.sleep(0.05)
    limiter.close()
    with pytest.raises(NetworkError):
        await asyncio.wait_for(waiting, 0.5)
    assert telegram.attempts == 1


async def test_sends_keep_to_the_overall_pace_in_the_order_they_came() -> None:
    limiter = ChatRateLimiter(overall_per_second=3)
    loop = asyncio.get_running_loop()
    went: list[tuple[int, float]] = []

    async def one(chat: int) -> None:
        async def go() -> bool:
            went.append((chat, loop.time()))
            return True

        await limiter.process_request(go, (), {}, "sendMessage", {"chat_id": chat}, None)

    await asyncio.gather(*(one(chat) for chat in range(5)))
    assert [chat for chat, _ in went] == [0, 1, 2, 3, 4]
    assert went[3][1] - went[0][1] >= 0.99  # the fourth waits for a second to have passed


async def test_without_a_pace_every_send_goes_at_once() -> None:
    """TEAMOTP_SENDS_PER_SECOND=0: a server without Telegram's limits takes them all."""
    limiter = ChatRateLimiter(overall_per_second=0)
    loop = asyncio.get_running_loop()
    went: list[float] = []

    async def one(chat: int) -> None:
        async def go() -> bool:
            went.append(loop.time())
            return True

        await limiter.process_request(go, (), {}, "sendMessage", {"chat_id": chat}, None)

    await asyncio.gather(*(one(chat) for chat in range(100)))
    assert len(went) == 100
    assert max(went) - min(went) < 0.5  # paced at 29 a second, they would take 3 s


async def test_a_send_that_waited_its_turn_past_its_expiry_is_handed_back() -> None:
    limiter = ChatRateLimiter(overall_per_second=1)
    first, second = Telegram(), Telegram()
    assert await send(limiter, first, None)
    with pytest.raises(RetryAfter):
        await send(limiter, second, Patience(stale=lambda: True))
    assert second.attempts == 0

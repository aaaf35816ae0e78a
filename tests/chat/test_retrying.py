"""The rate limiter tries a send again after failures that may pass (5xx, timeouts, a
dropped connection), never after a refusal that will not change, and not once the bot
stops or the message went stale."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from telegram.error import BadRequest, NetworkError, TelegramError, TimedOut

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

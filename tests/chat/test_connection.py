"""A Bot API that does not answer polls at all (timeouts, not errors) is still reported,
once per outage, and its return too."""

from __future__ import annotations

import asyncio
import logging

import pytest
from telegram.error import TimedOut

from bot.chat.connection import Outage, WatchedRequest


async def test_a_silent_bot_api_is_one_outage_and_its_answer_ends_it(
    caplog: pytest.LogCaptureFixture,
) -> None:
    answering = asyncio.Event()

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        await answering.wait()
        body = b'{"ok":true,"result":[]}'
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
        await writer.drain()
        writer.close()

    caplog.set_level(logging.DEBUG, logger="bot.chat.connection")
    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/botX/getUpdates"
    request = WatchedRequest(Outage(), read_timeout=0.1, connection_pool_size=4)
    await request.initialize()
    async with server:
        for _ in range(3):
            with pytest.raises(TimedOut):
                await request.post(url)
        answering.set()
        assert await request.post(url) == []
    await request.shutdown()
    lines = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(lines) == 2
    assert lines[0].startswith("cannot reach the Telegram Bot API (TimedOut")
    assert lines[1].startswith("the Telegram Bot API answers again, after")

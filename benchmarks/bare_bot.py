"""The floor: a bare python-telegram-bot bot that answers every `/code` with a fixed text
and sends one more message (where teamotp tells the admins), nothing else.

What it costs per `/code` is what the framework and its HTTP loop cost for the same two
sends; teamotp's figures are read against it. Like teamotp it handles updates of
different chats at the same time and sends the extra message in the background, so a
slow notice never holds up a reply. Under Telegram's limits (`BENCH_LIMITED=1`) it uses
the framework's own answer to them, `AIORateLimiter`, and sends the reply only: one more
message per request to one admin is past Telegram's message a second per chat, and
coalescing such notices is teamotp's work, not the framework's.

Run as `python -m benchmarks.bare_bot`, configured by BENCH_TOKEN, BENCH_API_URL and
BENCH_NOTICE_CHAT.
"""

from __future__ import annotations

import asyncio
import logging
import os
from typing import Any

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import AIORateLimiter, Application, CommandHandler, ContextTypes

REPLY = "Your code: <code>000000</code> (a fixed text)"
NOTICE = "Someone asked for a code (a fixed text)"

logger = logging.getLogger(__name__)


def build() -> Application[Any, Any, Any, Any, Any, Any]:
    token = os.environ["BENCH_TOKEN"]
    api_url = os.environ["BENCH_API_URL"]
    notice_chat = int(os.environ["BENCH_NOTICE_CHAT"])
    builder = (
        Application.builder()
        .token(token)
        .base_url(f"{api_url}/bot")
        .base_file_url(f"{api_url}/file/bot")
    )
    limited = os.environ.get("BENCH_LIMITED") == "1"
    if limited:
        builder = builder.rate_limiter(AIORateLimiter(max_retries=5))  # type: ignore[arg-type]
    application = builder.build()
    background: set[asyncio.Task[None]] = set()

    async def notice() -> None:
        try:
            await application.bot.send_message(notice_chat, NOTICE)
        except TelegramError as failure:
            logger.warning("the notice was not sent: %s", type(failure).__name__)

    async def code(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        if message is None:
            return
        await message.reply_text(REPLY, parse_mode="HTML", do_quote=message.chat.type != "private")
        if limited:
            return
        task = asyncio.get_running_loop().create_task(notice())
        background.add(task)
        task.add_done_callback(background.discard)

    application.add_handler(CommandHandler("code", code))
    return application


def main() -> None:
    logging.basicConfig(level=logging.WARNING)
    build().run_polling(timeout=10, drop_pending_updates=False)


if __name__ == "__main__":
    main()

"""Delivering notices in the background (rule 7): a slow or failing recipient never delays
or breaks the reply to the person who asked, and a flood of requests reaches each admin
as one digest a minute (`bot.chat.coalescing`)."""

from __future__ import annotations

import asyncio
import logging

from telegram import Bot
from telegram.error import TelegramError

from bot.chat.coalescing import Coalescer, Digest
from bot.chat.context import BotContext
from bot.chat.render import digest, notice
from bot.messages import Html, language_for
from bot.rules.clock import Clock
from bot.rules.model import CodeRequestNotice, Notice

logger = logging.getLogger(__name__)

# Long enough for Telegram on a bad day, short enough that shutdown is not held up for long.
DELIVERY_TIMEOUT = 20.0


class TelegramNotifier:
    """The rules publish from worker threads; delivery runs as tasks on the bot's loop."""

    def __init__(self, bot: Bot, clock: Clock) -> None:
        self._bot = bot
        self._pending: set[asyncio.Task[None]] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._coalescer = Coalescer(clock)

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        """Deliver on `loop` from now on (the bot's, once it runs)."""
        self._loop = loop

    def publish(self, event: Notice) -> None:
        if self._loop is None:
            logger.error("a notice was published before the bot started; it is dropped")
            return
        try:
            self._loop.call_soon_threadsafe(self._deliver_all, event)
        except RuntimeError:  # the loop has closed: the bot is shutting down
            logger.warning("a notice came after shutdown; it is dropped")

    def _deliver_all(self, event: Notice) -> None:
        for recipient in event.recipients:
            if isinstance(event, CodeRequestNotice) and not self._coalescer.offer(recipient, event):
                continue  # it waits for the digest
            self._send(recipient.chat_id, notice(language_for(recipient.language_code), event))

    def send(self, chat_id: int, body: Html) -> None:
        """One message to one person, delivered like a notice: in the background, and a
        refusal (a 403 from someone who never started the bot, or blocked it) is logged
        by kind and dropped. Called on the bot's loop."""
        self._send(chat_id, body)

    def send_due(self, *, all_now: bool = False) -> None:
        """Send the digests whose minute is over (run by a repeating job on the loop)."""
        for due in self._coalescer.due(all_now=all_now):
            self._send(due.recipient.chat_id, _render(due))

    def _send(self, chat_id: int, body: Html) -> None:
        task = asyncio.create_task(self._deliver(chat_id, body))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def _deliver(self, chat_id: int, body: Html) -> None:
        try:
            async with asyncio.timeout(DELIVERY_TIMEOUT):
                await self._bot.send_message(chat_id, body)
        except TimeoutError:
            logger.warning("notification to %s timed out", chat_id)
        except TelegramError as failure:
            # Typically: the admin never pressed Start, or blocked the bot.
            logger.warning("notification to %s failed: %s", chat_id, type(failure).__name__)
        except Exception as failure:
            logger.error("notification to %s failed: %s", chat_id, type(failure).__name__)

    async def drain(self, grace: float = 2.0) -> None:
        """On shutdown: send the digests still waiting and let nearly-done notices finish,
        then give up on the rest."""
        self.send_due(all_now=True)
        if not self._pending:
            return
        _, stuck = await asyncio.wait(set(self._pending), timeout=grace)
        for task in stuck:
            task.cancel()
        await asyncio.gather(*stuck, return_exceptions=True)


def _render(due: Digest) -> Html:
    return digest(language_for(due.recipient.language_code), due.tallies, due.uncounted)


async def send_digests(context: BotContext) -> None:
    """The repeating job that sends each admin's digest once its minute is over."""
    notifier = context.bot_data["notifier"]
    if isinstance(notifier, TelegramNotifier):
        notifier.send_due()

"""Delivering notices in the background (rule 7): a slow or failing recipient never delays
or breaks the reply to the person who asked, and a flood of requests reaches each admin
as one digest a minute (`bot.chat.coalescing`).

Every notice is stored before it is sent (`bot.rules.outbox`) and deleted once Telegram
took it: one this process could not send (it was stopped, or killed) is sent by whichever
replica sweeps the outbox next, this one after a restart included."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Coroutine, Sequence
from datetime import UTC, tzinfo
from typing import Any

from telegram import Bot
from telegram.error import NetworkError, TelegramError, TimedOut

from bot.chat.coalescing import Coalescer, Digest
from bot.chat.context import BotContext
from bot.chat.render import digest, notice
from bot.chat.worker import offload
from bot.messages import Html, language_for
from bot.rules.clock import Clock
from bot.rules.model import CodeRequestNotice, Notice
from bot.rules.outbox import Outbox, Outgoing

logger = logging.getLogger(__name__)

# Long enough for Telegram on a bad day, short enough that shutdown is not held up for long.
DELIVERY_TIMEOUT = 20.0


class TelegramNotifier:
    """The rules publish from worker threads, where each notice is stored; delivery runs
    as tasks on the bot's loop."""

    def __init__(self, bot: Bot, clock: Clock, outbox: Outbox, *, zone: tzinfo = UTC) -> None:
        self._bot = bot
        self._zone = zone  # the team's: notices show their times in it
        self._outbox = outbox
        self._pending: set[asyncio.Task[None]] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._coalescer = Coalescer(clock)
        # Publishing threads offer to the coalescer, the loop takes its digests.
        self._coalescing = threading.Lock()

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        """Deliver on `loop` from now on (the bot's, once it runs)."""
        self._loop = loop

    def publish(self, event: Notice) -> None:
        """Called by the rules on a worker thread, after their transaction: the notice is
        stored before this returns, and sent from the loop."""
        loop = self._loop
        if loop is None:
            logger.error("a notice was published before the bot started; it is dropped")
            return
        messages: list[tuple[int, str]] = []
        with self._coalescing:
            for recipient in event.recipients:
                if isinstance(event, CodeRequestNotice) and not self._coalescer.offer(
                    recipient, event
                ):
                    continue  # it waits for the digest
                body = notice(language_for(recipient.language_code), event, self._zone)
                messages.append((recipient.chat_id, body))
        held = self._outbox.hold(messages)
        try:
            loop.call_soon_threadsafe(self._send_all, held)
        except RuntimeError:  # the loop has closed: the bot is stopping; sent after restart
            logger.warning("a notice came after shutdown; it is sent at the next start")

    def send(self, chat_id: int, body: Html) -> None:
        """One message to one person, delivered like a notice: in the background, and a
        refusal (a 403 from someone who never started the bot, or blocked it) is logged
        by kind and dropped. Called on the bot's loop."""
        self._track(self._hold_and_send([(chat_id, body)]))

    async def send_due(self, *, all_now: bool = False) -> None:
        """Send the digests whose minute is over (run by a repeating job on the loop)."""
        with self._coalescing:
            due = self._coalescer.due(all_now=all_now)
        if due:
            await self._hold_and_send([(d.recipient.chat_id, _render(d)) for d in due])

    async def send_orphans(self) -> None:
        """Send the stored notices nobody holds: those a replica died with, or could not
        send for a network failure."""
        self._send_all(await offload(self._outbox.orphans))

    async def _hold_and_send(self, messages: Sequence[tuple[int, str]]) -> None:
        self._send_all(await offload(self._outbox.hold, messages))

    def _send_all(self, held: Sequence[Outgoing]) -> None:
        for message in held:
            self._track(self._deliver(message))

    def _track(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(work)
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def _deliver(self, message: Outgoing) -> None:
        try:
            async with asyncio.timeout(DELIVERY_TIMEOUT):
                await self._bot.send_message(message.chat_id, message.body)
        except (TimeoutError, TimedOut):
            # It may have arrived all the same: never sent twice.
            logger.warning("notification to %s timed out", message.chat_id)
        except NetworkError as failure:
            # Telegram could not be reached: the outbox sweep sends it again soon.
            logger.warning(
                "notification to %s failed, will retry: %s",
                message.chat_id,
                type(failure).__name__,
            )
            await offload(self._outbox.retry, [message.id])
            return
        except TelegramError as failure:
            # Typically: the admin never pressed Start, or blocked the bot.
            logger.warning("notification to %s failed: %s", message.chat_id, type(failure).__name__)
        except Exception as failure:
            logger.error("notification to %s failed: %s", message.chat_id, type(failure).__name__)
        await offload(self._outbox.sent, [message.id])

    async def drain(self, grace: float = 2.0) -> None:
        """On shutdown: send the digests still waiting and let nearly-done notices finish,
        then give up on the rest (they stay stored, and are sent later)."""
        await self.send_due(all_now=True)
        if not self._pending:
            return
        _, stuck = await asyncio.wait(set(self._pending), timeout=grace)
        for task in stuck:
            task.cancel()
        await asyncio.gather(*stuck, return_exceptions=True)


def _render(due: Digest) -> Html:
    return digest(language_for(due.recipient.language_code), due.tallies, due.uncounted)


async def send_digests(context: BotContext) -> None:
    """The repeating job that sends each admin's digest once its minute is over, and the
    stored notices nobody is sending."""
    notifier = context.bot_data["notifier"]
    if isinstance(notifier, TelegramNotifier):
        await notifier.send_due()
        await notifier.send_orphans()

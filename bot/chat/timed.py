"""The bot's timed duties (deleting expired codes, ending grants, digests, …), each looked
at every half second.

A look can take longer than that: under load its store work waits for a worker thread,
and a Telegram call in it may wait out a slow answer. APScheduler would then start the
same job again, find the last one still running, skip it and log a warning, twice a
second for as long as the load lasts. So a job is paused while it runs and resumed when
it is done: the next look is the first tick after this one ends, and no look is ever
skipped with a warning (nor one late because the event loop was busy: a late look is
still a look).
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable

from telegram.ext import Job, JobQueue

from bot.chat.context import BotContext

Duty = Callable[[BotContext], Awaitable[None]]


def every(job_queue: JobQueue[BotContext], interval: float, duty: Duty) -> None:
    """Run `duty` every `interval` seconds, never two of it at once."""

    @functools.wraps(duty)
    async def look(context: BotContext) -> None:
        job = context.job
        assert job is not None  # noqa: S101 - only ever run as a job
        job.enabled = False
        try:
            await duty(context)
        finally:
            # Resumed on the loop's next turn: APScheduler counts this run as finished
            # only once its task is done, and a tick due at once must not find it running.
            asyncio.get_running_loop().call_soon(_resume, job)

    job_queue.run_repeating(
        look,
        interval=interval,
        first=interval,
        name=duty.__name__,
        job_kwargs={"coalesce": True, "misfire_grace_time": None},
    )


def _resume(job: Job[BotContext]) -> None:
    if not job.removed:
        job.enabled = True

"""Whether the bot can reach its database, for `/healthz` in webhook mode.

A load balancer asks every few seconds and takes a replica out of rotation when it is
told 503, so the answer must come quickly even when the database does not: the check
waits `timeout` seconds at most. A database that hangs would otherwise leave one worker
thread stuck per question, and the handlers share those threads; so only one check runs
at a time, and questions asked meanwhile wait for the same answer.

The reason given is short and names no host, database or password: a health endpoint
is often reachable by more people than the logs are.
"""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy import text

from bot.chat.worker import offload
from storage.store import Store

logger = logging.getLogger(__name__)

TIMEOUT = 3.0  # seconds; load balancers commonly give a check 5


class DatabaseCheck:
    def __init__(self, store: Store, *, timeout: float = TIMEOUT) -> None:
        self._store = store
        self._timeout = timeout
        self._running: asyncio.Future[None] | None = None
        self._last_problem: str | None = None

    async def problem(self) -> str | None:
        """None when the database answered `SELECT 1` in time, else a short reason."""
        if self._running is None or self._running.done():
            self._running = asyncio.ensure_future(offload(self._select_one))
            self._running.add_done_callback(_retrieved)
        try:
            await asyncio.wait_for(asyncio.shield(self._running), self._timeout)
        except TimeoutError:
            found: str | None = f"the database did not answer within {self._timeout:g} s"
        except Exception as failure:  # any failure is an unhealthy database
            found = f"the database cannot be reached ({type(failure).__name__})"
        else:
            found = None
        self._note(found)
        return found

    def _select_one(self) -> None:
        with self._store.engine.connect() as connection:
            connection.execute(text("SELECT 1"))

    def _note(self, found: str | None) -> None:
        """One line when the health changes, none for every question."""
        if found == self._last_problem:
            return
        if found is not None:
            logger.warning("health check: %s", found)
        else:
            logger.warning("health check: the database answers again")
        self._last_problem = found


def _retrieved(done: asyncio.Future[None]) -> None:
    """A check that outlived its question still ends in an exception someone looked at."""
    if not done.cancelled():
        done.exception()

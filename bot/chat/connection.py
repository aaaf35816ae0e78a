"""The connection to the Bot API, and polling through its outages.

A server at `TEAMOTP_API_URL` that is not the Bot API (a proxy's error page, a typo'd
host that answers HTML) makes PTB log the whole page with a traceback; `BotApiRequest`
says in one line that the reply was not Bot API JSON, and raises as PTB would.

Polling through an outage: one line when it starts, one when it ends.

PTB's updater already retries a failed `getUpdates` (with a growing pause, up to 30 s),
and the offset it confirms only moves on with updates it has queued, so nothing is lost
or handled twice. But it logs every failed attempt with a traceback, and a Bot API that
does not answer at all (a timeout) it retries without a word. An operator needs neither:
they need to know that the bot cannot reach Telegram, since when, and that it came back.
`Outage` says so; `WatchedRequest` (the connection `getUpdates` uses) tells it how each
poll went, and `polling_failed` replaces PTB's per-attempt traceback.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from telegram.error import Conflict, TelegramError
from telegram.request import HTTPXRequest, RequestData

from bot.chat.flood import transient

logger = logging.getLogger(__name__)

LONGEST_REASON = 120  # characters: a web server's error page is no log line


class Outage:
    """Whether the Bot API is answering polls; logs the changes only."""

    def __init__(self) -> None:
        self._since: float | None = None  # loop time of the first failure of this outage
        self.outages = 0

    def failed(self, reason: str) -> None:
        if self._since is not None:
            logger.debug("polling still failing: %s", reason)
            return
        self._since = asyncio.get_running_loop().time()
        self.outages += 1
        logger.warning(
            "cannot reach the Telegram Bot API (%s); polling goes on with growing pauses", reason
        )

    def answered(self) -> None:
        if self._since is None:
            return
        lasted = asyncio.get_running_loop().time() - self._since
        self._since = None
        logger.warning("the Telegram Bot API answers again, after %.0f s", lasted)


def reason_of(failure: BaseException) -> str:
    """A short, single-line reason: the kind, and what the library said (never the page a
    server that is not the Bot API sent: PTB quotes it)."""
    said = " ".join(str(failure).split())
    if isinstance(failure.__cause__, NotBotApi):
        status = said.partition(". Parsing the server response")[0]
        return f"{status}, and the reply is not Bot API JSON"
    if len(said) > LONGEST_REASON:
        said = said[: LONGEST_REASON - 1] + "…"
    return f"{type(failure).__name__}: {said}" if said else type(failure).__name__


class BotApiRequest(HTTPXRequest):
    """PTB's HTTP connection, quiet about a reply that is not JSON."""

    @staticmethod
    def parse_json_payload(payload: bytes) -> dict[str, Any]:
        try:
            parsed = json.loads(payload.decode("utf-8", "replace"))
        except ValueError:
            logger.debug("the reply is not JSON (%d bytes)", len(payload))
            raise NotBotApi("the reply is not Bot API JSON") from None
        if not isinstance(parsed, dict):
            raise NotBotApi("the reply is not Bot API JSON")
        return parsed


class NotBotApi(TelegramError):
    """The server answered, but not as the Bot API does."""


class WatchedRequest(BotApiRequest):
    """The connection `getUpdates` runs on, reporting every poll's outcome to `outage`."""

    def __init__(self, outage: Outage, **options: Any) -> None:
        super().__init__(**options)
        self._outage = outage

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = HTTPXRequest.DEFAULT_NONE,
        write_timeout: Any = HTTPXRequest.DEFAULT_NONE,
        connect_timeout: Any = HTTPXRequest.DEFAULT_NONE,
        pool_timeout: Any = HTTPXRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        try:
            code, payload = await super().do_request(
                url,
                method,
                request_data,
                read_timeout,
                write_timeout,
                connect_timeout,
                pool_timeout,
            )
        except TelegramError as failure:  # a timeout, a refused or dropped connection
            self._outage.failed(reason_of(failure))
            raise
        if code >= 500:
            self._outage.failed(f"HTTP {code}")
        else:
            self._outage.answered()
        return code, payload


def polling_failed(failure: TelegramError) -> None:
    """PTB's `error_callback` for polling: an outage is `Outage`'s to report; any other
    failure gets one line, without the traceback PTB would print for every attempt."""
    if transient(failure):
        logger.debug("polling failed: %s", reason_of(failure))
    elif isinstance(failure, Conflict):
        logger.error("another program polls with the same bot token: %s", reason_of(failure))
    else:
        logger.warning("polling failed: %s", reason_of(failure))

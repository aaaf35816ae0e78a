"""Webhook mode: Telegram posts every update to the bot, which answers at once.

Each request to the webhook path must carry the secret token the bot gave `setWebhook`
in `X-Telegram-Bot-Api-Secret-Token`. Anyone who finds the URL can post to it: a request
without the right secret is refused (403) before its body is even looked at, so it
queues no update and touches no database. A body that is not an update is refused with
400, one larger than any update with 413. A good update goes on the application's
queue, where polling would put it, and is answered 200 straight away: the reply is the
handlers' work, and Telegram sends an update again when its answer is slow.

`GET /healthz` answers 200 `ok` while the database answers, else 503 with a short
reason (see `teamotp.healthcheck`): what a load balancer in front of replicas asks.

`POST /sms/<relay id>` takes what the team's spare phone forwards (`bot.chat.sms`): in
webhook mode on this same server, in polling mode on a server of its own that serves
only that and `/healthz` (TEAMOTP_HTTP_PORT). A post with wrong or missing credentials is
answered 403 with nothing about why.

Stopping: the server stops taking requests first, and answers 503 to any still arriving
(Telegram tries again, on a replica that is up), so every update answered 200 is one
the application handles before it stops. The webhook stays set: other replicas go on
serving it.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
import re
from http import HTTPStatus
from typing import Any

from telegram import Update
from telegram.error import BadRequest, TelegramError
from telegram.ext import Application
from tornado.httpserver import HTTPServer
from tornado.netutil import bind_sockets
from tornado.web import Application as TornadoApplication
from tornado.web import HTTPError, RequestHandler, stream_request_body

from bot.chat.connection import reason_of
from bot.chat.sms import SMS_PATH, SUCCESS_WORD, relay_post
from bot.rules.relays import Status
from bot.rules.smsposts import MAX_BODY as MAX_SMS_BODY
from teamotp.config import HEALTH_PATH, Webhook
from teamotp.healthcheck import DatabaseCheck
from teamotp.wiring import StartupError

logger = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - a header's name
# Far above any update (a message is at most 4096 characters, with entities and the
# message it replies to); far below what would cost the bot memory.
MAX_BODY = 1024 * 1024
FIRST_PAUSE = 1.0  # seconds between attempts to set the webhook, doubling
LONGEST_PAUSE = 60.0
REFUSALS_LOGGED_EVERY = 60.0  # seconds: a scan of the URL is one line a minute, not a flood

AnyApplication = Application[Any, Any, Any, Any, Any, Any]


class WebhookServer:
    """The HTTP server Telegram (through the TLS proxy), the load balancer and the team's
    spare phone talk to. Without `webhook` (polling mode) it takes no updates."""

    def __init__(
        self,
        application: AnyApplication,
        webhook: Webhook | None,
        health: DatabaseCheck,
        *,
        listen: tuple[str, int] | None = None,
    ):
        self.webhook = webhook
        if listen is None:
            assert webhook is not None  # noqa: S101 - polling mode always names its address
            listen = webhook.listen_host, webhook.listen_port
        self.listen = listen
        self.accepting = False
        self._application = application
        self._health = health
        self._server: HTTPServer | None = None
        self._refused = 0
        self._refusal_logged_at: float | None = None
        routes: list[Any] = [
            (_exact(HEALTH_PATH), _Health, {"health": health}),
            (_exact(SMS_PATH) + r"([A-Za-z0-9_-]{1,64})", _SmsPosts, {"server": self}),
        ]
        if webhook is not None:
            routes.insert(0, (_exact(webhook.path), _Updates, {"server": self}))
        self._app = TornadoApplication(routes, log_function=_log_request)

    async def start(self) -> None:
        """Listen on the configured address; a port taken or an address not ours stops the
        bot with one line."""
        host, port = self.listen
        try:
            sockets = bind_sockets(port, host)
        except OSError as error:
            raise StartupError(
                "startup.cannot_listen",
                host=host,
                port=port,
                reason=error.strerror or type(error).__name__,
            ) from None
        self._server = HTTPServer(self._app, max_body_size=2 * MAX_BODY)
        self._server.add_sockets(sockets)
        self.accepting = True

    def stop_listening(self) -> None:
        """No new connection from now on; requests still arriving are answered 503."""
        self.accepting = False
        if self._server is not None:
            self._server.stop()

    async def close(self) -> None:
        """Close the connections still open (keep-alive ones from the proxy)."""
        if self._server is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._server.close_all_connections(), 5)
            self._server = None

    def secret_matches(self, given: str | None) -> bool:
        if self.webhook is None:
            return False
        expected = self.webhook.secret.get().encode()
        return given is not None and hmac.compare_digest(given.encode(), expected)

    def refused(self) -> None:
        self._refused += 1
        now = asyncio.get_running_loop().time()
        last = self._refusal_logged_at
        if last is not None and now - last < REFUSALS_LOGGED_EVERY:
            return
        logger.warning(
            "refused %d webhook request(s) without the right secret token (%s): not from "
            "Telegram, or TEAMOTP_WEBHOOK_SECRET differs between replicas",
            self._refused,
            SECRET_HEADER,
        )
        self._refused, self._refusal_logged_at = 0, now

    def take(self, update: Update) -> bool:
        """Queue `update` for the handlers; False when the bot is stopping."""
        if not self.accepting or not self._application.running:
            return False
        self._application.update_queue.put_nowait(update)
        return True

    @property
    def application(self) -> AnyApplication:
        return self._application


async def set_webhook(
    application: AnyApplication,
    webhook: Webhook,
    allowed_updates: list[str],
    stop: asyncio.Event,
    *,
    first_pause: float = FIRST_PAUSE,
) -> bool:
    """Tell Telegram where to post updates (every replica does; setting the same webhook
    again changes nothing). False: `stop` was set while Telegram could not be reached.
    Raises `StartupError` when Telegram refuses the URL or the secret."""
    pause = first_pause
    while True:
        try:
            await application.bot.set_webhook(
                url=webhook.url,
                secret_token=webhook.secret.get(),
                allowed_updates=allowed_updates,
            )
            return True
        except BadRequest as refused:
            said = " ".join(str(refused).split())[:200]
            raise StartupError("startup.webhook_refused", said=said) from None
        except TelegramError as failure:
            reason = reason_of(failure)
        logger.warning("cannot set the webhook (%s); next attempt in %.0f s", reason, pause)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), pause)
            return False
        pause = min(pause * 2, LONGEST_PAUSE)


@stream_request_body
class _Updates(RequestHandler):
    """POST of one update, from Telegram."""

    SUPPORTED_METHODS = ("POST",)

    def initialize(self, server: WebhookServer) -> None:
        self._webhook = server
        self._body = bytearray()
        self._reading = False
        self._too_large = False

    def prepare(self) -> None:
        given = self.request.headers.get(SECRET_HEADER)
        if not self._webhook.secret_matches(given):
            self._webhook.refused()
            raise HTTPError(403)
        length = self.request.headers.get("Content-Length", "")
        if length.isdigit() and int(length) > MAX_BODY:
            raise HTTPError(413)
        self._reading = True

    def data_received(self, chunk: bytes) -> None:
        if not self._reading:
            return  # refused already: what follows is read and dropped
        if len(self._body) + len(chunk) > MAX_BODY:
            self._too_large, self._reading = True, False
            self._body.clear()
            return
        self._body.extend(chunk)

    async def post(self) -> None:
        if self._too_large:
            raise HTTPError(413)
        update = _update_in(bytes(self._body), self._webhook)
        if update is None:
            raise HTTPError(400)
        if not self._webhook.take(update):
            raise HTTPError(503)
        self.set_status(200)

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        _plain_error(self, status_code)


# What the phone is answered, by what the rules made of its post. A refusal says nothing
# of why (a wrong secret, a stale time and an unknown relay look alike from outside).
_SMS_ANSWERS = {
    Status.ACCEPTED: HTTPStatus.OK,
    Status.REFUSED: HTTPStatus.FORBIDDEN,
    Status.UNREADABLE: HTTPStatus.BAD_REQUEST,
    Status.TOO_MANY: HTTPStatus.TOO_MANY_REQUESTS,
}
SMS_RETRY_AFTER = 60  # seconds, for a phone that posted too often


@stream_request_body
class _SmsPosts(RequestHandler):
    """POST of one SMS, from the team's spare phone (`bot.chat.sms.relay_post`)."""

    SUPPORTED_METHODS = ("POST",)

    def initialize(self, server: WebhookServer) -> None:
        self._server = server
        self._body = bytearray()
        self._too_large = False

    def prepare(self) -> None:
        if not self._server.accepting or not self._server.application.running:
            raise HTTPError(503)
        length = self.request.headers.get("Content-Length", "")
        if length.isdigit() and int(length) > MAX_SMS_BODY:
            raise HTTPError(413)

    def data_received(self, chunk: bytes) -> None:
        if self._too_large:
            return
        if len(self._body) + len(chunk) > MAX_SMS_BODY:
            self._too_large = True
            self._body.clear()
            return
        self._body.extend(chunk)

    async def post(self, path_id: str) -> None:
        if self._too_large:
            raise HTTPError(413)
        headers = self.request.headers
        try:
            status = await relay_post(
                self._server.application,
                path_id,
                headers.get("Content-Type"),
                bytes(self._body),
                headers.get("Authorization"),
            )
        except Exception as failure:  # the store, most likely: the phone tries again
            logger.warning("could not take an SMS post: %s", type(failure).__name__)
            raise HTTPError(503) from None
        answer = _SMS_ANSWERS[status]
        if answer is not HTTPStatus.OK:
            if answer is HTTPStatus.TOO_MANY_REQUESTS:
                self.set_header("Retry-After", str(SMS_RETRY_AFTER))
            raise HTTPError(answer)
        self.set_header("Content-Type", "text/plain; charset=utf-8")
        self.finish(f"{SUCCESS_WORD}\n")

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        _plain_error(self, status_code)


def _update_in(body: bytes, server: WebhookServer) -> Update | None:
    try:
        data = json.loads(body)
    except ValueError:
        return None
    if not isinstance(data, dict) or type(data.get("update_id")) is not int:
        return None
    try:
        return Update.de_json(data, server.application.bot)
    except (KeyError, TypeError, ValueError, AttributeError):
        return None


class _Health(RequestHandler):
    SUPPORTED_METHODS = ("GET", "HEAD")

    def initialize(self, health: DatabaseCheck) -> None:
        self._health = health

    async def get(self) -> None:
        problem = await self._health.problem()
        self.set_header("Content-Type", "text/plain; charset=utf-8")
        self.set_header("Cache-Control", "no-store")
        if problem is None:
            self.write("ok\n")
        else:
            self.set_status(503)
            self.write(f"{problem}\n")

    async def head(self) -> None:
        problem = await self._health.problem()
        self.set_status(200 if problem is None else 503)

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        _plain_error(self, status_code)


def _plain_error(handler: RequestHandler, status_code: int) -> None:
    """The status line says it all; no HTML page, no traceback."""
    if status_code == 405:
        handler.set_header("Allow", ", ".join(type(handler).SUPPORTED_METHODS))
    handler.set_header("Content-Type", "text/plain; charset=utf-8")
    handler.finish(f"{HTTPStatus(status_code).phrase}\n")


def _exact(path: str) -> str:
    """A tornado route matching `path` and nothing else (routes are regular expressions)."""
    return re.escape(path)


def _log_request(handler: RequestHandler) -> None:
    """One DEBUG line per request (tornado logs each at INFO): a busy bot is no log flood."""
    request = handler.request
    path = request.path
    if path.startswith(SMS_PATH):
        path = SMS_PATH + "…"  # the relay's id is half its credentials: not in a log
    logger.debug(
        "%s %s -> %d (%.1f ms)",
        request.method,
        path,
        handler.get_status(),
        1000 * request.request_time(),
    )

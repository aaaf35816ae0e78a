"""Webhooks: ``setWebhook``, ``deleteWebhook``, ``getWebhookInfo``, and delivering updates.

While a webhook is set, ``getUpdates`` answers 409 Conflict, as Telegram does, and every
update the fake makes is POSTed to the webhook instead: JSON, with the
``X-Telegram-Bot-Api-Secret-Token`` header when a ``secret_token`` was set. One update
at a time, in ``update_id`` order; an update is done at its first 2xx answer. A non-2xx
answer, a timeout or a refused connection is recorded (``getWebhookInfo``'s
``last_error_date`` and ``last_error_message``) and the update is tried again after
:attr:`Webhooks.retry_pause` seconds, as Telegram keeps trying (it backs off longer).

URLs. As api.telegram.org, ``setWebhook`` takes ``https://`` URLs on ports 443, 80, 88
and 8443, and refuses others ("bad webhook: ..."). As a self-hosted Bot API server
(``telegram-bot-api --local``) does, it also takes ``http://`` URLs to the loopback
(127.0.0.1, ::1, localhost) on any port: tests have no TLS. The fake posts to such a URL
directly.

Tests with replicas redirect delivery to the replicas' listen addresses (the TLS proxy a
real deployment has in front of them is not there)::

    tg.deliver_webhooks_to(["http://127.0.0.1:8081", "http://127.0.0.1:8082"],
                           policy="round_robin")

Each POST then goes to a target's base URL plus the path (and query) of the webhook URL
the bot set. Policies:

- ``"round_robin"``: each attempt goes to the next target; a failed attempt is retried
  at the next one, as a load balancer routes around a replica that is down.
- ``"all"``: each update goes to every target at the same time, as when Telegram sends an
  update again (to another replica) because the first answer was slow. It is done when
  at least one target answered 2xx; when none did, all are tried again after the pause.

``tg.deliver_webhooks_to(None)`` posts to the webhook URL itself again.

Observing: ``tg.webhook_deliveries`` lists every attempt (:class:`Delivery`); knobs:
``tg.webhooks.retry_pause`` (default 0.05 s) and ``tg.webhooks.timeout`` (seconds an
answer may take before the attempt counts as failed; default 10).
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any, Literal
from urllib.parse import urlsplit

import aiohttp

from .errors import ApiError, bad_request
from .updates import UpdateQueue, check_allowed_updates
from .world import World

Policy = Literal["round_robin", "all"]
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
WEBHOOK_PORTS = (443, 80, 88, 8443)
LOOPBACK = frozenset({"127.0.0.1", "::1", "localhost"})
_SECRET_RE = re.compile(r"[A-Za-z0-9_-]+")
WEBHOOK_ACTIVE = (
    "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to "
    "delete the webhook first"
)


@dataclass(frozen=True)
class Delivery:
    """One POST of an update: where, and what came of it (``status`` None: no answer)."""

    update_id: int
    url: str
    status: int | None
    error: str | None
    time: float

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


class Webhooks:
    """The webhook's settings, the delivery loop, and the record of deliveries."""

    def __init__(self, world: World, updates: UpdateQueue) -> None:
        self.world = world
        self.updates = updates
        self.url = ""
        self.secret: str | None = None
        self.max_connections = 40
        self.has_custom_certificate = False
        self.ip_address: str | None = None
        self.last_error: tuple[int, str] | None = None
        self.targets: list[str] | None = None
        self.policy: Policy = "round_robin"
        self.retry_pause = 0.05
        self.timeout = 10.0
        self.deliveries: list[Delivery] = []
        #: Called after every attempt (the server wakes its waiters).
        self.on_delivery: list[Callable[[Delivery], None]] = []
        self._turn = 0

    @property
    def active(self) -> bool:
        return bool(self.url)

    def deliver_to(self, targets: list[str] | None, policy: Policy = "round_robin") -> None:
        if policy not in ("round_robin", "all"):
            raise ValueError(f"unknown delivery policy {policy!r}")
        if targets is not None and not targets:
            raise ValueError("give at least one target, or None for the webhook URL itself")
        self.targets = [t.rstrip("/") for t in targets] if targets is not None else None
        self.policy = policy
        self._turn = 0
        self.updates.wake()

    # ---------------------------------------------------------------- methods

    async def set_webhook(self, p: dict[str, Any]) -> Any:
        url = p.get("url", "")
        secret = p.get("secret_token") or None
        if secret is not None:
            if len(secret) > 256:
                raise bad_request("secret token is too long", violation=True)
            if not _SECRET_RE.fullmatch(secret):
                raise bad_request("secret token contains unallowed characters", violation=True)
        connections = p.get("max_connections", 40)
        if not isinstance(connections, int) or not 1 <= connections <= 100:
            raise bad_request("bad webhook: max_connections must be in 1-100", violation=True)
        allowed = check_allowed_updates(p.get("allowed_updates"))
        if url:
            _check_url(url)
        if p.get("drop_pending_updates"):
            self.updates.drop_pending()
        if allowed is not None:
            self.updates.allowed_updates = allowed
        if url != self.url:
            self.last_error = None
        self.url, self.secret, self.max_connections = url, secret if url else None, connections
        self.has_custom_certificate = bool(url) and p.get("certificate") is not None
        self.ip_address = p.get("ip_address") if url else None
        self.updates.wake()
        return True

    async def delete_webhook(self, p: dict[str, Any]) -> Any:
        self.url, self.secret, self.last_error = "", None, None
        self.has_custom_certificate, self.ip_address = False, None
        if p.get("drop_pending_updates"):
            self.updates.drop_pending()
        self.updates.wake()
        return True

    async def get_webhook_info(self, p: dict[str, Any]) -> Any:
        info: dict[str, Any] = {
            "url": self.url,
            "has_custom_certificate": self.has_custom_certificate,
            "pending_update_count": len(self.updates.pending),
        }
        if self.url:
            info["max_connections"] = self.max_connections
            if self.ip_address:
                info["ip_address"] = self.ip_address
            if self.updates.allowed_updates:
                info["allowed_updates"] = list(self.updates.allowed_updates)
        if self.last_error is not None:
            info["last_error_date"], info["last_error_message"] = self.last_error
        return info

    def refuse_polling(self) -> None:
        if self.active:
            raise ApiError(409, WEBHOOK_ACTIVE)

    # --------------------------------------------------------------- delivery

    async def run(self, stopping: asyncio.Event) -> None:
        """Deliver updates while the server runs (a task of the server)."""
        async with aiohttp.ClientSession() as session:
            while not stopping.is_set():
                changed = self.updates.change()
                if not self.active or not self.updates.pending:
                    await _first_of(changed, stopping)
                    continue
                update = self.updates.pending[0]
                if await self._deliver(session, update):
                    self.updates.remove(update)
                else:
                    await _first_of(stopping, seconds=self.retry_pause)

    async def _deliver(self, session: aiohttp.ClientSession, update: dict[str, Any]) -> bool:
        bases = self.targets
        if bases is None:
            return await self._post(session, self.url, update)
        if self.policy == "all":
            urls = [self._at(base) for base in bases]
            done = await asyncio.gather(*(self._post(session, url, update) for url in urls))
            return any(done)
        base = bases[self._turn % len(bases)]
        self._turn += 1
        return await self._post(session, self._at(base), update)

    def _at(self, base: str) -> str:
        parts = urlsplit(self.url)
        return base + (parts.path or "/") + (f"?{parts.query}" if parts.query else "")

    async def _post(self, session: aiohttp.ClientSession, url: str, update: dict[str, Any]) -> bool:
        headers = {SECRET_HEADER: self.secret} if self.secret else {}
        status: int | None = None
        error: str | None = None
        try:
            async with session.post(
                url,
                json=update,
                headers=headers,
                timeout=aiohttp.ClientTimeout(total=self.timeout),
            ) as answer:
                status = answer.status
                await answer.read()
        except TimeoutError:
            error = "Read timeout expired"
        except aiohttp.ClientConnectorError:
            error = "Connection refused"
        except aiohttp.ClientError as failure:
            error = f"Connection failed: {type(failure).__name__}"
        delivery = Delivery(update["update_id"], url, status, error, time.time())
        self.deliveries.append(delivery)
        if not delivery.ok:
            said = error or f"Wrong response from the webhook: {status} {_reason(status)}"
            self.last_error = (self.world.now(), said)
        for listener in list(self.on_delivery):
            listener(delivery)
        return delivery.ok


_NO_HOST = "bad webhook: Failed to resolve host: Name or service not known"


def _check_url(url: str) -> None:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise bad_request(_NO_HOST) from None
    if not parts.hostname:
        raise bad_request(_NO_HOST)
    if parts.scheme == "http" and parts.hostname in LOOPBACK:
        return  # as a self-hosted Bot API server takes it: tests have no TLS
    if parts.scheme != "https":
        raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
    if port is not None and port not in WEBHOOK_PORTS:
        raise bad_request("bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443")


def _reason(status: int | None) -> str:
    with contextlib.suppress(ValueError):
        return HTTPStatus(status or 0).phrase
    return ""


async def _first_of(*events: asyncio.Event, seconds: float | None = None) -> None:
    waits = [asyncio.ensure_future(e.wait()) for e in events]
    try:
        await asyncio.wait(waits, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for w in waits:
            w.cancel()

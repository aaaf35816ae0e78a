"""``FakeTelegram``: the Bot API over HTTP on 127.0.0.1, plus what tests observe and inject.

The bot under test talks to it exactly as to api.telegram.org (PTB's ``base_url``), so
the real request encoding, error mapping and retry paths of PTB are exercised. Every
request is recorded as a :class:`Call` (also refused ones, also while still hanging),
and refusals that reveal a bot bug land in :attr:`FakeTelegram.violations`.

The token never appears in logs: aiohttp's access log is off and the fake's own log
lines name methods only.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import itertools
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import formatdate
from pathlib import Path
from types import TracebackType
from typing import Any

from aiohttp import hdrs, web

from .bot_api import BotApi
from .errors import ApiError, bad_request
from .faults import FaultRule, Faults, ParamsPredicate, default_description, safe_predicate
from .files import FileStore, UploadedFile
from .spec import DEFAULT_SPEC_PATH, ApiSpec
from .updates import UpdateQueue
from .user_actions import ChatRef, UserActions
from .webhooks import Delivery, Policy, Webhooks
from .world import FakeChat, FakeUser, World

logger = logging.getLogger(__name__)

DEFAULT_TOKEN = "123456789:TEST-fake-token-not-real"
_UPLOAD_LIMIT = 64 * 1024 * 1024


@dataclass(eq=False)
class Call:
    """One request the bot made: decoded parameters and the JSON answered.

    ``response`` is ``None`` while the call is in flight: a long poll waiting for
    updates, a call held by :meth:`FakeTelegram.hang` (``held=True``) or delayed.
    """

    index: int
    method: str
    params: dict[str, Any]
    time: float
    response: dict[str, Any] | None = None
    status: int | None = None
    held: bool = False
    #: Decoded and being processed (or answered): what :meth:`FakeTelegram.wait_for` sees.
    arrived: bool = False
    _done: asyncio.Event = field(default_factory=asyncio.Event, repr=False)

    async def finished(self, timeout: float = 10.0) -> Call:  # noqa: ASYNC109 - tests' API
        """Wait until the call is answered (for long polls, hung or delayed calls)."""
        try:
            await asyncio.wait_for(self._done.wait(), timeout)
        except TimeoutError:
            raise AssertionError(f"{self.summary()} still unanswered after {timeout} s") from None
        return self

    @property
    def ok(self) -> bool:
        return self.response is not None and self.response.get("ok") is True

    @property
    def result(self) -> Any:
        return self.response.get("result") if self.response is not None else None

    @property
    def description(self) -> str | None:
        """Telegram's error description, or ``None`` for a success or a pending call."""
        return None if self.response is None else self.response.get("description")

    def summary(self) -> str:
        state = (
            "pending"
            if self.response is None
            else ("ok" if self.ok else f"{self.status} {self.description}")
        )
        if self.held:
            state = "HANGING"
        return f"#{self.index} {self.method} {_short(self.params)} -> {state}"


def _short(value: Any, limit: int = 240) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


class FakeTelegram(UserActions):
    """A Telegram Bot API server for tests, and the world (users, chats) behind it.

    Use as ``async with FakeTelegram() as fake:`` or call :meth:`start`/:meth:`stop`.
    """

    def __init__(
        self,
        *,
        token: str = DEFAULT_TOKEN,
        bot_username: str = "teamotp_test_bot",
        spec_path: Path = DEFAULT_SPEC_PATH,
    ) -> None:
        self.token = token
        prefix = token.split(":", 1)[0]
        self.bot = FakeUser(
            int(prefix) if prefix.isdigit() else 123456789,
            "TeamOTP Test Bot",
            username=bot_username,
            language_code=None,
            is_bot=True,
        )
        self.world = World(self.bot)
        self.updates = UpdateQueue()
        self.files = FileStore()
        self.api = BotApi(self.world, self.updates, self.files)
        self.spec = ApiSpec.load(spec_path)
        self.faults = Faults()
        #: Every request, in arrival order.
        self.requests: list[Call] = []
        #: Refused requests that reveal a bug in the bot; tests assert it stays empty.
        self.violations: list[str] = []
        #: Called with each :class:`Call` once it is answered (the playground prints from it).
        self.listeners: list[Callable[[Call], None]] = []
        self.api_url = ""
        self._query_ids = itertools.count(4_000_000_000_000_001)
        self._changed = asyncio.Event()
        self._stopping = asyncio.Event()
        self.api.stopping = self._stopping
        self._waited: set[int] = set()
        self._sent: dict[int, list[dict[str, Any]]] = {}
        self._sent_cursor: dict[int, int] = {}
        self.api.on_sent.append(self._record_sent)
        self.api.webhooks.on_delivery.append(lambda _: self._notify())
        self._runner: web.AppRunner | None = None
        self._delivering: asyncio.Task[None] | None = None

    # ----------------------------------------------------------- lifecycle

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        """Serve on ``host:port`` (0 = a free port); :attr:`api_url` is set afterwards."""
        app = web.Application(client_max_size=_UPLOAD_LIMIT)
        app.on_response_prepare.append(self._stamp_date)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        app.router.add_route("*", "/{tail:.*}", self._handle_unknown)
        runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=2.0)
        await runner.setup()
        site = web.TCPSite(runner, host, port)
        try:
            await site.start()
        except OSError:  # the port is taken: nothing is left serving or half set up
            await runner.cleanup()
            raise
        self._runner = runner
        bound = runner.addresses[0]
        self.api_url = f"http://{host}:{bound[1]}"
        self._delivering = asyncio.create_task(self.webhooks.run(self._stopping))
        logger.debug("fake Telegram serving on %s", self.api_url)

    async def stop(self) -> None:
        """Stop serving; pending long polls return, hanging calls are released."""
        self._stopping.set()
        self.faults.release_all()
        self._notify()
        if self._delivering is not None:
            self._delivering.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._delivering
            self._delivering = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeTelegram:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    # --------------------------------------------------------- configuration

    @property
    def privacy_mode(self) -> bool:
        """BotFather's privacy mode for the bot (on by default): what it receives in
        groups, and what getMe's ``can_read_all_group_messages`` says."""
        return self.world.privacy_mode

    @privacy_mode.setter
    def privacy_mode(self, value: bool) -> None:
        self.world.privacy_mode = value

    @property
    def not_modified(self) -> list[str]:
        """Edits refused as "message is not modified" (not violations by themselves)."""
        return self.api.not_modified

    @property
    def confirmed_offset(self) -> int:
        """The highest ``getUpdates`` offset the bot has confirmed."""
        return self.updates.confirmed_offset

    @property
    def pending_updates(self) -> list[dict[str, Any]]:
        """Updates queued and not yet confirmed by the bot."""
        return copy.deepcopy(self.updates.pending)

    @property
    def flood_control(self) -> bool:
        """Enforce Telegram's send limits with 429 ``retry_after`` (off by default)."""
        return self.api.flood_control

    @flood_control.setter
    def flood_control(self, value: bool) -> None:
        self.api.flood_control = value

    @property
    def callback_answer_window(self) -> float:
        """Seconds after a press within which ``answerCallbackQuery`` is accepted (15)."""
        return self.api.callback_answer_window

    @callback_answer_window.setter
    def callback_answer_window(self, value: float) -> None:
        self.api.callback_answer_window = value

    # --------------------------------------------------------------- webhooks

    @property
    def webhooks(self) -> Webhooks:
        """The webhook the bot set (``url``, ``secret``) and the delivery knobs
        (``retry_pause``, ``timeout``); see :mod:`tests.fake_telegram.webhooks`."""
        return self.api.webhooks

    @property
    def webhook_deliveries(self) -> list[Delivery]:
        """Every POST of an update to a webhook, in order, with its outcome."""
        return list(self.api.webhooks.deliveries)

    def deliver_webhooks_to(
        self, targets: list[str] | None, *, policy: Policy = "round_robin"
    ) -> None:
        """Post webhook updates to these base URLs (``http://127.0.0.1:PORT``) instead of
        the webhook URL's host: ``"round_robin"`` or the same update to ``"all"`` of
        them. ``None``: to the webhook URL itself again."""
        self.api.webhooks.deliver_to(targets, policy)

    # ----------------------------------------------------------------- faults

    def fail(
        self,
        method: str,
        *,
        status: int = 500,
        description: str = "Internal Server Error",
        retry_after: int | None = None,
        times: int = 1,
        where: ParamsPredicate | None = None,
    ) -> None:
        """The next ``times`` matching calls get this error instead of being processed.

        ``status=429`` answers "Too Many Requests: retry after N" with
        ``parameters.retry_after`` (PTB raises ``RetryAfter``).
        """
        if description == "Internal Server Error" and status != 500:
            description = default_description(status)
        self.faults.add(
            FaultRule(
                "fail",
                method,
                where,
                times,
                status=status,
                description=description,
                retry_after=retry_after,
            )
        )

    def hang(self, method: str, *, where: ParamsPredicate | None = None) -> asyncio.Event:
        """Matching calls block until the returned event is set (or the server stops).

        They are in :attr:`requests` from their arrival, with ``held=True`` while blocked.
        After the event is set, hung calls proceed normally and new calls are not held.
        """
        return self.faults.add(FaultRule("hang", method, where, None)).release

    def delay(
        self,
        method: str,
        seconds: float,
        where: ParamsPredicate | None = None,
        *,
        times: int | None = None,
    ) -> None:
        """Matching calls are answered ``seconds`` late (all of them, or the next ``times``)."""
        self.faults.add(FaultRule("delay", method, where, times, seconds=seconds))

    def clear_faults(self) -> None:
        """Remove every fail/hang/delay rule (hanging calls are released)."""
        self.faults.clear()

    # -------------------------------------------------------------- observing

    def calls(self, method: str | None = None) -> list[Call]:
        """Recorded calls, optionally only those of one method."""
        if method is None:
            return list(self.requests)
        return [c for c in self.requests if c.method.lower() == method.lower()]

    async def wait_for(
        self,
        method: str,
        *,
        where: Callable[[Call], bool] | None = None,
        timeout: float = 10.0,  # noqa: ASYNC109 - the tests' API, not a cancellation knob
    ) -> Call:
        """The first matching call not returned by an earlier ``wait_for``.

        A call qualifies as soon as it has arrived and its parameters are decoded. Calls
        answered without waiting (almost all) already carry their ``response`` then; a
        long poll, a hung or a delayed call is returned in flight (``response is None``):
        ``await call.finished()`` waits for its answer.
        Raises ``AssertionError`` listing the recent calls on timeout.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            for call in self.requests:
                if call.index in self._waited or call.method.lower() != method.lower():
                    continue
                if not call.arrived:
                    continue
                if where is not None and not safe_predicate(where, call):
                    continue
                self._waited.add(call.index)
                return call
            if not await self._wait_change(deadline - loop.time()):
                raise AssertionError(f"no {method} call within {timeout} s\n{self.dump()}")

    async def next_message(
        self,
        chat: ChatRef,
        *,
        timeout: float = 10.0,  # noqa: ASYNC109 - the tests' API
    ) -> dict[str, Any]:
        """The next message the bot sent to ``chat`` that no earlier call returned.

        A snapshot as sent (text after parsing, ``entities``, ``reply_markup`` as sent,
        ``protect_content``/``has_protected_content``...); see :meth:`messages` for the
        current state after edits.
        """
        chat_id = self.chat(chat).id
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            sent = self._sent.get(chat_id, [])
            cursor = self._sent_cursor.get(chat_id, 0)
            if cursor < len(sent):
                self._sent_cursor[chat_id] = cursor + 1
                return copy.deepcopy(sent[cursor])
            if not await self._wait_change(deadline - loop.time()):
                raise AssertionError(
                    f"the bot sent no new message to chat {chat_id} within {timeout} s\n"
                    f"{self.dump()}"
                )

    def messages(self, chat: ChatRef) -> list[dict[str, Any]]:
        """The chat's history now: user and bot messages, edits applied, deleted ones gone."""
        target = self.chat(chat)
        return [
            copy.deepcopy(m)
            for mid, m in sorted(target.history.items())
            if mid not in target.deleted
        ]

    def is_deleted(self, chat: ChatRef, message_id: int) -> bool:
        return message_id in self.chat(chat).deleted

    def callback_answer(self, query_id: str) -> dict[str, Any] | None:
        """The bot's ``answerCallbackQuery`` parameters for a press, or ``None`` if unanswered."""
        record = self.api.queries.get(query_id)
        return None if record is None else record.answer

    def commands(
        self, scope: dict[str, Any] | None = None, language_code: str = ""
    ) -> list[dict[str, str]] | None:
        """The commands registered for a scope and language, ``None`` when never set."""
        key = json.dumps(scope or {"type": "default"}, sort_keys=True)
        found = self.api.commands.get((key, language_code))
        return None if found is None else copy.deepcopy(found)

    def dump(self, last: int = 40) -> str:
        """A readable list of the latest calls and the violations, for failure messages."""
        lines = [c.summary() for c in self.requests[-last:]]
        if self.violations:
            lines.append("violations:")
            lines.extend(f"  {v}" for v in self.violations)
        return "\n".join(lines) or "(no calls)"

    def _record_sent(self, chat: FakeChat, message: dict[str, Any]) -> None:
        self._sent.setdefault(chat.id, []).append(copy.deepcopy(message))

    def _notify(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    async def _wait_change(self, remaining: float) -> bool:
        if remaining <= 0:
            return False
        try:
            await asyncio.wait_for(self._changed.wait(), remaining)
        except TimeoutError:
            return False
        return True

    # ------------------------------------------------------------------- HTTP

    async def _stamp_date(self, request: web.Request, response: web.StreamResponse) -> None:
        """Every answer's ``Date`` header, as Telegram's servers send it (RFC 9110, whole
        seconds): their time, which is the world's clock, so a test that sets Telegram's
        time apart from the bot's sees it in the headers too."""
        response.headers[hdrs.DATE] = formatdate(self.world.clock(), usegmt=True)

    async def _handle_unknown(self, request: web.Request) -> web.Response:
        return web.json_response(
            {"ok": False, "error_code": 404, "description": "Not Found"}, status=404
        )

    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return web.json_response(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401
            )
        stored = self.files.by_path(request.match_info["path"])
        if stored is None:
            return web.json_response(
                {"ok": False, "error_code": 404, "description": "Not Found"}, status=404
            )
        return web.Response(body=stored.data, content_type="application/octet-stream")

    async def _read_params(self, request: web.Request) -> dict[str, Any]:
        raw: dict[str, Any] = dict(request.query)
        if not request.body_exists:
            return raw
        if request.content_type == "application/json":
            try:
                body = await request.json()
            except ValueError as exc:
                raise bad_request("can't parse JSON body", violation=True) from exc
            if not isinstance(body, dict):
                raise bad_request("JSON body must be an object", violation=True)
            raw.update(body)
            return raw
        form = await request.post()
        parts: dict[str, UploadedFile] = {}
        for key, value in form.items():
            if isinstance(value, web.FileField):
                parts[key] = UploadedFile(
                    value.filename or key, value.content_type, value.file.read()
                )
            else:
                raw[key] = value
        for key, value in list(raw.items()):  # attach://<part> references
            if isinstance(value, str) and value.startswith("attach://"):
                part = parts.pop(value[len("attach://") :], None)
                if part is not None:
                    raw[key] = part
        raw.update(parts)
        return raw

    async def _handle_api(self, request: web.Request) -> web.Response:
        call = Call(len(self.requests), request.match_info["method"], {}, time.time())
        self.requests.append(call)
        try:
            call.params = await self._read_params(request)
            result = await self._process(call, request.match_info["token"])
            status, body = 200, {"ok": True, "result": result}
        except ApiError as exc:
            status, body = exc.status, exc.envelope()
            if exc.violation:
                self.violations.append(
                    f"{call.method}: {exc.description} params={_short(call.params)}"
                )
        except Exception as exc:  # a bug in the fake: fail loudly, never hide it
            logger.exception("fake Telegram crashed handling %s", call.method)
            status = 500
            body = {
                "ok": False,
                "error_code": 500,
                "description": f"Internal Server Error: the fake crashed: {exc!r}",
            }
            self.violations.append(f"{call.method}: the FAKE crashed ({exc!r}); fix the fake")
        call.response, call.status, call.held, call.arrived = body, status, False, True
        call._done.set()
        self._notify()
        for listener in list(self.listeners):
            try:
                listener(call)
            except Exception:
                logger.exception("fake Telegram listener failed")
        return web.json_response(body, status=status)

    def _resolve_method(self, name: str) -> str:
        canonical = self.spec.canonical_method(name)
        if canonical is None:
            raise ApiError(404, "Not Found", violation=True)
        return canonical

    def _decode(self, method: str, raw: dict[str, Any]) -> dict[str, Any]:
        params, problems = self.spec.decode(method, raw)
        if problems:
            description = f"Bad Request: {problems[0]}"
            if len(problems) > 1:
                description += f" (and {len(problems) - 1} more: {'; '.join(problems[1:])})"
            raise ApiError(400, description, violation=True)
        return params

    async def _process(self, call: Call, token: str) -> Any:
        if token != self.token:
            raise ApiError(401, "Unauthorized")
        method = self._resolve_method(call.method)
        call.method = method
        call.params = self._decode(method, call.params)
        call.arrived = True
        held = self.faults.take("hang", method, call.params)
        call.held = held is not None
        self._notify()  # no await until the answer for ordinary calls: waiters see it answered
        if held is not None:
            await _first_of(held.release, self._stopping)
            call.held = False
            if self._stopping.is_set() and not held.release.is_set():
                raise ApiError(502, "Bad Gateway")
        delayed = self.faults.take("delay", method, call.params)
        if delayed is not None:
            await _first_of(self._stopping, seconds=delayed.seconds)
        failing = self.faults.take("fail", method, call.params)
        if failing is not None:
            raise failing.error()
        handler = self.api.handlers.get(method)
        if handler is None:
            raise bad_request("method not supported by the fake", violation=True)
        logger.debug("fake Telegram: %s", method)
        return await handler(call.params)


async def _first_of(*events: asyncio.Event, seconds: float | None = None) -> None:
    """Wait until any of ``events`` is set (or ``seconds`` pass)."""
    waits = [asyncio.ensure_future(e.wait()) for e in events]
    try:
        await asyncio.wait(waits, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for w in waits:
            w.cancel()


__all__ = ["DEFAULT_TOKEN", "Call", "FakeChat", "FakeTelegram", "FakeUser", "World"]

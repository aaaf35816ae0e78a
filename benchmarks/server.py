"""A lean Bot API server for the benchmark, in a process of its own.

The test suite's `tests.fake_telegram` checks every parameter against the Bot API's
specification and keeps every chat's history: right for finding bugs, too slow to stay
out of the way of a bot answering hundreds of updates a second. This one answers what
the bot calls at start and per `/code` as Telegram does (the same objects, the same
refusals: a keyboard of more than 100 buttons, a message to delete that is not there,
429 with `retry_after` past the limits), on plain asyncio, and also hands out the load
and times it:

- the driver posts a phase (its `/code` updates, and a rate or none for "all at once")
  to `/_bench/phase`; the server queues each update at its time;
- `getUpdates` hands them out (long polling), and the server notes when each first left;
- a `sendMessage` to a request's chat that quotes it (groups) or comes next in that chat
  (private) is its reply, noted with its time and what it shows (a code, a picker);
- `/_bench/results` gives every request's times and what the phase's sends were.

Run as `python -m benchmarks.server --store small --port-file FILE`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import signal
import time
from collections import Counter, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from email.utils import formatdate
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from benchmarks.team import BOT_ID, BOT_USERNAME, TOKEN, Team, group_title

JSON = dict[str, Any]

# Telegram's limits (its FAQ): about one message a second to a chat, short bursts allowed;
# 20 a minute to a group; about 30 a second overall.
CHAT_BURST = 3
CHAT_PER_SECOND = 1.0
GROUP_PER_MINUTE = 20
ALL_PER_SECOND = 30
MAX_BUTTONS = 100  # inline keyboard buttons Telegram takes in one message
MAX_TEXT = 4096
SENDS = frozenset({"sendMessage", "sendPhoto", "sendDocument"})


class ApiError(Exception):
    def __init__(
        self,
        status: int,
        description: str,
        retry_after: int | None = None,
        limit: str | None = None,
    ) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.retry_after = retry_after
        self.limit = limit  # which of Telegram's limits refused it (429 only)

    def envelope(self) -> JSON:
        body: JSON = {"ok": False, "error_code": self.status, "description": self.description}
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


class Limits:
    """Telegram's flood control: a token bucket per private chat (bursts of
    `CHAT_BURST`, then one a second), a sliding minute per group, a sliding second for
    everything. A refused send is not counted."""

    def __init__(self) -> None:
        self._buckets: dict[int, tuple[float, float]] = {}  # chat: (tokens, at)
        self._groups: dict[int, deque[float]] = {}
        self._all: deque[float] = deque()

    def check(self, chat_id: int, now: float) -> None:
        waits: list[tuple[float, str]] = []
        tokens, at = self._buckets.get(chat_id, (float(CHAT_BURST), now))
        tokens = min(float(CHAT_BURST), tokens + (now - at) * CHAT_PER_SECOND)
        if tokens < 1.0:
            waits.append(((1.0 - tokens) / CHAT_PER_SECOND, "chat"))
        group = self._groups.setdefault(chat_id, deque()) if chat_id < 0 else None
        if group is not None:
            while group and now - group[0] >= 60.0:
                group.popleft()
            if len(group) >= GROUP_PER_MINUTE:
                waits.append((60.0 - (now - group[0]), "group"))
        while self._all and now - self._all[0] >= 1.0:
            self._all.popleft()
        if len(self._all) >= ALL_PER_SECOND:
            waits.append((1.0 - (now - self._all[0]), "all"))
        if waits:
            self._buckets[chat_id] = (tokens, now)
            longest, limit = max(waits)
            wait = max(1, math.ceil(longest))
            raise ApiError(
                429, f"Too Many Requests: retry after {wait}", retry_after=wait, limit=limit
            )
        self._buckets[chat_id] = (tokens - 1.0, now)
        if group is not None:
            group.append(now)
        self._all.append(now)


@dataclass
class Pending:
    """One `/code` of the load, from queued to answered."""

    index: int
    update_id: int
    chat_id: int
    message_id: int
    account: int | None
    kind: str
    queued: float = 0.0  # perf_counter
    handed_out: float | None = None
    answered: float | None = None
    answered_wall: float | None = None  # time.time(), for the code's window
    reply: str | None = None  # code | picker | text
    code: str | None = None
    buttons: int = 0


@dataclass
class Phase:
    name: str
    requests: list[Pending] = field(default_factory=list)
    started: float = 0.0
    calls: Counter[str] = field(default_factory=Counter)
    refused: Counter[str] = field(default_factory=Counter)  # "method status"
    messages: int = 0  # sends Telegram took
    notices: int = 0  # of which to the admins
    last_send: float = 0.0
    done_queueing: bool = False


class BotApi:
    """The methods the bot calls, the update queue and the load's bookkeeping."""

    def __init__(self, team: Team) -> None:
        self.team = team
        self.limited = False
        self.limits = Limits()
        self._updates: deque[JSON] = deque()
        self._next_update_id = 1
        self._wake = asyncio.Event()
        self._message_ids: dict[int, int] = {}
        self._alive: dict[int, set[int]] = {}  # messages that exist, by chat
        self._by_message: dict[tuple[int, int], Pending] = {}
        self._by_update: dict[int, Pending] = {}
        self._unanswered: dict[int, deque[Pending]] = {}  # by chat, oldest first
        self.phase = Phase("start")
        self.deleted = 0
        self.unknown: Counter[str] = Counter()
        self._feeder: asyncio.Task[None] | None = None
        self.handlers: dict[str, Callable[[JSON], Awaitable[Any]]] = {
            "getMe": self.get_me,
            "getUpdates": self.get_updates,
            "sendMessage": self.send_message,
            "editMessageText": self.edit_message_text,
            "editMessageReplyMarkup": self.edit_message_reply_markup,
            "deleteMessage": self.delete_message,
            "deleteMessages": self.delete_messages,
            "answerCallbackQuery": self.done,
            "getChat": self.get_chat,
            "getChatMember": self.get_chat_member,
            "setMyCommands": self.done,
            "deleteMyCommands": self.done,
            "setMyDescription": self.done,
            "setMyShortDescription": self.done,
            "setMyName": self.done,
            "setChatMenuButton": self.done,
            "getMyCommands": self.nothing,
            "deleteWebhook": self.done,
            "getWebhookInfo": self.webhook_info,
            "sendChatAction": self.done,
            "leaveChat": self.done,
            "close": self.done,
            "logOut": self.done,
        }

    # ---------------------------------------------------------------- the load

    def start_phase(self, name: str, requests: list[JSON], rate: float | None) -> None:
        """A new phase: what is left of the last one (updates no bot took, requests never
        answered) is dropped, so no reply is matched to a request of another phase."""
        if self._feeder is not None:
            self._feeder.cancel()
        self._updates.clear()
        self._by_message.clear()
        self._by_update.clear()
        self._unanswered.clear()
        self.phase = Phase(name, started=time.perf_counter())
        made = [self._pending(i, r) for i, r in enumerate(requests)]
        self.phase.requests = made
        self._feeder = asyncio.get_running_loop().create_task(self._feed(made, requests, rate))

    def _pending(self, index: int, request: JSON) -> Pending:
        chat_id = int(request["chat_id"])
        return Pending(
            index=index,
            update_id=0,
            chat_id=chat_id,
            message_id=0,
            account=request.get("account"),
            kind=str(request["kind"]),
        )

    async def _feed(self, made: list[Pending], requests: list[JSON], rate: float | None) -> None:
        started = time.perf_counter()
        for i, (pending, request) in enumerate(zip(made, requests, strict=True)):
            if rate is not None:
                due = started + i / rate
                delay = due - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
            self._queue(pending, request)
            if rate is not None or i % 100 == 99:
                self._wake.set()
        self._wake.set()
        self.phase.done_queueing = True

    def _queue(self, pending: Pending, request: JSON) -> None:
        chat_id = pending.chat_id
        user = self.team.person(int(request["user_id"]))
        text = str(request["text"])
        message_id = self._new_message_id(chat_id)
        command = text.split()[0]
        if chat_id > 0:
            chat: JSON = {
                "id": chat_id,
                "type": "private",
                "first_name": user.first_name,
                "username": user.username,
            }
        else:
            index = -chat_id + (-1_001_000_000_000)
            chat = {"id": chat_id, "type": "supergroup", "title": group_title(index)}
        update_id = self._next_update_id
        self._next_update_id += 1
        self._updates.append(
            {
                "update_id": update_id,
                "message": {
                    "message_id": message_id,
                    "from": user.to_dict(),
                    "chat": chat,
                    "date": int(time.time()),
                    "text": text,
                    "entities": [{"type": "bot_command", "offset": 0, "length": len(command)}],
                },
            }
        )
        pending.update_id, pending.message_id = update_id, message_id
        pending.queued = time.perf_counter()
        self._by_update[update_id] = pending
        self._by_message[(chat_id, message_id)] = pending
        self._unanswered.setdefault(chat_id, deque()).append(pending)

    def _new_message_id(self, chat_id: int) -> int:
        message_id = self._message_ids.get(chat_id, 0) + 1
        self._message_ids[chat_id] = message_id
        self._alive.setdefault(chat_id, set()).add(message_id)
        return message_id

    def results(self) -> JSON:
        phase = self.phase
        return {
            "name": phase.name,
            "queued": sum(1 for p in phase.requests if p.update_id),
            "done_queueing": phase.done_queueing,
            "answered": sum(1 for p in phase.requests if p.answered is not None),
            "unconfirmed": len(self._updates),
            "last_send_ago": time.perf_counter() - phase.last_send if phase.last_send else None,
            "messages": phase.messages,
            "notices": phase.notices,
            "calls": dict(phase.calls),
            "refused": dict(phase.refused),
            "deleted": self.deleted,
            "unknown": dict(self.unknown),
            "requests": [
                {
                    "kind": p.kind,
                    "account": p.account,
                    "queued": p.queued - phase.started if p.update_id else None,
                    "handed_out": None if p.handed_out is None else p.handed_out - phase.started,
                    "answered": None if p.answered is None else p.answered - phase.started,
                    "answered_wall": p.answered_wall,
                    "reply": p.reply,
                    "code": p.code,
                    "buttons": p.buttons,
                }
                for p in phase.requests
            ],
        }

    # --------------------------------------------------------------- methods

    async def done(self, p: JSON) -> Any:
        return True

    async def nothing(self, p: JSON) -> Any:
        return []

    async def webhook_info(self, p: JSON) -> Any:
        return {"url": "", "has_custom_certificate": False, "pending_update_count": 0}

    async def get_me(self, p: JSON) -> Any:
        return {
            "id": BOT_ID,
            "is_bot": True,
            "first_name": "TeamOTP Bench",
            "username": BOT_USERNAME,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def get_updates(self, p: JSON) -> Any:
        offset = int(p.get("offset") or 0)
        limit = min(100, max(1, int(p.get("limit") or 100)))
        timeout = float(p.get("timeout") or 0)
        while self._updates and self._updates[0]["update_id"] < offset:
            self._updates.popleft()
        if not self._updates and timeout > 0:
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout)
            while self._updates and self._updates[0]["update_id"] < offset:
                self._updates.popleft()
        handed = [u for _, u in zip(range(limit), self._updates, strict=False)]
        now = time.perf_counter()
        for update in handed:
            pending = self._by_update.get(update["update_id"])
            if pending is not None and pending.handed_out is None:
                pending.handed_out = now
        return handed

    def _chat(self, chat_id: int) -> JSON:
        if chat_id > 0:
            if not self.team.is_person(chat_id):
                raise ApiError(400, "Bad Request: chat not found")
            person = self.team.person(chat_id)
            return {
                "id": chat_id,
                "type": "private",
                "first_name": person.first_name,
                "username": person.username,
            }
        if not self.team.is_group(chat_id):
            raise ApiError(400, "Bad Request: chat not found")
        index = -chat_id + (-1_001_000_000_000)
        return {"id": chat_id, "type": "supergroup", "title": group_title(index)}

    async def send_message(self, p: JSON) -> Any:
        chat_id = _chat_id(p)
        chat = self._chat(chat_id)
        body = str(p.get("text", ""))
        if not body.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        if len(body) > MAX_TEXT:
            raise ApiError(400, "Bad Request: message is too long")
        markup = _json(p.get("reply_markup"))
        buttons = _buttons(markup)
        if buttons > MAX_BUTTONS:
            raise ApiError(400, "Bad Request: reply markup is too long")
        quoted = _quoted(p)
        if quoted is not None and quoted not in self._alive.get(chat_id, set()):
            allowed = (_json(p.get("reply_parameters")) or {}).get("allow_sending_without_reply")
            if not (allowed or p.get("allow_sending_without_reply")):
                raise ApiError(400, "Bad Request: message to be replied not found")
        now = time.perf_counter()
        if self.limited:
            self.limits.check(chat_id, now)
        message_id = self._new_message_id(chat_id)
        self.phase.messages += 1
        self.phase.last_send = now
        if chat_id in self.team.notified_ids:
            self.phase.notices += 1
        self._match_reply(chat_id, quoted, markup, buttons, now)
        message: JSON = {
            "message_id": message_id,
            "from": {"id": BOT_ID, "is_bot": True, "first_name": "TeamOTP Bench"},
            "chat": chat,
            "date": int(time.time()),
            "text": body,
        }
        if markup is not None:
            message["reply_markup"] = markup
        if p.get("protect_content") in ("true", True):
            message["has_protected_content"] = True
        return message

    def _match_reply(
        self, chat_id: int, quoted: int | None, markup: JSON | None, buttons: int, now: float
    ) -> None:
        """The request this send answers: the one it quotes, else the oldest unanswered
        one handed out in that chat."""
        pending = self._by_message.get((chat_id, quoted)) if quoted is not None else None
        if pending is None or pending.answered is not None:
            waiting = self._unanswered.get(chat_id)
            pending = None
            while waiting:
                first = waiting[0]
                if first.answered is not None:
                    waiting.popleft()
                    continue
                if first.handed_out is not None:
                    pending = first
                break
        if pending is None or pending.handed_out is None:
            return
        pending.answered, pending.answered_wall = now, time.time()
        pending.buttons = buttons
        code = _copied(markup)
        if code is not None:
            pending.reply, pending.code = "code", code
        elif buttons:
            pending.reply = "picker"
        else:
            pending.reply = "text"

    async def edit_message_text(self, p: JSON) -> Any:
        chat_id = _chat_id(p)
        message_id = int(p.get("message_id") or 0)
        if message_id not in self._alive.get(chat_id, set()):
            raise ApiError(400, "Bad Request: message to edit not found")
        markup = _json(p.get("reply_markup"))
        if _buttons(markup) > MAX_BUTTONS:
            raise ApiError(400, "Bad Request: reply markup is too long")
        message: JSON = {
            "message_id": message_id,
            "from": {"id": BOT_ID, "is_bot": True, "first_name": "TeamOTP Bench"},
            "chat": self._chat(chat_id),
            "date": int(time.time()),
            "edit_date": int(time.time()),
            "text": str(p.get("text", "")),
        }
        if markup is not None:
            message["reply_markup"] = markup
        return message

    async def edit_message_reply_markup(self, p: JSON) -> Any:
        p = dict(p)
        p.setdefault("text", "(edited)")
        return await self.edit_message_text(p)

    async def delete_message(self, p: JSON) -> Any:
        chat_id = _chat_id(p)
        alive = self._alive.get(chat_id, set())
        message_id = int(p.get("message_id") or 0)
        if message_id not in alive:
            raise ApiError(400, "Bad Request: message to delete not found")
        alive.discard(message_id)
        self.deleted += 1
        return True

    async def delete_messages(self, p: JSON) -> Any:
        chat_id = _chat_id(p)
        alive = self._alive.get(chat_id, set())
        for message_id in _json(p.get("message_ids")) or []:
            if int(message_id) in alive:
                alive.discard(int(message_id))
                self.deleted += 1
        return True

    async def get_chat(self, p: JSON) -> Any:
        chat = self._chat(_chat_id(p))
        chat.update(
            accent_color_id=0,
            max_reaction_count=11,
            accepted_gift_types={
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        )
        return chat

    async def get_chat_member(self, p: JSON) -> Any:
        chat_id, user_id = _chat_id(p), int(p.get("user_id") or 0)
        self._chat(chat_id)
        if user_id == BOT_ID:
            return _administrator({"id": BOT_ID, "is_bot": True, "first_name": "TeamOTP Bench"})
        if not self.team.is_person(user_id):
            raise ApiError(400, "Bad Request: user not found")
        user = self.team.person(user_id).to_dict()
        if chat_id > 0:
            return {"user": user, "status": "member" if user_id == chat_id else "left"}
        return {
            "user": user,
            "status": "member" if self.team.in_group(chat_id, user_id) else "left",
        }


def _administrator(user: JSON) -> JSON:
    return {
        "user": user,
        "status": "administrator",
        "can_be_edited": False,
        "is_anonymous": False,
        "can_manage_chat": True,
        "can_delete_messages": True,
        "can_manage_video_chats": False,
        "can_restrict_members": False,
        "can_promote_members": False,
        "can_change_info": False,
        "can_invite_users": True,
        "can_post_stories": False,
        "can_edit_stories": False,
        "can_delete_stories": False,
        "can_pin_messages": False,
    }


def _json(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            raise ApiError(400, "Bad Request: can't parse JSON") from None
    return value


def _chat_id(p: JSON) -> int:
    try:
        return int(p.get("chat_id") or 0)
    except ValueError:
        raise ApiError(400, "Bad Request: chat not found") from None


def _quoted(p: JSON) -> int | None:
    parameters = _json(p.get("reply_parameters"))
    if isinstance(parameters, dict) and parameters.get("message_id") is not None:
        return int(parameters["message_id"])
    if p.get("reply_to_message_id") is not None:
        return int(p["reply_to_message_id"])
    return None


def _buttons(markup: Any) -> int:
    if not isinstance(markup, dict):
        return 0
    rows = markup.get("inline_keyboard") or []
    return sum(len(row) for row in rows)


def _copied(markup: Any) -> str | None:
    """The code a reply shows: its first copy button's text."""
    if not isinstance(markup, dict):
        return None
    for row in markup.get("inline_keyboard") or []:
        for button in row:
            copy = button.get("copy_text")
            if isinstance(copy, dict) and "text" in copy:
                return str(copy["text"])
    return None


# -------------------------------------------------------------------- HTTP/1.1


class Connection(asyncio.Protocol):
    """HTTP/1.1 with keep-alive, one request at a time per connection (httpx does not
    pipeline): enough for the bot's client, with none of a framework's cost per call."""

    def __init__(self, server: Server) -> None:
        self._server = server
        self._buffer = b""
        self._transport: asyncio.Transport | None = None
        self._busy = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        if isinstance(transport, asyncio.Transport):
            self._transport = transport

    def connection_lost(self, exc: Exception | None) -> None:
        self._transport = None

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        self._next()

    def _next(self) -> None:
        if self._busy:
            return
        end = self._buffer.find(b"\r\n\r\n")
        if end < 0:
            return
        head = self._buffer[:end].decode("latin-1").split("\r\n")
        headers = {}
        for line in head[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length", "0"))
        if len(self._buffer) < end + 4 + length:
            return
        body = self._buffer[end + 4 : end + 4 + length]
        self._buffer = self._buffer[end + 4 + length :]
        method, path, *_ = head[0].split(" ")
        self._busy = True
        task = asyncio.get_running_loop().create_task(
            self._server.handle(method, path, headers.get("content-type", ""), body)
        )
        task.add_done_callback(self._answered)

    def _answered(self, task: asyncio.Task[tuple[int, bytes]]) -> None:
        self._busy = False
        if task.cancelled():  # the server is stopping
            return
        status, body = task.result()
        if self._transport is None:
            return
        reason = {200: "OK", 400: "Bad Request", 404: "Not Found", 429: "Too Many Requests"}
        self._transport.write(
            f"HTTP/1.1 {status} {reason.get(status, 'Error')}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
            f"Date: {self._server.date()}\r\nConnection: keep-alive\r\n\r\n".encode("latin-1")
            + body
        )
        self._next()


class Server:
    def __init__(self, team: Team) -> None:
        self.api = BotApi(team)
        self._prefix = f"/bot{TOKEN}/"
        self._date = ("", 0)
        self.stopping = asyncio.Event()

    def date(self) -> str:
        now = int(time.time())
        if self._date[1] != now:
            self._date = (formatdate(now, usegmt=True), now)
        return self._date[0]

    async def handle(
        self, verb: str, path: str, content_type: str, body: bytes
    ) -> tuple[int, bytes]:
        path, _, query = path.partition("?")
        params: JSON = dict(parse_qsl(query))
        if body:
            if content_type.startswith("application/json"):
                params.update(json.loads(body))
            elif content_type.startswith("application/x-www-form-urlencoded"):
                params.update(parse_qsl(body.decode("utf-8")))
            # multipart (photos): the load sends none; the parts are not read
        if path.startswith("/_bench/"):
            return 200, json.dumps(self._control(path[len("/_bench/") :], params)).encode()
        if not path.startswith(self._prefix):
            return 404, b'{"ok":false,"error_code":404,"description":"Not Found"}'
        name = path[len(self._prefix) :]
        handler = self.api.handlers.get(name)
        self.api.phase.calls[name] += 1
        if handler is None:
            self.api.unknown[name] += 1
            return 404, b'{"ok":false,"error_code":404,"description":"Not Found"}'
        try:
            result = await handler(params)
        except ApiError as refused:
            self.api.phase.refused[f"{name} {refused.status}"] += 1
            if refused.limit is not None:
                self.api.phase.refused[f"limit:{refused.limit}"] += 1
            return refused.status, json.dumps(refused.envelope()).encode()
        return 200, json.dumps({"ok": True, "result": result}).encode()

    def _control(self, what: str, params: JSON) -> Any:
        if what == "phase":
            self.api.limited = bool(params.get("limited"))
            if params.get("reset_limits"):
                self.api.limits = Limits()
            rate = params.get("rate")
            self.api.start_phase(
                str(params["name"]), list(params["requests"]), None if rate is None else float(rate)
            )
            return {"ok": True}
        if what == "results":
            return self.api.results()
        if what == "status":
            results = self.api.results()
            results.pop("requests")
            results["cpu"] = _own_cpu()
            return results
        if what == "stop":
            self.stopping.set()
            return {"ok": True}
        return {"ok": False}


def _own_cpu() -> float:
    times = os.times()
    return times.user + times.system


async def serve(team: Team, port_file: Path) -> None:
    server = Server(team)
    loop = asyncio.get_running_loop()
    listening = await loop.create_server(lambda: Connection(server), "127.0.0.1", 0)
    port = listening.sockets[0].getsockname()[1]
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, server.stopping.set)
    await asyncio.to_thread(port_file.write_text, str(port), encoding="ascii")
    await server.stopping.wait()
    listening.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", choices=["small", "large"], default="small")
    parser.add_argument("--port-file", type=Path, required=True)
    args = parser.parse_args()
    asyncio.run(serve(Team(args.store), args.port_file))


if __name__ == "__main__":
    main()

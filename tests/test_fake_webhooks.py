"""The fake's webhooks, driven by a real PTB ``telegram.Bot`` and real HTTP receivers:
``setWebhook`` refuses what Telegram refuses, ``getUpdates`` is refused while a webhook is
set, and updates are posted with the secret, in order, again after a failure, and to
the replicas a test names (round robin, or every update to all of them)."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
import telegram
from aiohttp import web
from telegram.error import BadRequest, Conflict

from tests.fake_telegram import FakeTelegram

SECRET = "hook-secret_42"


@dataclass
class Receiver:
    """An HTTP server standing in for a bot replica: records each POST, answers with the
    next of `statuses` (then 200), after `delay` seconds for the first one."""

    statuses: list[int] = field(default_factory=list)
    delay: float = 0.0
    received: list[tuple[str, str | None, dict[str, Any]]] = field(default_factory=list)
    url: str = ""
    _runner: web.AppRunner | None = None

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/{path:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{self._runner.addresses[0][1]}"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _handle(self, request: web.Request) -> web.Response:
        self.received.append(
            (
                request.path_qs,
                request.headers.get("X-Telegram-Bot-Api-Secret-Token"),
                await request.json(),
            )
        )
        if self.delay and len(self.received) == 1:
            await asyncio.sleep(self.delay)
        return web.Response(status=self.statuses.pop(0) if self.statuses else 200)

    @property
    def update_ids(self) -> list[int]:
        return [body["update_id"] for _, _, body in self.received]


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as server:
        server.webhooks.retry_pause = 0.01
        yield server


@pytest.fixture
async def bot(fake: FakeTelegram) -> AsyncIterator[telegram.Bot]:
    async with telegram.Bot(fake.token, base_url=f"{fake.api_url}/bot") as client:
        yield client


@pytest.fixture
async def receivers() -> AsyncIterator[Callable[..., Awaitable[Receiver]]]:
    started: list[Receiver] = []

    async def start(**options: Any) -> Receiver:
        receiver = Receiver(**options)
        await receiver.start()
        started.append(receiver)
        return receiver

    yield start
    for receiver in started:
        await receiver.stop()


async def until(condition: Callable[[], bool], timeout: float = 5.0) -> None:  # noqa: ASYNC109
    async with asyncio.timeout(timeout):
        while not condition():  # noqa: ASYNC110 - the fake changes state on its own
            await asyncio.sleep(0.01)


def dead_url() -> str:
    """A port nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}"


async def say(fake: FakeTelegram, *texts: str) -> None:
    alice = fake.user("alice")
    for text in texts:
        await fake.send(alice, fake.private(alice), text)


# -------------------------------------------------------------------- setWebhook


@pytest.mark.parametrize(
    ("url", "description"),
    [
        ("http://bot.example.com/hook", "An HTTPS URL must be provided"),
        ("ftp://bot.example.com/hook", "An HTTPS URL must be provided"),
        ("https://bot.example.com:8080/hook", "only on ports 80, 88, 443 or 8443"),
        ("https:///hook", "Failed to resolve host"),
    ],
)
async def test_set_webhook_refuses_what_telegram_refuses(
    fake: FakeTelegram, bot: telegram.Bot, url: str, description: str
) -> None:
    with pytest.raises(BadRequest, match=f"(?i){description}"):
        await bot.set_webhook(url)
    assert fake.webhooks.url == ""


@pytest.mark.parametrize("secret", ["with space", "base64+/=", "ünïcode", "x" * 257])
async def test_set_webhook_refuses_a_secret_telegram_would_refuse(
    fake: FakeTelegram, bot: telegram.Bot, secret: str
) -> None:
    with pytest.raises(BadRequest, match="(?i)secret token"):
        await bot.set_webhook("https://bot.example.com/hook", secret_token=secret)
    assert fake.violations, "a bot that sends such a secret has a bug"
    fake.violations.clear()


@pytest.mark.parametrize(
    "url",
    [
        "https://bot.example.com/hook",
        "https://bot.example.com:8443/hook",
        "https://bot.example.com:88/",
        "http://127.0.0.1:9999/hook",
        "http://localhost:1234/hook",
    ],
)
async def test_set_webhook_takes_https_on_telegrams_ports_and_http_on_the_loopback(
    fake: FakeTelegram, bot: telegram.Bot, url: str
) -> None:
    assert await bot.set_webhook(url, secret_token=SECRET, allowed_updates=["message"])
    info = await bot.get_webhook_info()
    assert info.url == url
    assert info.allowed_updates == ("message",)
    assert info.max_connections == 40
    assert fake.webhooks.secret == SECRET


async def test_get_updates_answers_409_while_a_webhook_is_set_and_works_once_deleted(
    fake: FakeTelegram, bot: telegram.Bot
) -> None:
    await bot.set_webhook("https://bot.example.com/hook")
    with pytest.raises(Conflict, match="webhook is active"):
        await bot.get_updates()
    await say(fake, "hello")
    assert (await bot.get_webhook_info()).pending_update_count == 1
    assert await bot.delete_webhook()
    assert (await bot.get_webhook_info()).url == ""
    (update,) = await bot.get_updates()
    assert update.message is not None
    assert update.message.text == "hello"


async def test_drop_pending_updates_forgets_what_was_queued(
    fake: FakeTelegram, bot: telegram.Bot
) -> None:
    await say(fake, "one", "two")
    await bot.set_webhook("https://bot.example.com/hook", drop_pending_updates=True)
    assert (await bot.get_webhook_info()).pending_update_count == 0


# ---------------------------------------------------------------------- delivery


async def test_updates_are_posted_in_order_with_the_secret_and_then_confirmed(
    fake: FakeTelegram, bot: telegram.Bot, receivers: Callable[..., Awaitable[Receiver]]
) -> None:
    replica = await receivers()
    await say(fake, "before the webhook")
    await bot.set_webhook(f"{replica.url}/hook?x=1", secret_token=SECRET)
    await say(fake, "one", "two")
    await until(lambda: len(replica.received) == 3)
    assert [(path, secret) for path, secret, _ in replica.received] == [("/hook?x=1", SECRET)] * 3
    texts = [body["message"]["text"] for _, _, body in replica.received]
    assert texts == ["before the webhook", "one", "two"]
    assert replica.update_ids == sorted(replica.update_ids)
    await until(lambda: not fake.pending_updates)
    assert fake.confirmed_offset == replica.update_ids[-1] + 1


async def test_a_failed_post_is_tried_again_and_getwebhookinfo_tells_the_last_error(
    fake: FakeTelegram, bot: telegram.Bot, receivers: Callable[..., Awaitable[Receiver]]
) -> None:
    replica = await receivers(statuses=[500, 502])
    await bot.set_webhook(f"{replica.url}/hook")
    await say(fake, "one", "two")
    await until(lambda: len(replica.received) == 4)
    assert replica.update_ids[0] == replica.update_ids[1] == replica.update_ids[2]
    assert [d.status for d in fake.webhook_deliveries] == [500, 502, 200, 200]
    info = await bot.get_webhook_info()
    assert info.last_error_message == "Wrong response from the webhook: 502 Bad Gateway"
    assert info.last_error_date is not None


async def test_a_slow_answer_counts_as_failed_and_the_update_comes_again(
    fake: FakeTelegram, bot: telegram.Bot, receivers: Callable[..., Awaitable[Receiver]]
) -> None:
    replica = await receivers(delay=1.0)
    fake.webhooks.timeout = 0.2
    await bot.set_webhook(f"{replica.url}/hook")
    await say(fake, "one")
    await until(lambda: len(replica.received) == 2)
    assert replica.update_ids[0] == replica.update_ids[1], "the same update, twice"
    assert fake.webhook_deliveries[0].error == "Read timeout expired"


async def test_deliveries_go_round_robin_and_around_a_replica_that_is_down(
    fake: FakeTelegram, bot: telegram.Bot, receivers: Callable[..., Awaitable[Receiver]]
) -> None:
    first, second = await receivers(), await receivers()
    await bot.set_webhook("https://bot.example.com/telegram", secret_token=SECRET)
    fake.deliver_webhooks_to([first.url, second.url, dead_url()], policy="round_robin")
    await say(fake, "1", "2", "3", "4")
    await until(lambda: not fake.pending_updates)
    assert len(first.received) + len(second.received) == 4
    assert first.received
    assert second.received
    assert {path for path, _, _ in first.received + second.received} == {"/telegram"}
    assert [d.error for d in fake.webhook_deliveries if not d.ok] == ["Connection refused"]
    delivered = [d.update_id for d in fake.webhook_deliveries if d.ok]
    assert delivered == sorted(set(delivered)), "each once, in order"


async def test_policy_all_posts_every_update_to_every_replica(
    fake: FakeTelegram, bot: telegram.Bot, receivers: Callable[..., Awaitable[Receiver]]
) -> None:
    first, second = await receivers(), await receivers()
    await bot.set_webhook("https://bot.example.com/telegram", secret_token=SECRET)
    fake.deliver_webhooks_to([first.url, second.url, dead_url()], policy="all")
    await say(fake, "1", "2")
    await until(lambda: not fake.pending_updates)
    assert first.update_ids == second.update_ids
    assert len(first.update_ids) == 2
    fake.deliver_webhooks_to(None)
    await say(fake, "3")
    await until(lambda: fake.webhooks.last_error is not None and len(fake.webhook_deliveries) > 6)
    assert len(first.update_ids) == 2, "back to the webhook URL itself (which has no server)"


async def test_no_update_is_posted_while_no_webhook_is_set(
    fake: FakeTelegram, bot: telegram.Bot, receivers: Callable[..., Awaitable[Receiver]]
) -> None:
    replica = await receivers()
    await bot.set_webhook(f"{replica.url}/hook")
    await bot.delete_webhook()
    fake.deliver_webhooks_to([replica.url])
    await say(fake, "polled, not posted")
    await asyncio.sleep(0.1)
    assert replica.received == []
    assert len(fake.pending_updates) == 1

"""Webhook mode end to end: the bot started as `teamotp run --webhook` starts it, the fake
Bot API server posting every update to the bot's listen address with the secret token.

Anyone who finds the URL can post to it: without the right secret nothing is processed.
`/healthz` tells a load balancer whether the replica can reach its database. Stopping
finishes what was taken and leaves the webhook set for the other replicas.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import signal
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pyotp
import pytest
import telegram
from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from telegram.error import Conflict

from storage.models import AuditEvent, KnownUser
from storage.store import Store
from teamotp.app import ALLOWED_UPDATES
from teamotp.wiring import StartupError
from tests.conftest import TEST_DATABASE_URL, empty_postgres
from tests.e2e.conftest import (
    SECRET,
    WEBHOOK_SECRET,
    Bot,
    ask,
    free_port,
    setup_team,
)
from tests.e2e.tcp_relay import Relay
from tests.e2e.test_startup import (
    START_TIMEOUT,
    STOP_DEADLINE,
    TEAMOTP,
    Running,
    clean_environment,
)
from tests.fake_telegram import FakeTelegram

PATH = "/telegram/updates"


async def request(
    bot: Bot,
    path: str = PATH,
    *,
    method: str = "POST",
    body: bytes = b"",
    headers: dict[str, str] | None = None,
) -> tuple[int, str]:
    async with (
        aiohttp.ClientSession() as session,
        session.request(method, bot.listen_url + path, data=body, headers=headers) as answer,
    ):
        return answer.status, await answer.text()


def counts(store: Store) -> tuple[int, int]:
    """Audit events and known users: what handling any update would add to."""
    with store.engine.connect() as connection:
        audited = connection.execute(select(func.count()).select_from(AuditEvent)).scalar_one()
        known = connection.execute(select(func.count()).select_from(KnownUser)).scalar_one()
    return audited, known


# ------------------------------------------------------------------------ serving


async def test_in_webhook_mode_a_member_gets_a_code_and_admins_hear_of_it(
    start_bot: Callable[..., Any], webhook_env: dict[str, str]
) -> None:
    bot: Bot = await start_bot(webhook_env)
    p, tg = bot.people, bot.tg
    group = await setup_team(bot)
    reply = await ask(bot, p.member, "/code", chat=group)
    assert pyotp.TOTP(SECRET).at(bot.clock.now) in reply["text"]
    told = await tg.next_message(tg.private(p.admin))
    assert "Code request" in told["text"]
    assert tg.calls("getUpdates") == [], "no polling in webhook mode"
    posted = tg.webhook_deliveries
    assert posted
    assert all(d.ok and d.url == bot.listen_url + PATH for d in posted)


async def test_the_bot_sets_its_webhook_with_its_secret_and_says_where_it_listens(
    start_bot: Callable[..., Any],
    webhook_env: dict[str, str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    bot: Bot = await start_bot(webhook_env)
    (call,) = bot.tg.calls("setWebhook")
    assert call.params["url"] == webhook_env["TEAMOTP_WEBHOOK_URL"]
    assert call.params["secret_token"] == WEBHOOK_SECRET
    assert call.params["allowed_updates"] == ALLOWED_UPDATES
    port = webhook_env["TEAMOTP_LISTEN_PORT"]
    await bot.say(bot.people.owner, "/start")
    await bot.stop()
    assert f"teamotp is running as @teamotp_test_bot (webhook on 127.0.0.1:{port})" in (
        caplog.messages
    )
    assert not any(WEBHOOK_SECRET in m for m in caplog.messages), "the secret was logged"


async def test_updates_posted_with_a_wrong_secret_are_refused_and_change_nothing(
    start_bot: Callable[..., Any], webhook_env: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    bot: Bot = await start_bot(webhook_env)
    tg, stranger = bot.tg, bot.people.stranger
    before = await asyncio.to_thread(counts, bot.store)
    tg.webhooks.secret = "someone-elses-secret"
    await tg.send(stranger, tg.private(stranger), "/start")
    while len(tg.webhook_deliveries) < 3:  # noqa: ASYNC110 - the fake retries on a timer
        await asyncio.sleep(0.02)
    assert {d.status for d in tg.webhook_deliveries} == {403}
    assert bot.app.update_queue.empty()
    assert tg.pending_updates, "refused, so Telegram keeps it"
    assert await asyncio.to_thread(counts, bot.store) == before, "nothing audited or learned"
    assert [m for m in tg.messages(tg.private(stranger)) if m["from"]["is_bot"]] == []
    refusals = [m for m in caplog.messages if "without the right secret token" in m]
    assert len(refusals) == 1, "one line, not one per request"
    assert "someone-elses-secret" not in caplog.text
    tg.webhooks.secret = WEBHOOK_SECRET  # the same update, now with the right secret
    reply = await tg.next_message(tg.private(stranger))
    assert str(stranger.id) in reply["text"]


async def test_updates_posted_without_a_secret_are_refused(
    start_bot: Callable[..., Any], webhook_env: dict[str, str]
) -> None:
    bot: Bot = await start_bot(webhook_env)
    tg, stranger = bot.tg, bot.people.stranger
    tg.webhooks.secret = None
    await tg.send(stranger, tg.private(stranger), "/start")
    while len(tg.webhook_deliveries) < 2:  # noqa: ASYNC110 - the fake retries on a timer
        await asyncio.sleep(0.02)
    assert {d.status for d in tg.webhook_deliveries} == {403}
    assert bot.app.update_queue.empty()
    body = json.dumps(tg.pending_updates[0]).encode()
    assert (await request(bot, body=body))[0] == 403
    header = {"X-Telegram-Bot-Api-Secret-Token": ""}
    assert (await request(bot, body=body, headers=header))[0] == 403
    assert [m for m in tg.messages(tg.private(stranger)) if m["from"]["is_bot"]] == []


async def test_what_is_not_one_update_is_refused_before_it_reaches_the_handlers(
    start_bot: Callable[..., Any], webhook_env: dict[str, str]
) -> None:
    bot: Bot = await start_bot(webhook_env)
    secret = {"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET}
    for junk in (b"", b"not json", b"[1, 2]", b'{"message": {}}', b'{"update_id": "7"}'):
        assert (await request(bot, body=junk, headers=secret))[0] == 400, junk
    huge = json.dumps({"update_id": 1, "pad": "x" * (2 * 1024 * 1024)}).encode()
    assert (await request(bot, body=huge, headers=secret))[0] == 413
    assert (await request(bot, body=b"not json"))[0] == 403, "the secret is checked first"
    status, _ = await request(bot, method="GET", headers=secret)
    assert status == 405
    assert (await request(bot, "/elsewhere", body=b"{}", headers=secret))[0] == 404
    assert bot.app.update_queue.empty()
    assert "You are an owner" in (await bot.say(bot.people.owner, "/start"))["text"]


async def test_get_updates_is_refused_with_409_while_the_webhook_is_set(
    start_bot: Callable[..., Any], webhook_env: dict[str, str]
) -> None:
    bot: Bot = await start_bot(webhook_env)
    tg = bot.tg
    async with telegram.Bot(tg.token, base_url=f"{tg.api_url}/bot") as other:
        with pytest.raises(Conflict, match="webhook is active"):
            await other.get_updates()
        info = await other.get_webhook_info()
    assert info.url == webhook_env["TEAMOTP_WEBHOOK_URL"]
    assert info.allowed_updates == tuple(ALLOWED_UPDATES)


async def test_a_restart_in_webhook_mode_answers_what_came_meanwhile_and_keeps_the_webhook(
    start_bot: Callable[..., Any], webhook_env: dict[str, str]
) -> None:
    first: Bot = await start_bot(webhook_env)
    await setup_team(first)
    await first.stop()
    tg, member = first.tg, first.people.member
    assert tg.calls("deleteWebhook") == [], "other replicas still serve the webhook"
    assert tg.webhooks.url == webhook_env["TEAMOTP_WEBHOOK_URL"]
    await tg.send(member, tg.private(member), "/code")
    while not tg.webhooks.last_error:  # noqa: ASYNC110 - the fake retries on a timer
        await asyncio.sleep(0.02)
    assert tg.webhooks.last_error[1] == "Connection refused"
    second: Bot = await start_bot(webhook_env)
    got = await tg.next_message(tg.private(member))
    assert pyotp.TOTP(SECRET).at(second.clock.now) in got["text"]


async def test_stopping_finishes_the_updates_it_took_and_then_takes_no_more(
    start_bot: Callable[..., Any], webhook_env: dict[str, str]
) -> None:
    bot: Bot = await start_bot(webhook_env)
    tg, owner = bot.tg, bot.people.owner
    tg.delay("sendMessage", 1.0)  # the reply is slow: the update is in hand at the stop
    await tg.send(owner, tg.private(owner), "/start")
    while not any(d.ok for d in tg.webhook_deliveries):  # noqa: ASYNC110
        await asyncio.sleep(0.01)
    await bot.stop()
    replies = [m for m in tg.messages(tg.private(owner)) if m["from"]["is_bot"]]
    assert len(replies) == 1, "the update taken was answered before the bot stopped"
    with pytest.raises(aiohttp.ClientConnectionError):
        await request(bot, "/healthz", method="GET")


async def test_telegram_refusing_the_webhook_url_stops_the_bot_with_one_line(
    start_bot: Callable[..., Any], webhook_env: dict[str, str]
) -> None:
    # A self-hosted Bot API server's URL lets the bot take http://; Telegram posts to
    # http:// only on its own machine.
    env = {**webhook_env, "TEAMOTP_WEBHOOK_URL": "http://bot.example.com/telegram"}
    bot: Bot = await start_bot(env)
    assert bot.serving is not None
    with pytest.raises(StartupError, match="(?i)an https url must be provided") as refused:
        await asyncio.wait_for(bot.serving, 10)
    assert "TEAMOTP_WEBHOOK_URL" in str(refused.value)
    assert "\n" not in str(refused.value)


# ------------------------------------------------------------------------ health


async def test_healthz_answers_ok_while_the_database_answers(
    start_bot: Callable[..., Any], webhook_env: dict[str, str]
) -> None:
    bot: Bot = await start_bot(webhook_env)
    assert await request(bot, "/healthz", method="GET") == (200, "ok\n")
    assert (await request(bot, "/healthz", method="HEAD"))[0] == 200
    assert (await request(bot, "/healthz", method="POST"))[0] == 405


@pytest.fixture
def relayed_postgres() -> Iterator[tuple[Relay, str]]:
    """The test's PostgreSQL database, reached through a relay the test can break."""
    url = os.environ.get(TEST_DATABASE_URL)
    if not url:
        pytest.skip(f"no PostgreSQL: set {TEST_DATABASE_URL} to run these tests on it too")
    empty_postgres(url)
    real = make_url(url)
    relay = Relay(real.host or "127.0.0.1", real.port or 5432)
    port = relay.start()
    yield relay, real.set(host="127.0.0.1", port=port).render_as_string(hide_password=False)
    relay.close()


@pytest.mark.postgresql_only
async def test_healthz_answers_503_while_postgresql_is_gone_and_ok_once_it_is_back(
    start_bot: Callable[..., Any],
    webhook_env: dict[str, str],
    relayed_postgres: tuple[Relay, str],
) -> None:
    relay, url = relayed_postgres
    bot: Bot = await start_bot({**webhook_env, "TEAMOTP_DATABASE_URL": url})
    assert (await request(bot, "/healthz", method="GET"))[0] == 200
    relay.cut()
    status, reason = await request(bot, "/healthz", method="GET")
    assert status == 503
    assert reason == "the database cannot be reached (OperationalError)\n"
    assert str(make_url(url).port) not in reason
    assert "postgres" not in reason
    relay.restore()
    assert await request(bot, "/healthz", method="GET") == (200, "ok\n")


# The bot's timed jobs, held up by the hung database, run late while the bot stops.
@pytest.mark.filterwarnings("ignore:Tasks created via:UserWarning")
@pytest.mark.postgresql_only
async def test_healthz_answers_503_in_time_when_postgresql_hangs(
    start_bot: Callable[..., Any],
    webhook_env: dict[str, str],
    relayed_postgres: tuple[Relay, str],
) -> None:
    relay, url = relayed_postgres
    bot: Bot = await start_bot({**webhook_env, "TEAMOTP_DATABASE_URL": url}, health_timeout=0.5)
    assert (await request(bot, "/healthz", method="GET"))[0] == 200
    relay.hold()
    asked = time.monotonic()
    answers = await asyncio.gather(*(request(bot, "/healthz", method="GET") for _ in range(3)))
    assert time.monotonic() - asked < 3, "the check waits its timeout, not the database"
    assert answers == [(503, "the database did not answer within 0.5 s\n")] * 3
    relay.restore()
    while (await request(bot, "/healthz", method="GET"))[0] != 200:  # noqa: ASYNC110
        await asyncio.sleep(0.05)


# ------------------------------------------------------------------ `teamotp run`


async def spawn(env: dict[str, str], cwd: Path, *args: str) -> Running:
    process = await asyncio.create_subprocess_exec(
        TEAMOTP,
        "run",
        *args,
        env=env,
        cwd=cwd,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    return Running(process)


@pytest.fixture
async def processes() -> AsyncIterator[list[Running]]:
    started: list[Running] = []
    yield started
    for running in started:
        if running.process.returncode is None:
            running.process.kill()
            await running.process.wait()


async def test_teamotp_run_webhook_answers_through_the_webhook_and_stops_on_sigterm(
    tg: FakeTelegram, tmp_path: Path, processes: list[Running]
) -> None:
    owner = tg.user("olga")
    port = free_port()
    env = clean_environment(
        TEAMOTP_BOT_TOKEN=tg.token,
        TEAMOTP_API_URL=tg.api_url,
        TEAMOTP_DATA_DIR=str(tmp_path / "data"),
        TEAMOTP_OWNER_IDS=str(owner.id),
        TEAMOTP_LOG_LEVEL="DEBUG",
        TEAMOTP_WEBHOOK_URL=f"http://127.0.0.1:{port}{PATH}",
        TEAMOTP_WEBHOOK_SECRET=WEBHOOK_SECRET,
        TEAMOTP_LISTEN_PORT=str(port),
    )
    running = await spawn(env, tmp_path, "--webhook")
    processes.append(running)
    try:
        await (await tg.wait_for("setWebhook", timeout=START_TIMEOUT)).finished()
    except AssertionError:
        raise AssertionError(f"the bot never set its webhook:\n{running.stderr}") from None
    await tg.send(owner, tg.private(owner), "/start")
    reply = await tg.next_message(tg.private(owner))
    assert str(owner.id) in reply["text"]
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"http://127.0.0.1:{port}/healthz") as health,
    ):
        assert health.status == 200
    code, took = await running.stop(signal.SIGTERM)
    assert code == 0, running.stderr
    assert took < STOP_DEADLINE, f"took {took:.1f} s to stop"
    assert f"(webhook on 127.0.0.1:{port})" in running.stderr
    assert tg.calls("getUpdates") == []
    assert tg.calls("deleteWebhook") == []
    assert WEBHOOK_SECRET not in running.stderr
    assert tg.token.split(":", 1)[1] not in running.stderr
    assert "Traceback" not in running.stderr


async def test_teamotp_run_webhook_on_a_port_already_taken_exits_with_one_line(
    tg: FakeTelegram, tmp_path: Path, processes: list[Running]
) -> None:
    taken = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = taken.sockets[0].getsockname()[1]
    env = clean_environment(
        TEAMOTP_BOT_TOKEN=tg.token,
        TEAMOTP_API_URL=tg.api_url,
        TEAMOTP_DATA_DIR=str(tmp_path / "data"),
        TEAMOTP_MODE="webhook",
        TEAMOTP_WEBHOOK_URL=f"http://127.0.0.1:{port}{PATH}",
        TEAMOTP_WEBHOOK_SECRET=WEBHOOK_SECRET,
        TEAMOTP_LISTEN_PORT=str(port),
    )
    try:
        running = await spawn(env, tmp_path)
        processes.append(running)
        code = await asyncio.wait_for(running.process.wait(), START_TIMEOUT)
        await running._reader
    finally:
        taken.close()
    assert code == 1
    lines = [line for line in running.lines if not re.match(r"\d{4}-\d\d-\d\d ", line)]
    assert lines == [
        f"teamotp: cannot listen on 127.0.0.1:{port} (TEAMOTP_LISTEN_HOST, "
        "TEAMOTP_LISTEN_PORT): Address already in use"
    ], running.stderr
    assert tg.calls("setWebhook") == []

"""The bot on PostgreSQL, end to end: the same walks as on SQLite, through the fake Bot
API server, with the store in the database `TEAMOTP_TEST_DATABASE_URL` names (emptied
first). Without it these are skipped with one line; CI sets it."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import pyotp
import pytest

from tests.conftest import TEST_DATABASE_URL, empty_postgres
from tests.e2e import test_approval
from tests.e2e.conftest import SECRET, Bot, ask, setup_team
from tests.e2e.test_codes import stop


@pytest.fixture
def postgres() -> dict[str, str]:
    url = os.environ.get(TEST_DATABASE_URL)
    if not url:
        pytest.skip(f"no PostgreSQL: set {TEST_DATABASE_URL} to run these tests on it too")
    empty_postgres(url)
    return {"TEAMOTP_DATABASE_URL": url}


async def test_on_postgresql_a_member_gets_a_code_and_admins_hear_of_it(
    start_bot: Callable[..., Any], postgres: dict[str, str]
) -> None:
    bot: Bot = await start_bot(postgres)
    p, tg = bot.people, bot.tg
    group = await setup_team(bot)
    reply = await ask(bot, p.member, "/code", chat=group)
    assert pyotp.TOTP(SECRET).at(bot.clock.now) in reply["text"]
    told = await tg.next_message(tg.private(p.admin))
    assert "Code request" in told["text"]
    assert "mia" in told["text"]


async def test_on_postgresql_two_admins_racing_let_exactly_one_decision_take_effect(
    start_bot: Callable[..., Any], postgres: dict[str, str]
) -> None:
    bot: Bot = await start_bot(postgres)
    await test_approval.test_two_admins_racing_exactly_one_decision_takes_effect(bot)


async def test_on_postgresql_the_lock_and_the_team_survive_a_restart(
    start_bot: Callable[..., Any], postgres: dict[str, str]
) -> None:
    first: Bot = await start_bot(postgres)
    await setup_team(first)
    await ask(first, first.people.admin, "/lock")
    await stop(first)
    second: Bot = await start_bot(postgres)
    assert "The bot is locked" in (await ask(second, second.people.member, "/code"))["text"]
    await ask(second, second.people.admin, "/unlock")
    got = await ask(second, second.people.member, "/code")
    assert pyotp.TOTP(SECRET).at(second.clock.now) in got["text"]

"""Stored secrets bound to everything that makes their codes, seen through Telegram: a row
changed in the database file outside the bot is named to the admin (never a wrong code,
never the secret) and does not stop the team from adding other accounts; a store the
first version wrote is upgraded when the bot starts, and its codes stay right."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pyotp
import pytest

from tests.e2e.conftest import OTHER_SECRET, SECRET, Bot, ask, setup_team
from tests.store_files import (
    add_first_version_account,
    change_account,
    make_first_version_store,
    swap_secrets,
)

# The rows are changed in the SQLite file by hand. What finds them is the sealed binding,
# checked in Python on what any database returns, not by the database.
pytestmark = pytest.mark.sqlite_file

THIRD_SECRET = "MFRGGZDFMZTWQ2LKNNWG23TPOBYXE43U"
CLOUD_URI = f"otpauth://totp/Cloud:ops?secret={OTHER_SECRET}&issuer=Cloud&digits=8&period=60"


async def add_account(bot: Bot, name: str, secret: str) -> None:
    owner = bot.people.owner
    await bot.tg.send(owner, bot.tg.private(owner), f"/secret add {name} {secret}")
    await bot.tg.next_message(owner)  # "added"
    await bot.tg.next_message(owner)  # the code


def codes_in(message: dict[str, Any]) -> list[str]:
    return re.findall(r"\b\d{6,8}\b", message["text"])


async def test_a_code_for_an_account_edited_in_the_database_names_it_and_gives_no_code(
    bot: Bot,
) -> None:
    await setup_team(bot)
    admin, member = bot.people.admin, bot.people.member
    change_account(bot.data_dir, "amazon-us", "digits", 8)

    answer = await ask(bot, admin, "/code amazon-us")
    assert "The stored secret of amazon-us cannot be read" in answer["text"]
    assert "changed outside the bot" in answer["text"]
    assert codes_in(answer) == []
    assert not answer.get("reply_markup")  # no copy button with a wrong code

    # A member asking is told the same, and the admins hear which account failed.
    told = await bot.say(member, "/code")
    assert "The stored secret of amazon-us cannot be read" in told["text"]
    notice = await bot.tg.next_message(admin)
    assert "amazon-us" in notice["text"]
    assert "its stored secret cannot be read" in notice["text"]
    for message in (answer, told, notice):
        assert SECRET not in message["text"]


async def test_the_list_marks_it_and_adding_another_account_still_works(bot: Bot) -> None:
    owner = bot.people.owner
    await add_account(bot, "amazon-us", SECRET)
    await add_account(bot, "cloud", CLOUD_URI)
    swap_secrets(bot.data_dir, "amazon-us", "cloud")

    listed = (await bot.say(owner, "/secret list"))["text"]
    marked = [line for line in listed.splitlines() if "cannot be read" in line]
    assert len(marked) == 2
    assert any("amazon-us" in line for line in marked)
    assert any("cloud" in line for line in marked)

    chat = bot.tg.private(owner)
    sent = await bot.tg.send(owner, chat, f"/secret add shop {THIRD_SECRET}")
    added = await bot.tg.next_message(chat)
    assert "Added shop" in added["text"]
    code = await bot.tg.next_message(chat)
    assert pyotp.TOTP(THIRD_SECRET).at(bot.clock.now) in code["text"]
    assert bot.tg.is_deleted(chat, sent["message_id"])
    listed = (await bot.say(owner, "/secret list"))["text"]
    shop = next(line for line in listed.splitlines() if "shop" in line)
    assert "cannot be read" not in shop


async def test_an_unreadable_account_can_be_removed_and_added_again(bot: Bot) -> None:
    owner = bot.people.owner
    await add_account(bot, "amazon-us", SECRET)
    change_account(bot.data_dir, "amazon-us", "period", 60)
    confirm = await bot.say(owner, "/secret remove amazon-us")
    await bot.tg.press(owner, confirm, text="Remove")
    await bot.settle()
    await add_account(bot, "amazon-us", SECRET)
    answer = await bot.say(owner, "/code amazon-us")
    assert pyotp.TOTP(SECRET).at(bot.clock.now) in answer["text"]


async def test_a_store_of_the_first_version_is_upgraded_at_start_and_its_codes_stay_right(
    start_bot: Callable[..., Any], tmp_path: Any
) -> None:
    data_dir = tmp_path / "data"
    make_first_version_store(data_dir)
    add_first_version_account(data_dir, "amazon-us", SECRET)
    add_first_version_account(data_dir, "cloud", OTHER_SECRET, digits=8, period=60)
    bot: Bot = await start_bot()
    owner = bot.people.owner
    answer = await bot.say(owner, "/code amazon-us")
    assert codes_in(answer)[0] == pyotp.TOTP(SECRET).at(bot.clock.now)
    answer = await bot.say(owner, "/code cloud")
    assert codes_in(answer)[0] == pyotp.TOTP(OTHER_SECRET, digits=8, interval=60).at(bot.clock.now)
    # Upgraded, so bound: an edit now shows, where the first version gave wrong codes.
    change_account(data_dir, "cloud", "digits", 6)
    answer = await bot.say(owner, "/code cloud")
    assert "The stored secret of cloud cannot be read" in answer["text"]

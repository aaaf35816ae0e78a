"""Getting codes: /code, the picker, the reply's shape, and its deletion."""

from __future__ import annotations

import pyotp

from tests.e2e.conftest import SECRET, Bot, setup_team


async def test_member_gets_valid_code_in_approved_group(bot: Bot) -> None:
    group = await setup_team(bot)
    reply = await bot.say(bot.people.member, "/code", chat=group)
    expected = pyotp.TOTP(SECRET).at(bot.clock.now)
    assert expected in reply["text"]
    assert "amazon-us" in reply["text"]
    assert reply["protect_content"] is True
    button = reply["reply_markup"]["inline_keyboard"][0][0]
    assert button["copy_text"]["text"] == expected

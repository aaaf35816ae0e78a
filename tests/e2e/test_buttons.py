"""Button presses are input like any other (issue 7): forged, stale, copied from
another chat's button, or carrying a 60-digit number, a press is answered, and it
never gives a code, removes or exports anything the presser may not.

A modified client can send a press with any data for any bot message it can see
(`FakeTelegram.forge_press`); an old client can press a button whose account or
grant is gone (`FakeTelegram.press`). Hypothesis draws the data and who presses where.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.chat.buttons import Kind
from tests.e2e.conftest import OTHER_SECRET, Bot, ask, setup_team
from tests.fake_telegram import FakeChat, FakeUser

EXPIRED = "This button has expired."
# What the bot may do while it handles a press nobody may act on: answer it, and
# tell admins of a refused code request.
QUIET = {"getupdates", "answercallbackquery"}


@dataclass
class Scene:
    bot: Bot
    nina: FakeUser  # a member who may use amazon-us only
    group: FakeChat
    anchors: list[tuple[FakeUser, dict[str, Any]]]  # who can see which bot message
    real_data: list[str]  # every button the bot made, in any chat
    amazon_id: int


def button_data(message: dict[str, Any]) -> list[str]:
    rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
    return [b["callback_data"] for row in rows for b in row if "callback_data" in b]


@pytest.fixture
async def scene(bot: Bot) -> Scene:
    p, tg = bot.people, bot.tg
    group = await setup_team(bot)  # amazon-us, and the member may use every account
    await tg.send(p.admin, tg.private(p.admin), f"/secret add ebay {OTHER_SECRET}")
    await tg.next_message(tg.private(p.admin))
    await tg.next_message(tg.private(p.admin))
    nina = tg.user("nina")
    await ask(bot, p.admin, f"/add {nina.id} amazon-us")
    picker = await ask(bot, p.admin, "/code", chat=group)  # both accounts, for the admin
    confirm = await ask(bot, p.admin, "/secret remove ebay")  # in the admin's private chat
    anchors = [
        (p.stranger, await ask(bot, p.stranger, "/start")),
        (nina, await ask(bot, nina, "/start")),
        (nina, await ask(bot, nina, "/help", chat=group)),
        (nina, picker),
        (p.stranger, picker),
    ]
    real = button_data(picker) + button_data(confirm)
    amazon = next(b for row in picker["reply_markup"]["inline_keyboard"] for b in row)
    assert amazon["text"] == "amazon-us"
    return Scene(bot, nina, group, anchors, real, int(amazon["callback_data"].split(":")[1]))


def forged_data(real: list[str]) -> st.SearchStrategy[str]:
    kinds = [kind.value for kind in Kind]
    return st.one_of(
        st.text(max_size=64),
        st.builds(
            "{}:{}".format,
            st.sampled_from([*kinds, "CODE", "x", ""]),
            st.one_of(
                st.integers(min_value=-(10**3), max_value=10**20),
                st.just(10**59 + 7),  # 60 digits
                st.integers(min_value=10**59, max_value=10**60 - 1),
            ),
        ),
        st.sampled_from(kinds).map(lambda kind: f"{kind}:{'9' * 60}"),
        st.sampled_from(real),  # a real button, pressed on another message or by another
    )


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(choice=st.data())
async def test_any_press_is_answered_and_acts_only_for_who_may(scene: Scene, choice: Any) -> None:
    bot, tg = scene.bot, scene.bot.tg
    presser, anchor = choice.draw(st.sampled_from(scene.anchors), label="who, where")
    data = choice.draw(forged_data(scene.real_data), label="data")
    offered = data in button_data(anchor)
    before = len(tg.calls())
    query = await tg.forge_press(presser, anchor, data)

    await tg.wait_for("answerCallbackQuery", where=lambda c: c.params["callback_query_id"] == query)
    await bot.settle()
    answer = tg.callback_answer(query)
    assert answer is not None
    answers = [c for c in tg.calls("answerCallbackQuery") if c.params["callback_query_id"] == query]
    assert len(answers) == 1, "every press is answered, once"
    acted = [
        c
        for c in tg.calls()[before:]
        if c.method.lower() not in QUIET
        and not str(c.params.get("text", "")).startswith("🔔")  # admins told of a refusal
        and c.params.get("chat_id") != tg.private(tg.user("probe", username="probe_user")).id
    ]
    may_get_code = presser is scene.nina and offered and data == f"code:{scene.amazon_id}"
    if may_get_code:
        assert [c.method for c in acted] == ["sendMessage"]
        assert "amazon-us" in acted[0].params["text"]
        assert "show_alert" not in answer
        return
    assert acted == [], [c.summary() for c in acted]
    assert answer.get("show_alert") is True
    if not offered:
        assert answer["text"] == EXPIRED
    listed = (await ask(bot, bot.people.admin, "/secret list"))["text"]
    assert "Accounts (2)" in listed, "nothing was removed"

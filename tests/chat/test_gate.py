"""The gate reads a command exactly as the handlers are dispatched.

Messages are written by a user on the fake Telegram server (which marks commands the
way Telegram does) and fetched with a real `telegram.Bot`, so each `Update` is what
python-telegram-bot builds from Telegram's JSON; the gate's reading is then compared
with PTB's own `CommandHandler.check_update` for every command of the bot.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
import telegram
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from telegram import Update
from telegram.ext import CommandHandler

from bot.chat.commands import COMMANDS
from bot.chat.gate import Dispatch, dispatched, sent_message
from tests.fake_telegram import FakeTelegram

BOT_NAME = "teamotp_test_bot"
NAMES = [command.name for command in COMMANDS]


async def _ignore(_update: object, _context: object) -> None:
    """A handler's callback; never called here."""


HANDLERS = [CommandHandler(name, _ignore) for name in NAMES]


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as server:
        yield server


@pytest.fixture
async def client(fake: FakeTelegram) -> AsyncIterator[telegram.Bot]:
    async with telegram.Bot(fake.token, base_url=f"{fake.api_url}/bot") as bot:
        assert bot.username == BOT_NAME
        yield bot


async def received(fake: FakeTelegram, client: telegram.Bot, text: str) -> Update:
    """`text` as the bot receives it from a user in private."""
    user = fake.user("alice")
    await fake.send(user, fake.private(user), text)
    [update] = await client.get_updates(offset=-1, timeout=0)
    await client.get_updates(offset=update.update_id + 1, timeout=0)  # confirm it
    return update


def ptb_dispatch(update: Update) -> Dispatch | None:
    """The command PTB would run, and its args, by asking every CommandHandler."""
    for name, handler in zip(NAMES, HANDLERS, strict=True):
        checked = handler.check_update(update)
        if checked:
            assert isinstance(checked, tuple)
            return Dispatch(name, tuple(checked[0]))
    return None


MARKS = ".,:;!?@/<>_-'\"()[] \u200b\u00a0é中1"
commandish = st.builds(
    lambda slash, name, marks, address, rest: slash + name + marks + address + rest,
    st.sampled_from(["/", "/", " /", "a/"]),
    st.one_of(st.sampled_from(NAMES), st.text("abcdefghijklmnopqrstuvwxyz_0123456789", max_size=8)),
    st.text(MARKS, max_size=3),
    st.sampled_from(["", f"@{BOT_NAME}", f"@{BOT_NAME.upper()}", "@other_bot", "@ab", "@"]),
    st.text(MARKS + "abc SEED", max_size=12),
)


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(text=st.one_of(commandish, st.text(min_size=1, max_size=20)))
async def test_the_gate_reads_the_command_and_args_the_handlers_get(
    fake: FakeTelegram, client: telegram.Bot, text: Any
) -> None:
    if not text.strip() or "\x00" in text:
        return  # Telegram refuses an empty message
    update = await received(fake, client, text)
    message = update.effective_message
    assert message is not None
    theirs = ptb_dispatch(update)
    ours = dispatched(message, BOT_NAME)
    if ours is not None and ours.name not in NAMES:
        ours = None  # no handler for it: the gate stops it, PTB runs nothing
    assert ours == theirs, (text, message.entities)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/secret. list", Dispatch("secret", ("list",))),
        ("/members.", Dispatch("members", ())),
        ("/audit. 5", Dispatch("audit", ("5",))),
        ("/secret: add NAME SEED", Dispatch("secret", ("add", "NAME", "SEED"))),
        ("/secret:add NAME SEED", Dispatch("secret", ("NAME", "SEED"))),
        ("/add. 42", Dispatch("add", ("42",))),
        ("/code!", Dispatch("code", ())),
        (f"/code@{BOT_NAME}. x", Dispatch("code", ("x",))),
        ("/code@other_bot", None),
        ("/code@ab", None),  # a bot's name has 3 to 32 characters: no command at all
        ("/code/x", None),
        ("/codeé", None),
    ],
)
async def test_commands_with_punctuation_are_read_as_telegram_marks_them(
    fake: FakeTelegram, client: telegram.Bot, text: str, expected: Dispatch | None
) -> None:
    update = await received(fake, client, text)
    assert update.effective_message is not None
    assert dispatched(update.effective_message, BOT_NAME) == expected
    assert ptb_dispatch(update) == expected


MESSAGE: dict[str, Any] = {
    "message_id": 7,
    "date": 0,
    "chat": {"id": -100, "type": "supergroup", "title": "Team"},
    "from": {"id": 5, "is_bot": False, "first_name": "Eve"},
    "text": "/secret add x JBSWY3DPEHPK3PXP",
}


@pytest.mark.parametrize(
    "kind",
    ["message", "edited_message", "channel_post", "edited_channel_post", "business_message"],
)
def test_every_kind_of_message_update_is_checked(kind: str) -> None:
    """Whatever kind of message an update brings is what the gate checks, so adding a
    kind to `allowed_updates` cannot open a way around it."""
    update = Update.de_json({"update_id": 1, kind: MESSAGE}, None)
    found = sent_message(update)
    assert found is not None
    assert found.text == MESSAGE["text"]


def test_a_button_press_brings_no_message_of_the_presser() -> None:
    """The message a button is on is the bot's own: never checked as the presser's input."""
    update = Update.de_json(
        {
            "update_id": 1,
            "callback_query": {
                "id": "1",
                "from": {"id": 5, "is_bot": False, "first_name": "Eve"},
                "chat_instance": "1",
                "data": "code:1",
                "message": MESSAGE,
            },
        },
        None,
    )
    assert update.effective_message is not None
    assert sent_message(update) is None

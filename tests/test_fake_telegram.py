"""The fake Telegram Bot API, driven by a real PTB ``telegram.Bot``.

Each Telegram rule the fake claims to enforce is proven here with the error PTB raises,
so end-to-end tests of the bot can trust a green run: what passes here passes the
real Bot API's checks too.
"""

from __future__ import annotations

import asyncio
import io
import shlex
import struct
import sys
import time
import zlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import telegram
from telegram import (
    BotCommand,
    BotCommandScopeChat,
    CopyTextButton,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    ReplyParameters,
)
from telegram.error import BadRequest, ChatMigrated, Forbidden, NetworkError, RetryAfter

from tests.fake_telegram import (
    DEFAULT_SPEC_PATH,
    NOT_MODIFIED,
    QUERY_TOO_OLD,
    ApiError,
    FakeTelegram,
)
from tests.fake_telegram.flood import (
    GLOBAL_PER_SECOND,
    GROUP_PER_MINUTE,
    PER_CHAT_PER_SECOND,
    FloodControl,
)
from tests.fake_telegram.formatting import auto_entities, bot_commands
from tests.fake_telegram.html_entities import EntityParseError, parse_html
from tests.fake_telegram.markdown import parse_markdown_v2
from tests.fake_telegram.playground import (
    Command,
    Invalid,
    Photo,
    Playground,
    Press,
    Say,
    _find_button,
    parse_line,
)

REPO_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as server:
        yield server


@pytest.fixture
async def bot(fake: FakeTelegram) -> AsyncIterator[telegram.Bot]:
    async with telegram.Bot(
        fake.token,
        base_url=f"{fake.api_url}/bot",
        base_file_url=f"{fake.api_url}/file/bot",
    ) as client:
        yield client


async def raw_post(
    fake: FakeTelegram, method: str, body: dict[str, Any], *, token: str | None = None
) -> tuple[int, dict[str, Any]]:
    """A request PTB would never make (unknown parameter, wrong token...)."""
    url = f"{fake.api_url}/bot{token or fake.token}/{method}"
    async with aiohttp.ClientSession() as session, session.post(url, json=body) as resp:
        return resp.status, await resp.json()


def last_description(fake: FakeTelegram) -> str:
    return fake.requests[-1].description or ""


def keyboard(*buttons: InlineKeyboardButton) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([list(buttons)])


def png(width: int, height: int) -> bytes:
    """A valid grey PNG of the given size (no imaging library needed)."""
    row = b"\x00" + b"\x80" * width

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(row * height))
        + chunk(b"IEND", b"")
    )


# --------------------------------------------------------------------------- basics


async def test_get_me_and_envelope(fake: FakeTelegram, bot: telegram.Bot) -> None:
    me = await bot.get_me()
    assert me.id == 123456789 == fake.bot.id
    assert me.username == "teamotp_test_bot"
    assert me.is_bot
    status, body = await raw_post(fake, "getMe", {})
    assert status == 200
    assert body["ok"] is True
    assert body["result"]["first_name"]


async def test_wrong_token_and_unknown_method(fake: FakeTelegram) -> None:
    status, body = await raw_post(fake, "getMe", {}, token="1:wrong")
    assert (status, body) == (401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
    status, body = await raw_post(fake, "sendMesage", {"chat_id": 1, "text": "x"})
    assert (status, body["description"]) == (404, "Not Found")
    assert any("sendMesage" in v for v in fake.violations)


async def test_every_answer_carries_telegrams_time_in_its_date_header(fake: FakeTelegram) -> None:
    """As Telegram's servers do (RFC 9110's IMF-fixdate, whole seconds): their own time,
    which a test may set apart from the bot's, also on a refusal."""
    fake.world.clock = lambda: 1767225605.75  # 2026-01-01 00:00:05.75 UTC
    async with aiohttp.ClientSession() as session:
        for token in (fake.token, "1:wrong"):
            async with session.get(f"{fake.api_url}/bot{token}/getMe") as answer:
                assert answer.headers["Date"] == "Thu, 01 Jan 2026 00:00:05 GMT"
        async with session.get(f"{fake.api_url}/nowhere") as answer:
            assert answer.status == 404
            assert answer.headers["Date"] == "Thu, 01 Jan 2026 00:00:05 GMT"


async def test_get_me_says_whether_privacy_mode_is_on(
    fake: FakeTelegram, bot: telegram.Bot
) -> None:
    """`can_read_all_group_messages` is "True, if privacy mode is disabled" (api.json), and
    what the bot then receives in a group follows it."""
    alice = fake.user("alice")
    team = fake.group("team")
    await fake.add_bot_to_group(team, alice)
    await bot.get_updates(offset=-1)
    assert (await bot.get_me()).can_read_all_group_messages is False
    await fake.send(alice, team, "chatting, privacy on")
    fake.privacy_mode = False
    assert (await bot.get_me()).can_read_all_group_messages is True
    await fake.send(alice, team, "chatting, privacy off")
    updates = await bot.get_updates(offset=fake.confirmed_offset + 1)
    assert [u.message.text for u in updates if u.message] == ["chatting, privacy off"]


async def test_spec_refuses_unknown_parameter(fake: FakeTelegram) -> None:
    alice = fake.user("alice")
    status, body = await raw_post(
        fake, "sendMessage", {"chat_id": alice.id, "text": "hi", "protect_conten": True}
    )
    assert status == 400
    assert body["description"].startswith('Bad Request: unknown parameter "protect_conten"')
    assert len(fake.violations) == 1
    assert fake.messages(alice) == []


async def test_spec_refuses_missing_required_and_bad_nested_fields(
    fake: FakeTelegram, bot: telegram.Bot
) -> None:
    alice = fake.user("alice")
    status, body = await raw_post(fake, "sendMessage", {"chat_id": alice.id})
    assert status == 400
    assert 'required parameter "text" is missing' in body["description"]
    markup = {"inline_keyboard": [[{"text": "x", "callbak_data": "y"}]]}
    status, body = await raw_post(
        fake, "sendMessage", {"chat_id": alice.id, "text": "hi", "reply_markup": markup}
    )
    assert status == 400
    assert 'unknown field "callbak_data"' in body["description"]
    assert len(fake.violations) == 2


async def test_method_in_spec_but_not_implemented(fake: FakeTelegram) -> None:
    status, body = await raw_post(fake, "sendDice", {"chat_id": 1})
    assert status == 400
    assert body["description"] == "Bad Request: method not supported by the fake"
    assert fake.violations


async def test_requests_are_checked_against_the_bot_api_description_in_the_repository(
    fake: FakeTelegram,
) -> None:
    assert DEFAULT_SPEC_PATH.is_relative_to(REPO_ROOT / "tests")
    assert fake.spec.version.startswith("Bot API ")
    # Whatever the fake answers, real Telegram has too.
    assert set(fake.api.handlers) <= set(fake.spec.method_names)
    # The whole description, not a hand-made excerpt: methods the bot never calls too.
    assert {"sendDice", "setChatPhoto", "getBusinessConnection"} <= set(fake.spec.method_names)


async def test_token_never_logged(
    fake: FakeTelegram, bot: telegram.Bot, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("DEBUG")
    alice = fake.user("alice")
    await bot.send_message(alice.id, "hi")
    with pytest.raises(BadRequest):
        await bot.send_message(alice.id, "<p>x</p>", parse_mode="HTML")
    ours = [r for r in caplog.records if r.name.startswith(("tests.fake_telegram", "aiohttp"))]
    assert ours  # the fake does log (method names)
    assert all(fake.token.split(":")[1] not in r.getMessage() for r in ours)


# ------------------------------------------------------------------ text and parsing


async def test_html_is_parsed_into_text_and_entities(fake: FakeTelegram, bot: telegram.Bot) -> None:
    alice = fake.user("alice")
    sent = await bot.send_message(
        alice.id,
        "😀 <b>Code</b> <code>123 456</code> for <i>amazon&amp;co</i> "
        '<a href="https://example.com">site</a>\n<pre><code class="language-text">x</code></pre>'
        "<blockquote expandable>q</blockquote> <tg-spoiler>s</tg-spoiler>",
        parse_mode="HTML",
    )
    message = await fake.next_message(alice)
    assert message["text"] == "😀 Code 123 456 for amazon&co site\nxq s"
    assert sent.text == message["text"]
    by_type = {e["type"]: e for e in message["entities"]}
    assert by_type["bold"] == {"type": "bold", "offset": 3, "length": 4}  # 😀 is 2 UTF-16 units
    assert by_type["code"]["offset"] == 8
    assert by_type["text_link"]["url"] == "https://example.com"
    assert by_type["pre"]["language"] == "text"
    assert "expandable_blockquote" in by_type
    assert "spoiler" in by_type
    assert sent.parse_entity(sent.entities[1]) == "123 456"
    assert fake.violations == []


async def test_a_mention_by_id_comes_back_with_the_whole_user(
    fake: FakeTelegram, bot: telegram.Bot
) -> None:
    alice, bob = fake.user("alice"), fake.user("bob", last_name="Builder")
    sent = await bot.send_message(
        alice.id,
        f'<a href="tg://user?id={bob.id}">Bob</a> and <a href="tg://user?id=999999">nobody</a>',
        parse_mode="HTML",
    )
    message = await fake.next_message(alice)
    assert message["text"] == "Bob and nobody"
    (mention,) = message["entities"]  # an id Telegram would not let the bot name: plain text
    assert mention["type"] == "text_mention"
    assert mention["user"] == {
        "id": bob.id,
        "is_bot": False,
        "first_name": "bob",
        "last_name": "Builder",
        "username": "bob",
        "language_code": "en",
    }
    assert sent.entities[0].user is not None
    assert sent.entities[0].user.id == bob.id
    assert fake.violations == []


@pytest.mark.parametrize(
    ("html", "fragment"),
    [
        ("line<br>break", 'Unsupported start tag "br"'),
        ("<b>bold", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<b><i>x</b></i>", 'expected "</i>", found "</b>"'),
        ("a < b", "Unsupported start tag"),
        ("Tom & Jerry", "Character '&'"),
        ("&nbsp;", 'Unsupported HTML entity "&nbsp;"'),
        ('<span class="x">s</span>', 'Tag "span" must have class "tg-spoiler"'),
        ("x</b>", "Unexpected end tag"),
    ],
)
async def test_bad_html_is_refused(
    fake: FakeTelegram, bot: telegram.Bot, html: str, fragment: str
) -> None:
    alice = fake.user("alice")
    with pytest.raises(BadRequest, match="(?i)can't parse entities"):
        await bot.send_message(alice.id, html, parse_mode="HTML")
    assert last_description(fake).startswith("Bad Request: can't parse entities: ")
    assert fragment in last_description(fake)
    assert len(fake.violations) == 1


async def test_markdown_v2(fake: FakeTelegram, bot: telegram.Bot) -> None:
    alice = fake.user("alice")
    with pytest.raises(BadRequest, match="(?i)can't parse entities"):
        await bot.send_message(alice.id, "Hello anna.k", parse_mode="MarkdownV2")
    assert "Character '.' is reserved" in last_description(fake)
    await bot.send_message(alice.id, r"*Code* `12\-34` for anna\.k \(ok\)", parse_mode="MarkdownV2")
    message = await fake.next_message(alice)
    assert message["text"] == "Code 12-34 for anna.k (ok)"
    assert [e["type"] for e in message["entities"]] == ["bold", "code"]
    with pytest.raises(BadRequest):
        await bot.send_message(alice.id, "*unclosed", parse_mode="MarkdownV2")
    assert "Can't find end of Bold entity" in last_description(fake)


def test_parsers_directly() -> None:
    assert parse_markdown_v2("[site](https://x.y/a\\)b) __u__ ||s||") == (
        "site u s",
        [
            {"type": "text_link", "offset": 0, "length": 4, "url": "https://x.y/a)b"},
            {"type": "underline", "offset": 5, "length": 1},
            {"type": "spoiler", "offset": 7, "length": 1},
        ],
    )
    text, entities = parse_markdown_v2(">quoted\n>more\nafter")
    assert text == "quoted\nmore\nafter"
    assert entities == [{"type": "blockquote", "offset": 0, "length": 11}]
    assert parse_html("&#128512;&#x41;&quot;") == ('😀A"', [])
    with pytest.raises(EntityParseError):
        parse_html("<a>no href</a>")
    assert auto_entities("/code@teamotp_test_bot amazon @bobby") == [
        {"offset": 0, "length": 22, "type": "bot_command"},
        {"offset": 30, "length": 6, "type": "mention"},
    ]


async def test_text_limits(fake: FakeTelegram, bot: telegram.Bot) -> None:
    alice = fake.user("alice")
    with pytest.raises(BadRequest, match="(?i)message text is empty"):
        await bot.send_message(alice.id, "<b> </b>", parse_mode="HTML")
    with pytest.raises(BadRequest, match="(?i)message is too long"):
        await bot.send_message(alice.id, "x" * 4097)
    await bot.send_message(alice.id, "<b>" + "x" * 4096 + "</b>", parse_mode="HTML")
    with pytest.raises(BadRequest, match="(?i)caption is too long"):
        await bot.send_photo(alice.id, png(4, 4), caption="c" * 1025)
    assert len(fake.violations) == 3
    assert (await fake.next_message(alice))["text"] == "x" * 4096


async def test_whitespace_is_trimmed_like_telegram(fake: FakeTelegram, bot: telegram.Bot) -> None:
    alice = fake.user("alice")
    await bot.send_message(alice.id, "\n  <code>123</code>  \n", parse_mode="HTML")
    message = await fake.next_message(alice)
    assert message["text"] == "123"
    assert message["entities"] == [{"type": "code", "offset": 0, "length": 3}]


# ----------------------------------------------------------------------- keyboards


async def test_callback_data_limit_is_64_bytes(fake: FakeTelegram, bot: telegram.Bot) -> None:
    alice = fake.user("alice")
    await bot.send_message(
        alice.id, "ok", reply_markup=keyboard(InlineKeyboardButton("a", callback_data="x" * 64))
    )
    with pytest.raises(BadRequest, match="(?i)BUTTON_DATA_INVALID"):
        # 22 Chinese characters: 22 characters but 66 bytes
        await bot.send_message(
            alice.id,
            "no",
            reply_markup=keyboard(InlineKeyboardButton("b", callback_data="美" * 22)),
        )
    assert last_description(fake) == "Bad Request: BUTTON_DATA_INVALID"
    assert len(fake.violations) == 1


@pytest.mark.parametrize(
    ("button", "fragment"),
    [
        ({"text": "plain"}, "text buttons are unallowed in the inline keyboard"),
        ({"text": "two", "callback_data": "a", "url": "https://x.org"}, "exactly one"),
        ({"text": "c", "copy_text": {"text": "x" * 257}}, "copy_text.text must have 1-256"),
        ({"text": "u", "url": "example.com"}, "Wrong HTTP URL"),
        ({"text": "", "callback_data": "a"}, "non-empty text"),
    ],
)
async def test_bad_inline_buttons(
    fake: FakeTelegram, bot: telegram.Bot, button: dict[str, Any], fragment: str
) -> None:
    alice = fake.user("alice")
    status, body = await raw_post(
        fake,
        "sendMessage",
        {"chat_id": alice.id, "text": "x", "reply_markup": {"inline_keyboard": [[button]]}},
    )
    assert status == 400
    assert fragment in body["description"]
    assert fake.violations


async def test_copy_text_button(fake: FakeTelegram, bot: telegram.Bot) -> None:
    alice = fake.user("alice")
    markup = keyboard(InlineKeyboardButton("Copy", copy_text=CopyTextButton("123456")))
    await bot.send_message(alice.id, "123456", reply_markup=markup, protect_content=True)
    message = await fake.next_message(alice)
    assert message["reply_markup"] == {
        "inline_keyboard": [[{"text": "Copy", "copy_text": {"text": "123456"}}]]
    }
    assert message["protect_content"] is True
    assert message["has_protected_content"] is True
    assert fake.calls("sendMessage")[-1].params["protect_content"] is True


# --------------------------------------------------------------- editing, deleting


async def test_edit_not_modified_and_edit_rules(fake: FakeTelegram, bot: telegram.Bot) -> None:
    alice = fake.user("alice")
    markup = keyboard(InlineKeyboardButton("a", callback_data="a"))
    sent = await bot.send_message(alice.id, "<b>1</b>", parse_mode="HTML", reply_markup=markup)
    with pytest.raises(BadRequest, match="(?i)message is not modified"):
        await bot.edit_message_text(
            "<b>1</b>",
            chat_id=alice.id,
            message_id=sent.message_id,
            parse_mode="HTML",
            reply_markup=markup,
        )
    assert last_description(fake) == f"Bad Request: {NOT_MODIFIED}"
    assert len(fake.not_modified) == 1
    assert fake.violations == []
    # the same text without the markup removes the keyboard: that is a modification
    await bot.edit_message_text(
        "<b>1</b>", chat_id=alice.id, message_id=sent.message_id, parse_mode="HTML"
    )
    [current] = fake.messages(alice)
    assert "reply_markup" not in current
    assert "edit_date" in current
    await bot.edit_message_reply_markup(alice.id, sent.message_id, reply_markup=markup)
    assert fake.messages(alice)[0]["reply_markup"] == markup.to_dict()
    await bot.delete_message(alice.id, sent.message_id)
    with pytest.raises(BadRequest, match="(?i)message to edit not found"):
        await bot.edit_message_text("2", chat_id=alice.id, message_id=sent.message_id)
    user_message = await fake.send(alice, alice, "mine")
    with pytest.raises(BadRequest, match="(?i)message can't be edited"):
        await bot.edit_message_text("2", chat_id=alice.id, message_id=user_message["message_id"])


async def test_delete_rules(fake: FakeTelegram, bot: telegram.Bot) -> None:
    alice, bob = fake.user("alice"), fake.user("bob")
    team = fake.group("team")
    await fake.add_bot_to_group(team, alice)
    own = await bot.send_message(team.id, "bot text")
    assert await bot.delete_message(team.id, own.message_id)
    assert fake.is_deleted(team, own.message_id)
    with pytest.raises(BadRequest, match="(?i)message to delete not found"):
        await bot.delete_message(team.id, own.message_id)
    theirs = await fake.send(bob, team, "/code")
    with pytest.raises(BadRequest, match="(?i)message can't be deleted"):
        await bot.delete_message(team.id, theirs["message_id"])
    await fake.promote_bot(team, alice, can_delete_messages=True)
    assert await bot.delete_message(team.id, theirs["message_id"])
    private = await fake.send(alice, alice, "secret JBSWY3DPEHPK3PXP")
    assert await bot.delete_message(alice.id, private["message_id"])
    old = await bot.send_message(alice.id, "old")
    fake.age(alice, old.message_id, 49 * 3600)
    with pytest.raises(BadRequest, match="(?i)message can't be deleted"):
        await bot.delete_message(alice.id, old.message_id)
    a = await bot.send_message(alice.id, "a")
    b = await bot.send_message(alice.id, "b")
    assert await bot.delete_messages(alice.id, [a.message_id, b.message_id, 999])
    assert [m["text"] for m in fake.messages(alice)] == ["old"]
    assert fake.violations == []


# -------------------------------------------------------------------- callbacks


async def test_callback_query_answer_rules(fake: FakeTelegram, bot: telegram.Bot) -> None:
    alice = fake.user("alice")
    markup = InlineKeyboardMarkup(
        [
            [InlineKeyboardButton("amazon-us", callback_data="code:1")],
            [InlineKeyboardButton("Copy", copy_text=CopyTextButton("1"))],
        ]
    )
    await bot.send_message(alice.id, "pick", reply_markup=markup)
    message = await fake.next_message(alice)
    with pytest.raises(AssertionError, match="no callback button"):
        await fake.press(alice, message, text="Copy")
    query_id = await fake.press(alice, message, text="amazon-us")
    [update] = await bot.get_updates()
    assert update.callback_query is not None
    assert update.callback_query.data == "code:1"
    assert update.callback_query.from_user.id == alice.id
    assert update.callback_query.message is not None
    assert update.callback_query.message.message_id == message["message_id"]
    assert await bot.answer_callback_query(query_id, text="here")
    assert fake.callback_answer(query_id) == {"text": "here"}
    with pytest.raises(BadRequest, match="(?i)query is too old"):
        await bot.answer_callback_query(query_id)
    with pytest.raises(BadRequest, match="(?i)query is too old"):
        await bot.answer_callback_query("12345")
    second = await fake.press(alice, message, data="code:1")
    with pytest.raises(BadRequest, match="(?i)MESSAGE_TOO_LONG"):
        await bot.answer_callback_query(second, text="x" * 201)
    fake.callback_answer_window = 0.05
    late = await fake.press(alice, message)
    await asyncio.sleep(0.1)
    with pytest.raises(BadRequest, match="(?i)query is too old"):
        await bot.answer_callback_query(late)
    assert last_description(fake).startswith(f"Bad Request: {QUERY_TOO_OLD}")
    assert len(fake.violations) == 4


# ------------------------------------------------------------------ chats, access


async def test_group_membership_and_access(fake: FakeTelegram, bot: telegram.Bot) -> None:
    alice = fake.user("alice")
    team = fake.group("team")
    assert team.id < 0
    with pytest.raises(Forbidden, match="(?i)bot is not a member of the group chat"):
        await bot.send_message(team.id, "hi")
    await fake.add_bot_to_group(team, alice)
    member_update, join_update = await bot.get_updates()
    assert member_update.my_chat_member is not None
    assert member_update.my_chat_member.from_user.id == alice.id
    assert member_update.my_chat_member.old_chat_member.status == "left"
    assert member_update.my_chat_member.new_chat_member.status == "member"
    assert join_update.message is not None
    assert [u.id for u in join_update.message.new_chat_members] == [fake.bot.id]
    await bot.send_message(team.id, "hello team")
    await fake.remove_bot_from_group(team, alice)
    with pytest.raises(Forbidden, match="(?i)bot is not a member of the group chat"):
        await bot.send_message(team.id, "still here?")
    assert last_description(fake) == "Forbidden: bot is not a member of the group chat"
    with pytest.raises(BadRequest, match="(?i)chat not found"):
        await bot.send_message(-555, "who?")
    assert fake.violations == []


async def test_private_chat_access(fake: FakeTelegram, bot: telegram.Bot) -> None:
    shy = fake.user("shy", started=False)
    with pytest.raises(Forbidden, match="(?i)bot can't initiate conversation with a user"):
        await bot.send_message(shy.id, "hi")
    await fake.send(shy, fake.private(shy), "/start")
    await bot.send_message(shy.id, "hi")
    fake.block(shy)
    with pytest.raises(Forbidden, match="(?i)bot was blocked by the user"):
        await bot.send_message(shy.id, "hi again")
    updates = await bot.get_updates()
    assert updates[-1].my_chat_member is not None
    assert updates[-1].my_chat_member.new_chat_member.status == "kicked"


async def test_a_start_link_opens_the_private_chat_with_its_payload(
    fake: FakeTelegram, bot: telegram.Bot
) -> None:
    shy = fake.user("shy", started=False)
    await fake.open_link(shy, f"https://t.me/{fake.bot.username}?start=code_Ab-9")
    await fake.open_link(shy, f"https://t.me/{fake.bot.username}?start={'a' * 65}")
    await fake.open_link(shy, f"https://t.me/{fake.bot.username}?start=no%20spaces")
    texts = [u.message.text for u in await bot.get_updates() if u.message is not None]
    assert texts == ["/start code_Ab-9", "/start", "/start"]  # apps drop a bad payload
    await bot.send_message(shy.id, "hi")  # pressing Start lets the bot write
    for wrong in ("https://t.me/other_bot?start=x", f"https://t.me/{fake.bot.username}"):
        with pytest.raises(AssertionError, match="not a start link"):
            await fake.open_link(shy, wrong)


async def test_chat_info(fake: FakeTelegram, bot: telegram.Bot) -> None:
    alice, bob = fake.user("alice"), fake.user("bob")
    team = fake.group("team", bot_is_admin=True)
    await fake.add_bot_to_group(team, alice)
    await fake.user_joins(team, bob)
    chat = await bot.get_chat(team.id)
    assert (chat.title, chat.type) == ("team", "group")
    assert (await bot.get_chat_member(team.id, alice.id)).status == "creator"
    assert (await bot.get_chat_member(team.id, bob.id)).status == "member"
    me = await bot.get_chat_member(team.id, fake.bot.id)
    assert me.status == "administrator"
    admins = await bot.get_chat_administrators(team.id)
    assert {a.user.id for a in admins} == {alice.id, fake.bot.id}
    await fake.user_leaves(team, bob)
    assert (await bot.get_chat_member(team.id, bob.id)).status == "left"
    assert await bot.leave_chat(team.id)
    with pytest.raises(Forbidden):
        await bot.send_message(team.id, "x")


async def test_migration_to_supergroup(fake: FakeTelegram, bot: telegram.Bot) -> None:
    alice = fake.user("alice")
    team = fake.group("team")
    await fake.add_bot_to_group(team, alice)
    await bot.get_updates()
    new = await fake.migrate_to_supergroup(team)
    assert str(new.id).startswith("-100")
    with pytest.raises(ChatMigrated) as info:
        await bot.send_message(team.id, "hi")
    assert info.value.new_chat_id == new.id
    assert fake.requests[-1].response == {
        "ok": False,
        "error_code": 400,
        "description": "Bad Request: group chat was upgraded to a supergroup chat",
        "parameters": {"migrate_to_chat_id": new.id},
    }
    updates = await bot.get_updates()
    [to_new] = [u.message for u in updates if u.message and u.message.migrate_to_chat_id]
    [from_old] = [u.message for u in updates if u.message and u.message.migrate_from_chat_id]
    assert (to_new.chat.id, to_new.migrate_to_chat_id) == (team.id, new.id)
    assert (from_old.chat.id, from_old.migrate_from_chat_id) == (new.id, team.id)
    await bot.send_message(new.id, "hi again")


async def test_threads_and_replies(fake: FakeTelegram, bot: telegram.Bot) -> None:
    alice = fake.user("alice")
    team = fake.group("team")
    await fake.add_bot_to_group(team, alice)
    with pytest.raises(BadRequest, match="(?i)message thread not found"):
        await bot.send_message(team.id, "x", message_thread_id=5)
    forum = fake.group("forum", forum=True)
    await fake.add_bot_to_group(forum, alice)
    topic = fake.create_topic(forum, "codes", by=alice)
    asked = await fake.send(alice, forum, "/code", message_thread_id=topic)
    sent = await bot.send_message(
        forum.id,
        "123",
        message_thread_id=topic,
        reply_parameters=ReplyParameters(asked["message_id"]),
    )
    assert sent.message_thread_id == topic
    assert sent.reply_to_message is not None
    with pytest.raises(BadRequest, match="(?i)message to be replied not found"):
        await bot.send_message(team.id, "x", reply_parameters=ReplyParameters(999))
    fine = await bot.send_message(
        team.id, "x", reply_parameters=ReplyParameters(999, allow_sending_without_reply=True)
    )
    assert fine.reply_to_message is None
    assert len(fake.violations) == 1  # only the thread id


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
async def test_flood_control(fake: FakeTelegram, bot: telegram.Bot) -> None:
    alice = fake.user("alice")
    fake.flood_control = True
    for n in range(PER_CHAT_PER_SECOND):  # a short burst passes
        await bot.send_message(alice.id, str(n))
    with pytest.raises(RetryAfter):
        await bot.send_message(alice.id, "one too many")
    assert fake.requests[-1].response == {
        "ok": False,
        "error_code": 429,
        "description": "Too Many Requests: retry after 1",
        "parameters": {"retry_after": 1},
    }
    assert fake.violations == []


def test_flood_control_limits_each_chat_each_group_and_the_bot() -> None:
    now = [0.0]
    flood = FloodControl(lambda: now[0])

    def refused(chat_id: int, *, private: bool) -> int | None:
        """The `retry_after` of a refused send, None when it passes."""
        try:
            flood.check(chat_id, private=private)
        except ApiError as error:
            return int((error.parameters or {})["retry_after"]) if error.status == 429 else -1
        return None

    for _ in range(PER_CHAT_PER_SECOND):
        assert refused(1, private=True) is None
    assert refused(1, private=True) == 1
    now[0] += 1.0
    assert refused(1, private=True) is None  # a second later, the burst is allowed again

    group = -100
    for n in range(GROUP_PER_MINUTE):
        now[0] += 1.0
        assert refused(group, private=False) is None, n
    now[0] += 1.0
    assert refused(group, private=False) == 60 - GROUP_PER_MINUTE
    assert refused(-200, private=False) is None  # other groups are not held up

    now[0] += 100.0
    for chat_id in range(1000, 1000 + GLOBAL_PER_SECOND):
        assert refused(chat_id, private=True) is None
    assert refused(5000, private=True) == 1


# ------------------------------------------------------------------ updates


async def test_long_polling_and_offsets(fake: FakeTelegram, bot: telegram.Bot) -> None:
    alice = fake.user("alice")
    started = time.monotonic()
    poll = asyncio.create_task(bot.get_updates(timeout=5))
    in_flight = await fake.wait_for("getUpdates", timeout=2)
    assert in_flight.response is None  # the long poll is waiting
    assert in_flight.params["timeout"] == 5
    sent = await fake.send(alice, fake.private(alice), "/start")
    [update] = await poll
    assert (await in_flight.finished()).ok
    assert time.monotonic() - started < 2
    assert update.message is not None
    assert update.message.text == "/start"
    assert update.message.message_id == sent["message_id"]
    assert update.message.entities[0].type == "bot_command"
    # not confirmed: delivered again
    [again] = await bot.get_updates()
    assert again.update_id == update.update_id
    await fake.send(alice, fake.private(alice), "/help")
    confirmed = await bot.get_updates(offset=update.update_id + 1, limit=1)
    assert [u.message.text for u in confirmed if u.message] == ["/help"]
    assert fake.confirmed_offset == update.update_id + 1
    assert len(fake.pending_updates) == 1
    empty = await bot.get_updates(offset=confirmed[0].update_id + 1, timeout=0)
    assert empty == ()


async def test_allowed_updates_and_chat_member(fake: FakeTelegram, bot: telegram.Bot) -> None:
    alice, bob = fake.user("alice"), fake.user("bob")
    team = fake.group("team", bot_is_admin=True)
    await fake.add_bot_to_group(team, alice)
    await fake.user_joins(team, bob)
    kinds = [u.to_dict().keys() - {"update_id"} for u in await bot.get_updates()]
    assert {"chat_member"} not in kinds  # not asked for
    await bot.get_updates(offset=-1, allowed_updates=["message", "chat_member"])
    await fake.user_leaves(team, bob)
    updates = await bot.get_updates(offset=fake.confirmed_offset + 1)
    assert any(u.chat_member is not None for u in updates)
    assert any(u.message is not None and u.message.left_chat_member for u in updates)
    fake.block(bob)  # my_chat_member is not in the remembered allowed_updates any more
    assert all("my_chat_member" not in u for u in fake.pending_updates)


async def test_removing_restricting_and_hidden_leaves(
    fake: FakeTelegram, bot: telegram.Bot
) -> None:
    """An admin removing someone: `chat_member` and the service message both from the
    admin; a restricted member leaving stays "restricted" with `is_member` false; a
    supergroup that hides join and leave messages sends only `chat_member`."""
    alice, bob, carol = fake.user("alice"), fake.user("bob"), fake.user("carol")
    team = fake.group("team", bot_is_admin=True)
    await fake.add_bot_to_group(team, alice)
    await fake.user_joins(team, bob)
    await fake.user_joins(team, carol)
    await bot.get_updates(offset=-1, allowed_updates=["message", "chat_member"])
    with pytest.raises(ValueError, match="not an administrator"):
        await fake.remove_user(team, alice, by=bob)
    await fake.remove_user(team, bob, by=alice)
    await fake.restrict_user(team, carol, by=alice)
    await fake.user_leaves(team, carol)
    updates = await bot.get_updates(offset=fake.confirmed_offset + 1)
    changes = [u.chat_member for u in updates if u.chat_member is not None]
    assert [(c.from_user.id, c.new_chat_member.status) for c in changes] == [
        (alice.id, "kicked"),
        (alice.id, "restricted"),
        (carol.id, "restricted"),
    ]
    restricted, gone = changes[1].new_chat_member, changes[2].new_chat_member
    assert isinstance(restricted, telegram.ChatMemberRestricted)
    assert restricted.is_member
    assert isinstance(gone, telegram.ChatMemberRestricted)
    assert not gone.is_member
    left = [u.message for u in updates if u.message is not None and u.message.left_chat_member]
    assert [(m.from_user.id, m.left_chat_member.id) for m in left if m.from_user] == [
        (alice.id, bob.id),
        (carol.id, carol.id),
    ]

    big = fake.group("big", bot_is_admin=True, hides_joins=True)
    assert big.type == "supergroup"
    await fake.add_bot_to_group(big, alice)
    await fake.user_joins(big, bob)
    await fake.user_leaves(big, bob)
    updates = await bot.get_updates(offset=updates[-1].update_id + 1)
    assert [u.chat_member.new_chat_member.status for u in updates if u.chat_member] == [
        "member",
        "left",
    ]
    assert not any(
        u.message and (u.message.left_chat_member or u.message.new_chat_members)
        for u in updates
        if u.message and u.message.from_user and u.message.from_user.id == bob.id
    )


async def test_privacy_mode_in_groups(fake: FakeTelegram, bot: telegram.Bot) -> None:
    alice = fake.user("alice")
    team = fake.group("team")
    await fake.add_bot_to_group(team, alice)
    await bot.get_updates(offset=-1)
    await fake.send(alice, team, "just chatting")
    await fake.send(alice, team, "/code@other_bot")
    await fake.send(alice, team, "/code@teamotp_test_bot amazon")
    bot_message = await bot.send_message(team.id, "pick one")
    await fake.send(alice, team, "this one", reply_to={"message_id": bot_message.message_id})
    await fake.send(None, team, "/code", sender_chat=team)
    texts = [u.message for u in await bot.get_updates(offset=fake.confirmed_offset + 1)]
    assert [m.text for m in texts if m] == ["/code@teamotp_test_bot amazon", "this one", "/code"]
    anonymous = texts[-1]
    assert anonymous is not None
    assert anonymous.sender_chat is not None
    assert anonymous.from_user is not None
    assert anonymous.from_user.id == 1087968824
    assert len(fake.messages(team)) == 7  # the join message and everything said


async def test_privacy_mode_reads_the_address_from_the_command_entity(
    fake: FakeTelegram, bot: telegram.Bot
) -> None:
    """`/code@teamotp_test_bot.` is a command for this bot: the entity ends before the dot."""
    alice = fake.user("alice")
    team = fake.group("team")
    await fake.add_bot_to_group(team, alice)
    await bot.get_updates(offset=-1)
    await fake.send(alice, team, "/code@teamotp_test_bot.")
    await fake.send(alice, team, "/code@other_bot, please")
    await fake.send(alice, team, "/members.")
    texts = [u.message.text for u in await bot.get_updates(offset=fake.confirmed_offset + 1)]
    assert texts == ["/code@teamotp_test_bot.", "/members."]


@pytest.mark.parametrize(
    ("text", "commands"),
    [
        # tdlib's own cases (test/message_entities.cpp), then punctuation after a command
        ("/abc", ["/abc"]),
        (" /abc ", ["/abc"]),
        ("/a@abc", ["/a@abc"]),
        ("/a@b", []),
        ("/@bfdsa", []),
        ("/test/", []),
        ("a/start", []),
        ("é/start", []),
        ("/é", []),
        ("</start>", []),
        ("/a /b", ["/a", "/b"]),
        ("/" + "a" * 64, ["/" + "a" * 64]),
        ("/" + "a" * 65, []),
        ("/start@" + "b" * 33, []),
        ("/members.", ["/members"]),
        ("/secret: add NAME SEED", ["/secret"]),
        ("/secret:add", ["/secret"]),
        ("/code!", ["/code"]),
        ("/add, 42", ["/add"]),
        ("/code@teamotp_test_bot.", ["/code@teamotp_test_bot"]),
        ("/code-x", ["/code"]),
        ("/code\u200b", ["/code"]),
        ("/codeé", []),
    ],
)
def test_bot_commands_are_marked_where_telegram_marks_them(text: str, commands: list[str]) -> None:
    assert [text[start:end] for start, end in bot_commands(text)] == commands


def test_a_command_entity_is_measured_in_utf16() -> None:
    assert auto_entities("😀 /start.") == [{"offset": 3, "length": 6, "type": "bot_command"}]


async def test_a_user_edits_a_message(fake: FakeTelegram, bot: telegram.Bot) -> None:
    alice, bob = fake.user("alice"), fake.user("bob")
    team = fake.group("team", bot_is_admin=True)
    await fake.add_bot_to_group(team, alice)
    await bot.get_updates(offset=-1, allowed_updates=["message", "edited_message"])
    sent = await fake.send(alice, team, "hello")
    edited = await fake.edit(alice, sent, "/code.")
    assert edited["edit_date"] >= sent["date"]
    updates = await bot.get_updates(offset=fake.confirmed_offset + 1)
    assert [u.message.text for u in updates if u.message] == ["hello"]
    [update] = [u for u in updates if u.edited_message]
    assert update.edited_message.text == "/code."
    assert update.edited_message.entities[0].length == 5  # "/code"
    assert fake.messages(team)[-1]["text"] == "/code."
    with pytest.raises(ValueError, match="cannot edit"):
        await fake.edit(bob, sent, "mine now")
    await bot.get_updates(offset=updates[-1].update_id + 1, allowed_updates=["message"])
    await fake.edit(alice, sent, "again")  # edits are not asked for any more
    assert all("edited_message" not in u for u in fake.pending_updates)


async def test_a_forged_press_carries_any_data(fake: FakeTelegram, bot: telegram.Bot) -> None:
    alice = fake.user("alice")
    sent = await bot.send_message(alice.id, "no buttons here")
    query = await fake.forge_press(
        alice, {"chat": {"id": alice.id}, "message_id": sent.message_id}, "rm:" + "9" * 60
    )
    [update] = await bot.get_updates()
    assert update.callback_query is not None
    assert update.callback_query.id == query
    assert update.callback_query.data == "rm:" + "9" * 60
    await update.callback_query.answer("expired", show_alert=True)
    assert fake.callback_answer(query) == {"text": "expired", "show_alert": True}


async def test_get_updates_conflict(fake: FakeTelegram, bot: telegram.Bot) -> None:
    status_first: list[int] = []

    async def first() -> None:
        status, _ = await raw_post(fake, "getUpdates", {"timeout": 5})
        status_first.append(status)

    task = asyncio.create_task(first())
    await asyncio.sleep(0.1)
    assert await bot.get_updates(timeout=0) == ()
    await task
    assert status_first == [409]


# ------------------------------------------------------------------ faults


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
async def test_fail_injects_errors(fake: FakeTelegram, bot: telegram.Bot) -> None:
    alice = fake.user("alice")
    fake.fail("sendMessage", times=2, where=lambda p: p["text"] == "boom")
    with pytest.raises(NetworkError, match="Internal Server Error"):
        await bot.send_message(alice.id, "boom")
    await bot.send_message(alice.id, "fine")  # does not match `where`
    with pytest.raises(NetworkError):
        await bot.send_message(alice.id, "boom")
    await bot.send_message(alice.id, "boom")  # times used up
    fake.fail("sendMessage", status=429, retry_after=3)
    with pytest.raises(RetryAfter):
        await bot.send_message(alice.id, "x")
    assert fake.requests[-1].response == {
        "ok": False,
        "error_code": 429,
        "description": "Too Many Requests: retry after 3",
        "parameters": {"retry_after": 3},
    }
    fake.fail("sendMessage", status=403, description="Forbidden: bot was blocked by the user")
    with pytest.raises(Forbidden):
        await bot.send_message(alice.id, "x")
    assert [m["text"] for m in fake.messages(alice)] == ["fine", "boom"]
    assert fake.violations == []


async def test_hang_and_delay(fake: FakeTelegram, bot: telegram.Bot) -> None:
    alice, admin = fake.user("alice"), fake.user("admin")
    release = fake.hang("sendMessage", where=lambda p: p["chat_id"] == admin.id)
    stuck = asyncio.create_task(bot.send_message(admin.id, "notification"))
    call = await fake.wait_for("sendMessage", timeout=2)
    assert call.held
    assert call.response is None
    assert call.params["chat_id"] == admin.id
    await bot.send_message(alice.id, "reply goes out meanwhile")
    assert not stuck.done()
    release.set()
    await stuck
    assert call.ok
    await bot.send_message(admin.id, "not held any more")
    fake.delay("getMe", 0.3)
    started = time.monotonic()
    await bot.get_me()
    assert time.monotonic() - started >= 0.3


async def test_wait_for_and_next_message_cursors(fake: FakeTelegram, bot: telegram.Bot) -> None:
    alice = fake.user("alice")
    await bot.send_message(alice.id, "one")
    await bot.send_message(alice.id, "two")
    assert (await fake.wait_for("sendMessage")).params["text"] == "one"
    assert (await fake.wait_for("sendMessage")).params["text"] == "two"
    assert (await fake.next_message(alice))["text"] == "one"
    assert (await fake.next_message(alice))["text"] == "two"
    with pytest.raises(AssertionError, match="no sendMessage call within"):
        await fake.wait_for("sendMessage", timeout=0.05)
    with pytest.raises(AssertionError, match="sent no new message"):
        await fake.next_message(alice, timeout=0.05)


# ------------------------------------------------------------------ files, commands


async def test_user_photo_and_document_download(fake: FakeTelegram, bot: telegram.Bot) -> None:
    alice = fake.user("alice")
    image = png(1600, 900)
    photo_message = await fake.send_photo(alice, alice, image, caption="amazon-us")
    sizes = photo_message["photo"]
    assert [s["width"] for s in sizes] == sorted(s["width"] for s in sizes)
    assert max(sizes[-1]["width"], sizes[-1]["height"]) <= 1280
    file = await bot.get_file(sizes[-1]["file_id"])
    assert file.file_path is not None
    assert len(await file.download_as_bytearray()) == sizes[-1]["file_size"]
    doc = await fake.send_document(alice, alice, image, file_name="qr.png")
    assert doc["document"]["mime_type"] == "image/png"
    got = await bot.get_file(doc["document"]["file_id"])
    assert bytes(await got.download_as_bytearray()) == image
    with pytest.raises(BadRequest, match="(?i)invalid file_id"):
        await bot.get_file("nope")
    [update, _] = await bot.get_updates()
    assert update.message is not None
    assert update.message.caption == "amazon-us"


async def test_bot_uploads(fake: FakeTelegram, bot: telegram.Bot) -> None:
    alice = fake.user("alice")
    await bot.send_document(
        alice.id,
        b"otpauth://totp/x",
        filename="backup.txt",
        caption="<b>x</b>",
        parse_mode="HTML",
        protect_content=True,
    )
    message = await fake.next_message(alice)
    assert message["document"]["file_name"] == "backup.txt"
    assert message["caption"] == "x"
    assert message["caption_entities"] == [{"type": "bold", "offset": 0, "length": 1}]
    stored = fake.files.get(message["document"]["file_id"])
    assert stored is not None
    assert stored.data == b"otpauth://totp/x"
    await bot.send_photo(alice.id, png(10, 10))
    assert "photo" in await fake.next_message(alice)
    assert fake.violations == []


async def test_set_my_commands_rules(fake: FakeTelegram, bot: telegram.Bot) -> None:
    commands = [BotCommand("code", "Get the current code"), BotCommand("help", "Help")]
    assert await bot.set_my_commands(commands)
    assert await bot.set_my_commands(commands, language_code="zh")
    assert fake.commands(language_code="zh") == [c.to_dict() for c in commands]
    assert [c.command for c in await bot.get_my_commands()] == ["code", "help"]
    with pytest.raises(BadRequest, match="(?i)LANG_CODE_INVALID"):
        await bot.set_my_commands(commands, language_code="zh-hans")
    with pytest.raises(BadRequest, match="(?i)BOT_COMMAND_INVALID"):
        await bot.set_my_commands([BotCommand("Code", "x")])
    with pytest.raises(BadRequest, match="(?i)BOT_COMMAND_DESCRIPTION_INVALID"):
        await bot.set_my_commands([BotCommand("code", "x" * 257)])
    alice = fake.user("alice")
    scope = BotCommandScopeChat(alice.id)
    assert await bot.set_my_commands([BotCommand("secret", "Manage")], scope=scope)
    assert fake.commands(scope.to_dict()) == [{"command": "secret", "description": "Manage"}]
    assert await bot.set_my_description("Team codes", language_code="en")
    assert await bot.set_my_short_description("Codes")
    assert len(fake.violations) == 3


# ------------------------------------------------------------------ playground


def test_playground_parses_lines() -> None:
    assert parse_line("alice: /start") == Say("alice", None, "/start")
    assert parse_line("alice@team: /code amazon") == Say("alice", "team", "/code amazon")
    assert parse_line("alice@team ^bob: /add") == Say("alice", "team", "/add", reply_to="bob")
    assert parse_line("bob: press amazon-us") == Press("bob", None, "amazon-us")
    assert parse_line("bob@team: press Copy") == Press("bob", "team", "Copy")
    assert parse_line("users") == Command("users")
    assert parse_line("lang bob zh") == Command("lang", ("bob", "zh"))
    assert parse_line("exit") == Command("quit")
    assert parse_line("   ") is None
    assert isinstance(parse_line("lang bob"), Invalid)
    assert isinstance(parse_line("hello there"), Invalid)
    assert isinstance(parse_line("alice:"), Invalid)
    assert parse_line("alice: photo qr.png amazon us") == Photo(
        "alice", None, Path("qr.png"), None, "amazon us"
    )
    assert parse_line("alice@team: qr otpauth://x") == Photo("alice", "team", qr_text="otpauth://x")
    assert isinstance(parse_line("alice ^bob: photo a.png"), Invalid)


def test_playground_finds_buttons_by_label() -> None:
    message = {
        "reply_markup": {
            "inline_keyboard": [
                [{"text": "Copy 123456", "copy_text": {"text": "123456"}}],
                [{"text": "amazon-us", "callback_data": "a"}],
            ]
        }
    }
    assert _find_button(message, "AMAZON-US") == {"text": "amazon-us", "callback_data": "a"}
    assert _find_button(message, "Copy") == {"text": "Copy 123456", "copy_text": {"text": "123456"}}
    assert _find_button(message, "nothing") is None


ECHO_BOT = """
import os
from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.ext import ApplicationBuilder, CallbackQueryHandler, MessageHandler, filters

async def echo(update, context):
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("again", callback_data="again")]])
    await update.effective_message.reply_text("echo: " + update.effective_message.text,
                                              reply_markup=markup)

async def again(update, context):
    await update.callback_query.answer("pressed")
    await update.effective_message.delete()

api = os.environ["TEAMOTP_API_URL"]
app = (ApplicationBuilder().token(os.environ["TEAMOTP_BOT_TOKEN"])
       .base_url(api + "/bot").base_file_url(api + "/file/bot").build())
app.add_handler(MessageHandler(filters.TEXT, echo))
app.add_handler(CallbackQueryHandler(again))
app.run_polling()
"""


@pytest.fixture
def echo_bot(tmp_path: Path) -> Path:
    script = tmp_path / "echo_bot.py"
    script.write_text(ECHO_BOT, encoding="utf-8")
    return script


async def test_playground_drives_a_bot_process(tmp_path: Path, echo_bot: Path) -> None:
    out = io.StringIO()
    playground = Playground(
        data_dir=tmp_path / "data", bot_cmd=[sys.executable, str(echo_bot)], out=out
    )
    await playground.start(port=0)
    try:
        fake = playground.fake
        await playground.execute("alice: hello")
        assert (await fake.next_message(playground.owner, timeout=20))["text"] == "echo: hello"
        await playground.execute("bob@team: /ping")
        team = playground.groups["team"]
        assert (await fake.next_message(team))["text"] == "echo: /ping"
        await playground.execute("alice@team: press again")
        await fake.wait_for("deleteMessage")
        await playground.execute("users")
        await playground.execute("nonsense")
    finally:
        await playground.stop()
    text = out.getvalue()
    assert "[alice] bot → echo: hello" in text
    assert "[team] bot → (reply to bob): echo: /ping" in text
    assert "[ again ]" in text
    assert "[popup] pressed" in text
    assert "[team] bot deleted message" in text
    assert "alice        id=1001" in text
    assert "?? expected" in text
    assert playground.process is not None
    assert playground.process.returncode is not None
    assert fake.violations == []


async def test_playground_command_line(tmp_path: Path, echo_bot: Path) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.fake_telegram",
        "--port",
        "0",
        "--data-dir",
        str(tmp_path / "data"),
        "--bot-cmd",
        shlex.join([sys.executable, str(echo_bot)]),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        cwd=REPO_ROOT,
    )
    assert process.stdin is not None
    assert process.stdout is not None
    stdout = process.stdout
    seen: list[str] = []

    async def read_until(fragment: str) -> None:
        while True:
            line = (await asyncio.wait_for(stdout.readline(), 20)).decode()
            assert line, f"playground ended early: {seen}"
            seen.append(line)
            if fragment in line:
                return

    try:
        await read_until("type 'help'")
        process.stdin.write(b"alice: hi there\n")
        await process.stdin.drain()
        await read_until("echo: hi there")
        process.stdin.write(b"quit\n")
        await process.stdin.drain()
        assert await asyncio.wait_for(process.wait(), 20) == 0
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert (tmp_path / "data" / "bot.log").exists()

"""The SMS relay end to end: an admin sets up the team's spare phone with `/sms add`, the
phone's app (SmsForwarder, or anything that posts JSON with a bearer token) posts each SMS
to the running bot over HTTP, and the code in it goes to the one member waiting for it.

The posts here are what SmsForwarder sends: its JSON template or its default form body,
signed with the relay's secret (`ts` in milliseconds, `sign` = base64 of HMAC-SHA256 of
`ts + "\\n" + secret`, URL-encoded).
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import aiohttp
import pytest
from sqlalchemy import MetaData, create_engine, select

from bot.rules.smssign import sign
from tests.e2e.conftest import Bot, bot_messages, free_port, setup_team
from tests.e2e.test_codes import deletion_of, sweep_done
from tests.fake_telegram import FakeUser

SMS_TEXT = "Amazon: Your code is 228438. Don't share it with anyone."
CODE = "228438"
# Words of the SMS that are not its code: none of them may be stored, logged or shown.
SMS_WORDS = ("Don't share it", "Your code is")


@dataclass
class Relay:
    """A relay as `/sms add` showed it: where the phone posts, and the secret it signs with."""

    url: str
    path_id: str
    secret: str


@pytest.fixture
def sms_env() -> dict[str, str]:
    port = free_port()
    return {"TEAMOTP_HTTP_PORT": str(port), "TEAMOTP_HTTP_URL": f"http://127.0.0.1:{port}"}


@pytest.fixture
async def sms_bot(
    start_bot: Callable[..., Any], sms_env: dict[str, str], caplog: pytest.LogCaptureFixture
) -> Bot:
    caplog.set_level(logging.DEBUG)
    started: Bot = await start_bot(sms_env)
    return started


async def add_relay(bot: Bot, name: str = "amazon-us") -> Relay:
    admin = bot.people.admin
    shown = await bot.say(admin, f"/sms add {name}")
    assert shown["protect_content"] is True
    said = shown["text"]
    url = re.search(r"http://127\.0\.0\.1:\d+/sms/([a-z0-9]+)", said)
    secret = re.search(r"Secret: ([a-z0-9]+)", said)
    assert url is not None, said
    assert secret is not None, said
    return Relay(url.group(0), url.group(1), secret.group(1))


def forwarder_json(relay: Relay, now: float, text: str = SMS_TEXT, sender: str = "AMAZON") -> bytes:
    ts = int(now * 1000)
    return json.dumps(
        {
            "from": sender,
            "text": text,
            "ts": str(ts),
            "sign": sign(relay.secret, ts),
            "device": "spare phone",
        }
    ).encode()


async def post(
    url: str, body: bytes, *, content_type: str = "application/json", **headers: str
) -> tuple[int, str]:
    async with (
        aiohttp.ClientSession() as session,
        session.post(url, data=body, headers={"Content-Type": content_type, **headers}) as answer,
    ):
        return answer.status, await answer.text()


def everything_stored(bot: Bot) -> str:
    """Every value of every table, as text: what someone holding the database reads."""
    engine = create_engine(bot.database_url)
    try:
        metadata = MetaData()
        metadata.reflect(engine)
        found = []
        with engine.connect() as connection:
            for table in metadata.sorted_tables:
                for row in connection.execute(select(table)):
                    for value in row:
                        found.append(
                            value.decode("latin-1") if isinstance(value, bytes) else str(value)
                        )
        return "\n".join(found)
    finally:
        engine.dispose()


def said_to(bot: Bot, user: FakeUser) -> list[str]:
    return [m.get("text", "") for m in bot_messages(bot, bot.tg.private(user))]


async def next_reply(bot: Bot, user: FakeUser) -> dict[str, Any]:
    """The next message to `user` that is not a notice of what became of an SMS (an admin
    gets those at any time)."""
    while True:
        message = await bot.tg.next_message(bot.tg.private(user))
        if not message.get("text", "").startswith(NOTICES):
            return message


NOTICES = ("📩 SMS code for", "📩 The SMS code kept", "📩 An SMS", "⚠️")


async def wait_for_sms(bot: Bot, user: FakeUser, name: str = "amazon-us") -> dict[str, Any]:
    said = await bot.say(user, f"/sms wait {name}")
    assert "Waiting for an SMS code" in said["text"], said["text"]
    return said


# --------------------------------------------------------------------------- delivery


async def test_a_signed_post_goes_to_the_waiting_member_alone(sms_bot: Bot) -> None:
    bot = sms_bot
    group = await setup_team(bot)
    relay = await add_relay(bot)
    member, admin = bot.people.member, bot.people.admin
    await wait_for_sms(bot, member)

    status, answer = await post(relay.url, forwarder_json(relay, bot.clock()))

    assert (status, answer.strip()) == (200, "ok")
    code = await bot.tg.next_message(bot.tg.private(member))
    assert CODE in code["text"]
    assert "amazon-us" in code["text"]
    assert code["protect_content"] is True
    told = await bot.tg.next_message(bot.tg.private(admin))
    assert "sent to mia" in told["text"]
    assert CODE not in told["text"]
    await bot.settle()
    for chat in (group, bot.tg.private(admin), bot.tg.private(bot.people.owner)):
        assert all(CODE not in m.get("text", "") for m in bot.tg.messages(chat))


async def test_smsforwarders_default_form_body_is_read_too(sms_bot: Bot) -> None:
    bot = sms_bot
    await setup_team(bot)
    relay = await add_relay(bot)
    await wait_for_sms(bot, bot.people.member)
    ts = int(bot.clock() * 1000)
    body = urlencode(
        {
            "from": "AMAZON",
            "content": f"AMAZON\n{SMS_TEXT}\nSIM1_中国移动_+8613800138000\nSubId：1",
            "timestamp": str(ts),
            "sign": sign(relay.secret, ts),
        }
    ).encode()

    status, _ = await post(relay.url, body, content_type="application/x-www-form-urlencoded")

    assert status == 200
    code = await bot.tg.next_message(bot.tg.private(bot.people.member))
    assert CODE in code["text"]


async def test_a_generic_post_with_the_secret_as_bearer_token_is_relayed(sms_bot: Bot) -> None:
    bot = sms_bot
    await setup_team(bot)
    relay = await add_relay(bot)
    await wait_for_sms(bot, bot.people.member)
    body = json.dumps({"from": "AMAZON", "text": SMS_TEXT, "ts": int(bot.clock() * 1000)})

    status, _ = await post(relay.url, body.encode(), Authorization=f"Bearer {relay.secret}")

    assert status == 200
    code = await bot.tg.next_message(bot.tg.private(bot.people.member))
    assert CODE in code["text"]


@pytest.mark.parametrize(
    ("sms", "code"),
    [
        ("Amazon: Your code is 228438. Don't share it with anyone.", "228438"),
        ("986728 is your Amazon OTP. Do not share it with anyone.", "986728"),
        ("300015は、Amazonのワンタイムパスワードです。他人と共有しないでください。", "300015"),
        ("Amazon: お客様のコードは999999です。このコードを共有しないでください。", "999999"),
    ],
)
async def test_each_shape_amazon_sends_is_relayed(sms_bot: Bot, sms: str, code: str) -> None:
    bot = sms_bot
    await setup_team(bot)
    relay = await add_relay(bot)
    await wait_for_sms(bot, bot.people.member)

    assert (await post(relay.url, forwarder_json(relay, bot.clock(), sms)))[0] == 200

    sent = await bot.tg.next_message(bot.tg.private(bot.people.member))
    assert f"\n{code}\n" in sent["text"]


async def test_the_code_message_is_deleted_when_its_hold_ends(sms_bot: Bot) -> None:
    bot = sms_bot
    await setup_team(bot)
    relay = await add_relay(bot)
    await wait_for_sms(bot, bot.people.member)
    await post(relay.url, forwarder_json(relay, bot.clock()))
    code = await bot.tg.next_message(bot.tg.private(bot.people.member))

    member = bot.people.member
    bot.clock.advance(290)
    await sweep_done(bot)
    assert not bot.tg.is_deleted(member, code["message_id"])

    bot.clock.advance(11)
    await bot.tg.wait_for("deleteMessage", where=deletion_of(member, code))
    assert bot.tg.is_deleted(member, code["message_id"])


# --------------------------------------------------------------------------- holding


async def test_with_nobody_waiting_the_code_is_kept_for_the_first_member_who_asks(
    sms_bot: Bot,
) -> None:
    bot = sms_bot
    await setup_team(bot)
    relay = await add_relay(bot)
    admin, member = bot.people.admin, bot.people.member

    assert (await post(relay.url, forwarder_json(relay, bot.clock())))[0] == 200
    told = await bot.tg.next_message(bot.tg.private(admin))
    assert "nobody was waiting" in told["text"]
    assert CODE not in told["text"]

    bot.clock.advance(60)
    got = await bot.say(member, "/sms wait amazon-us")
    assert CODE in got["text"]
    # Given once: whoever asks next waits for a new one.
    await bot.tg.send(admin, bot.tg.private(admin), "/sms wait amazon-us")
    again = await next_reply(bot, admin)
    assert CODE not in again["text"]
    assert "Waiting" in again["text"]


async def test_a_kept_code_nobody_asks_for_is_dropped_after_five_minutes(sms_bot: Bot) -> None:
    bot = sms_bot
    await setup_team(bot)
    relay = await add_relay(bot)
    admin = bot.people.admin
    await post(relay.url, forwarder_json(relay, bot.clock()))
    await bot.tg.next_message(bot.tg.private(admin))  # kept

    bot.clock.advance(301)
    dropped = await bot.tg.next_message(bot.tg.private(admin))

    assert "dropped" in dropped["text"]
    later = await bot.say(bot.people.member, "/sms wait amazon-us")
    assert CODE not in later["text"]


async def test_a_wait_ends_after_five_minutes_and_the_member_is_told(sms_bot: Bot) -> None:
    bot = sms_bot
    await setup_team(bot)
    relay = await add_relay(bot)
    member = bot.people.member
    await wait_for_sms(bot, member)

    bot.clock.advance(301)
    ended = await bot.tg.next_message(bot.tg.private(member))
    assert "No SMS code came" in ended["text"]

    # The code that comes after the wait is kept, not sent to the one who stopped waiting.
    await post(relay.url, forwarder_json(relay, bot.clock()))
    await bot.settle()
    assert all(CODE not in said for said in said_to(bot, member))


async def test_a_second_member_cannot_wait_while_another_does(sms_bot: Bot) -> None:
    bot = sms_bot
    await setup_team(bot)
    await add_relay(bot)
    await wait_for_sms(bot, bot.people.member)

    refused = await bot.say(bot.people.admin, "/sms wait amazon-us")

    assert "mia is already waiting" in refused["text"]


async def test_the_button_under_a_code_waits_for_the_accounts_sms_code(sms_bot: Bot) -> None:
    bot = sms_bot
    group = await setup_team(bot)
    relay = await add_relay(bot)
    member = bot.people.member
    reply = await bot.say(member, "/code amazon-us", chat=group)
    query = await bot.tg.press(member, reply, text="📩 Waiting for an SMS code")
    await bot.tg.wait_for("answerCallbackQuery")
    answer = bot.tg.callback_answer(query)
    assert answer is not None
    assert "private" in answer["text"]

    await post(relay.url, forwarder_json(relay, bot.clock()))

    code = await bot.tg.next_message(bot.tg.private(member))
    assert CODE in code["text"]
    await bot.settle()
    assert all(CODE not in m.get("text", "") for m in bot.tg.messages(group))


async def test_a_member_revoked_while_waiting_gets_nothing(sms_bot: Bot) -> None:
    bot = sms_bot
    await setup_team(bot)
    relay = await add_relay(bot)
    member, admin = bot.people.member, bot.people.admin
    await wait_for_sms(bot, member)
    await bot.say(admin, f"/revoke {member.id}")

    await post(relay.url, forwarder_json(relay, bot.clock()))
    await bot.settle()

    assert all(CODE not in said for said in said_to(bot, member))


async def test_a_stranger_cannot_wait_for_an_sms_code(sms_bot: Bot) -> None:
    bot = sms_bot
    await setup_team(bot)
    relay = await add_relay(bot)
    stranger = bot.people.stranger

    refused = await bot.say(stranger, "/sms wait amazon-us")
    assert "not a member" in refused["text"]
    await post(relay.url, forwarder_json(relay, bot.clock()))
    await bot.settle()

    assert all(CODE not in said for said in said_to(bot, stranger))


# --------------------------------------------------------------------------- refusals


async def test_a_replayed_post_delivers_nothing_again(sms_bot: Bot) -> None:
    bot = sms_bot
    await setup_team(bot)
    relay = await add_relay(bot)
    member = bot.people.member
    await wait_for_sms(bot, member)
    body = forwarder_json(relay, bot.clock())
    assert (await post(relay.url, body))[0] == 200
    await bot.tg.next_message(bot.tg.private(member))  # the code
    await wait_for_sms(bot, member)

    # The same body again (the phone retrying): answered as before, nothing done.
    assert (await post(relay.url, body))[0] == 200
    # Its signature under another SMS: refused.
    forged = json.loads(body)
    forged["text"] = "Amazon: Your code is 111111. Don't share it with anyone."
    assert (await post(relay.url, json.dumps(forged).encode()))[0] == 403
    await bot.settle()

    assert all("111111" not in said for said in said_to(bot, member))
    assert sum(CODE in said for said in said_to(bot, member)) == 1


async def test_the_same_sms_forwarded_twice_is_relayed_once(sms_bot: Bot) -> None:
    bot = sms_bot
    await setup_team(bot)
    relay = await add_relay(bot)
    member = bot.people.member
    await wait_for_sms(bot, member)
    assert (await post(relay.url, forwarder_json(relay, bot.clock())))[0] == 200
    await bot.tg.next_message(bot.tg.private(member))
    await wait_for_sms(bot, member)

    bot.clock.advance(5)  # a new signature, the same SMS
    assert (await post(relay.url, forwarder_json(relay, bot.clock())))[0] == 200
    await bot.settle()

    assert sum(CODE in said for said in said_to(bot, member)) == 1


@pytest.mark.parametrize(
    "spoil",
    ["stale", "unsigned", "wrong sign", "wrong bearer", "other relay's secret", "unknown relay"],
)
async def test_a_post_without_the_right_credentials_is_refused_and_delivers_nothing(
    sms_bot: Bot, spoil: str
) -> None:
    bot = sms_bot
    await setup_team(bot)
    relay = await add_relay(bot)
    member = bot.people.member
    await wait_for_sms(bot, member)
    url, headers = relay.url, {}
    data = json.loads(forwarder_json(relay, bot.clock()))
    if spoil == "stale":
        data = json.loads(forwarder_json(relay, bot.clock() - 301))
    elif spoil == "unsigned":
        del data["sign"]
    elif spoil == "wrong sign":
        data["sign"] = sign("not the secret", int(data["ts"]))
    elif spoil == "wrong bearer":
        del data["sign"]
        headers["Authorization"] = "Bearer not-the-secret"
    elif spoil == "other relay's secret":
        data["sign"] = sign(relay.secret[::-1], int(data["ts"]))
    else:
        url = relay.url.replace(relay.path_id, "x" * len(relay.path_id))

    status, answer = await post(url, json.dumps(data).encode(), **headers)

    assert status == 403
    assert answer.strip() == "Forbidden"  # nothing about why
    await bot.settle()
    assert all(CODE not in said for said in said_to(bot, member))


async def test_refused_posts_are_told_to_admins_once_not_each(sms_bot: Bot) -> None:
    bot = sms_bot
    await setup_team(bot)
    relay = await add_relay(bot)
    for _ in range(5):
        data = json.loads(forwarder_json(relay, bot.clock()))
        data["sign"] = sign("guess", int(data["ts"]))
        assert (await post(relay.url, json.dumps(data).encode()))[0] == 403
    await bot.settle()

    told = [t for t in said_to(bot, bot.people.admin) if "were refused" in t]
    assert len(told) == 1


async def test_a_flood_of_refused_posts_is_cut_off_but_the_phone_still_gets_through(
    sms_bot: Bot,
) -> None:
    bot = sms_bot
    await setup_team(bot)
    relay = await add_relay(bot)
    statuses = []
    for _ in range(35):
        data = json.loads(forwarder_json(relay, bot.clock()))
        data["sign"] = sign("guess", int(data["ts"]))
        statuses.append((await post(relay.url, json.dumps(data).encode()))[0])
    assert statuses[:30] == [403] * 30
    assert set(statuses[30:]) == {429}

    bot.clock.advance(61)
    await wait_for_sms(bot, bot.people.member)
    assert (await post(relay.url, forwarder_json(relay, bot.clock())))[0] == 200
    code = await bot.tg.next_message(bot.tg.private(bot.people.member))
    assert CODE in code["text"]


async def test_a_body_larger_than_any_sms_is_refused_unread(sms_bot: Bot) -> None:
    bot = sms_bot
    await setup_team(bot)
    relay = await add_relay(bot)

    status, _ = await post(relay.url, b"{" + b" " * 10_000 + b"}")

    assert status == 413


async def test_a_two_number_sms_is_not_guessed(sms_bot: Bot) -> None:
    bot = sms_bot
    await setup_team(bot)
    relay = await add_relay(bot)
    member = bot.people.member
    await wait_for_sms(bot, member)
    sms = "Your code is 123456. Or use code 654321 instead."

    assert (await post(relay.url, forwarder_json(relay, bot.clock(), sms)))[0] == 200

    told = await bot.tg.next_message(bot.tg.private(bot.people.admin))
    assert "more than one number" in told["text"]
    await bot.settle()
    assert all("123456" not in s and "654321" not in s for s in said_to(bot, member))


async def test_an_sms_with_no_code_tells_admins_without_its_text(sms_bot: Bot) -> None:
    bot = sms_bot
    await setup_team(bot)
    relay = await add_relay(bot)
    sms = "Your parcel is out for delivery today."

    assert (await post(relay.url, forwarder_json(relay, bot.clock(), sms)))[0] == 200

    told = await bot.tg.next_message(bot.tg.private(bot.people.admin))
    assert "with no code in it" in told["text"]
    assert "parcel" not in told["text"]


async def test_a_code_for_an_account_change_is_relayed_only_once_an_admin_opts_in(
    sms_bot: Bot,
) -> None:
    bot = sms_bot
    await setup_team(bot)
    relay = await add_relay(bot)
    member, admin = bot.people.member, bot.people.admin
    sms = (
        "Amazon: Someone is trying to change your account's security settings. "
        "Your code is 445566. If this wasn't you, deny here."
    )
    await wait_for_sms(bot, member)
    assert (await post(relay.url, forwarder_json(relay, bot.clock(), sms)))[0] == 200
    told = await bot.tg.next_message(bot.tg.private(admin))
    assert "approves a change" in told["text"]
    assert "445566" not in told["text"]

    await bot.say(admin, "/sms changes amazon-us on")
    bot.clock.advance(10)
    sms = sms.replace("445566", "445577")
    assert (await post(relay.url, forwarder_json(relay, bot.clock(), sms)))[0] == 200
    sent = await bot.tg.next_message(bot.tg.private(member))
    assert "445577" in sent["text"]
    assert "change to the account" in sent["text"]


# --------------------------------------------------------------------------- secrecy


async def test_no_sms_text_in_the_store_the_logs_or_any_message(
    sms_bot: Bot, caplog: pytest.LogCaptureFixture
) -> None:
    bot = sms_bot
    group = await setup_team(bot)
    relay = await add_relay(bot)
    await wait_for_sms(bot, bot.people.member)
    await post(relay.url, forwarder_json(relay, bot.clock()))
    await bot.tg.next_message(bot.tg.private(bot.people.member))
    await post(relay.url, forwarder_json(relay, bot.clock() + 1, "Your code is 11 or 22 parcel"))
    await post(relay.url, forwarder_json(relay, bot.clock() + 2, "A note with no code: parcel"))
    await bot.settle()

    # What the bot logged as `teamotp run` logs it: SQLAlchemy kept at WARNING there.
    logged = "\n".join(
        f"{r.getMessage()} {r.args!r}"
        for r in caplog.records
        if not r.name.startswith("sqlalchemy")
    )
    stored = everything_stored(bot)
    chats = [group, *(bot.tg.private(p) for p in vars(bot.people).values())]
    shown = "\n".join(m.get("text", "") for chat in chats for m in bot.tg.messages(chat))
    for words in (*SMS_WORDS, "parcel", relay.secret):
        assert words not in stored
        assert words not in logged
        assert words not in shown.replace(relay.secret, "") or words == relay.secret
    assert CODE not in stored  # the delivered code is not kept either
    assert relay.path_id not in logged


async def test_the_relays_secret_is_shown_once_in_a_private_chat_only(sms_bot: Bot) -> None:
    bot = sms_bot
    group = await setup_team(bot)
    admin = bot.people.admin

    in_group = await bot.say(admin, "/sms add amazon-us", chat=group)
    assert "private chat" in in_group["text"]
    relay = await add_relay(bot)
    listed = await bot.say(admin, "/sms list")

    assert "amazon-us" in listed["text"]
    assert relay.secret not in listed["text"]
    assert relay.path_id not in listed["text"]


async def test_a_rotated_relay_refuses_the_old_secret(sms_bot: Bot) -> None:
    bot = sms_bot
    await setup_team(bot)
    old = await add_relay(bot)
    rotated = await bot.say(bot.people.admin, "/sms rotate amazon-us")
    new_url = re.search(r"http://127\.0\.0\.1:\d+/sms/([a-z0-9]+)", rotated["text"])
    new_secret = re.search(r"Secret: ([a-z0-9]+)", rotated["text"])
    assert new_url is not None
    assert new_secret is not None
    new = Relay(new_url.group(0), new_url.group(1), new_secret.group(1))
    await wait_for_sms(bot, bot.people.member)

    assert (await post(old.url, forwarder_json(old, bot.clock())))[0] == 403
    assert (await post(new.url, forwarder_json(new, bot.clock())))[0] == 200
    code = await bot.tg.next_message(bot.tg.private(bot.people.member))
    assert CODE in code["text"]


async def test_a_removed_relay_refuses_every_post(sms_bot: Bot) -> None:
    bot = sms_bot
    await setup_team(bot)
    relay = await add_relay(bot)
    removed = await bot.say(bot.people.admin, "/sms remove amazon-us")
    assert "removed" in removed["text"]

    assert (await post(relay.url, forwarder_json(relay, bot.clock())))[0] == 403


async def test_the_setup_steps_are_in_chinese_for_a_chinese_admin(
    start_bot: Callable[..., Any], sms_env: dict[str, str]
) -> None:
    bot = await start_bot(sms_env)
    await setup_team(bot)
    admin = bot.people.admin
    admin.language_code = "zh-hans"

    shown = await bot.say(admin, "/sms add amazon-us")

    assert "短信转发器" in shown["text"]
    assert "发送通道" in shown["text"]
    assert "/sms/" in shown["text"]
    assert "[org_content]" in shown["text"]


# --------------------------------------------------------------------------- webhook mode


async def test_in_webhook_mode_the_phone_posts_to_the_webhooks_own_server(
    start_bot: Callable[..., Any], webhook_env: dict[str, str]
) -> None:
    bot = await start_bot(webhook_env)
    await setup_team(bot)
    shown = await bot.say(bot.people.admin, "/sms add amazon-us")
    path = re.search(r"/sms/([a-z0-9]+)", shown["text"])
    secret = re.search(r"Secret: ([a-z0-9]+)", shown["text"])
    assert path is not None
    assert secret is not None
    assert shown["text"].count(f"http://127.0.0.1:{webhook_env['TEAMOTP_LISTEN_PORT']}/sms/") == 1
    relay = Relay(bot.listen_url + path.group(0), path.group(1), secret.group(1))
    await wait_for_sms(bot, bot.people.member)

    assert (await post(relay.url, forwarder_json(relay, bot.clock())))[0] == 200

    code = await bot.tg.next_message(bot.tg.private(bot.people.member))
    assert CODE in code["text"]


async def test_a_relay_set_up_before_the_server_takes_posts_says_what_the_operator_does(
    bot: Bot,
) -> None:
    await setup_team(bot)

    shown = await bot.say(bot.people.admin, "/sms add amazon-us")

    assert "TEAMOTP_HTTP_PORT" in shown["text"]
    assert "https://YOUR-SERVER/sms/" in shown["text"]


async def test_a_kept_code_for_someone_the_bot_cannot_write_to_yet_stays_kept(
    sms_bot: Bot,
) -> None:
    bot = sms_bot
    group = await setup_team(bot)
    relay = await add_relay(bot)
    nina = bot.tg.user("nina", started=False)
    await bot.tg.send(bot.people.admin, bot.tg.private(bot.people.admin), f"/add {nina.id}")
    await next_reply(bot, bot.people.admin)
    await post(relay.url, forwarder_json(relay, bot.clock()))

    told = await bot.say(nina, "/sms wait amazon-us", chat=group)
    assert "press Start" in told["text"]
    assert CODE not in told["text"]

    nina.started = True
    got = await bot.say(nina, "/sms wait amazon-us")
    assert CODE in got["text"]

"""The team: /add in every form, /revoke, /promote, /demote, /members (PRODUCT.md roles)."""

from __future__ import annotations

import asyncio
from typing import Any

import pyotp

from bot.rules.model import OPERATOR, Target
from teamotp.config import load_settings
from teamotp.wiring import open_configured_store, rules_on
from tests.e2e.conftest import OTHER_SECRET, SECRET, Bot, ask, setup_team
from tests.fake_telegram import FakeUser


async def add_second_account(bot: Bot) -> None:
    """The admin adds `ebay` next to setup_team's `amazon-us`."""
    admin = bot.people.admin
    chat = bot.tg.private(admin)
    await bot.tg.send(admin, chat, f"/secret add ebay {OTHER_SECRET}")
    assert "ebay" in (await bot.tg.next_message(chat))["text"]  # "added"
    await bot.tg.next_message(chat)  # its code


def amazon_code(bot: Bot) -> str:
    return pyotp.TOTP(SECRET).at(bot.clock.now)


def ebay_code(bot: Bot) -> str:
    return pyotp.TOTP(OTHER_SECRET).at(bot.clock.now)


def not_a_member(reply: dict[str, Any], user: FakeUser) -> bool:
    return "not a member" in reply["text"] and str(user.id) in reply["text"]


# ----------------------------------------------------------------------------- /add


async def test_add_by_replying_to_a_group_message_whitelists_its_author(bot: Bot) -> None:
    group = await setup_team(bot)
    nina = bot.tg.user("Nina")
    # Privacy mode: the bot never receives this message, only the reply to it.
    said = await bot.tg.send(nina, group, "hi, I need the amazon code")
    added = await ask(bot, bot.people.admin, "/add", chat=group, reply_to=said)
    assert "Nina is a member, with all accounts" in added["text"]

    reply = await ask(bot, nina, "/code", chat=group)
    assert amazon_code(bot) in reply["text"]


async def test_add_by_user_id_lets_that_user_get_codes(bot: Bot) -> None:
    await setup_team(bot)
    sam = bot.people.stranger
    assert not_a_member(await ask(bot, sam, "/code"), sam)

    added = await ask(bot, bot.people.admin, f"/add {sam.id}")
    assert "is a member, with all accounts" in added["text"]
    assert amazon_code(bot) in (await ask(bot, sam, "/code"))["text"]


async def test_add_by_username_of_a_user_the_bot_has_seen(bot: Bot) -> None:
    await setup_team(bot)
    nina = bot.tg.user("Nina", username="nina_k")
    await ask(bot, nina, "/start")  # now the bot knows @nina_k

    added = await ask(bot, bot.people.admin, "/add @Nina_K")  # usernames ignore case
    assert "Nina is a member" in added["text"]
    assert amazon_code(bot) in (await ask(bot, nina, "/code"))["text"]


async def test_add_by_username_the_bot_has_not_seen_is_refused(bot: Bot) -> None:
    await setup_team(bot)
    refused = await ask(bot, bot.people.admin, "/add @ghost_user")
    assert "I have not seen @ghost_user" in refused["text"]
    assert "numeric id" in refused["text"]

    listing = await ask(bot, bot.people.admin, "/members")
    assert "ghost" not in listing["text"]
    assert "Members</b>" not in listing["text"]  # HTML was rendered, not shown
    assert "Members (3)" in listing["text"]  # owner, admin, member: nothing added


async def test_add_by_text_mention_of_a_user_without_username(bot: Bot) -> None:
    await setup_team(bot)
    await add_second_account(bot)
    lu = bot.tg.user("Lu", last_name="Wei", username="")
    assert lu.username is None
    text = "/add Lu Wei ebay"
    entities = [
        {"type": "bot_command", "offset": 0, "length": 4},
        {"type": "text_mention", "offset": 5, "length": 6, "user": lu.to_dict()},
    ]
    admin_chat = bot.tg.private(bot.people.admin)
    await bot.tg.send(bot.people.admin, admin_chat, text, entities=entities)
    added = await bot.tg.next_message(admin_chat)
    # The mentioned name is not taken for account names; what follows it is.
    assert "Lu Wei is a member, with ebay." in added["text"]

    reply = await ask(bot, lu, "/code")
    assert ebay_code(bot) in reply["text"]
    assert amazon_code(bot) not in reply["text"]


async def test_text_mention_is_cut_out_by_its_offsets(bot: Bot) -> None:
    """Offsets count UTF-16 code units (the emoji is two), and the mentioned name is cut
    out where the entity says, even when the same letters occur earlier (in "/add")."""
    await setup_team(bot)
    await add_second_account(bot)
    admin_chat = bot.tg.private(bot.people.admin)
    fox = bot.tg.user("🦊", last_name="Fox", username="")
    ad = bot.tg.user("ad", username="")
    cases = [
        (fox, "/add 🦊 Fox ebay", 5, 6, "✅ 🦊 Fox is a member, with ebay."),
        (ad, "/add ad ebay", 5, 2, "✅ ad is a member, with ebay."),
    ]
    for user, text, offset, length, expected in cases:
        entities = [
            {"type": "bot_command", "offset": 0, "length": 4},
            {"type": "text_mention", "offset": offset, "length": length, "user": user.to_dict()},
        ]
        await bot.tg.send(bot.people.admin, admin_chat, text, entities=entities)
        assert (await bot.tg.next_message(admin_chat))["text"] == expected


async def test_add_with_an_impossible_user_id_explains_the_forms(bot: Bot) -> None:
    await setup_team(bot)
    for command in ("/add 99999999999999999999999", "/revoke 123456789012345678901234567890"):
        reply = await ask(bot, bot.people.admin, command)
        assert reply["text"].startswith("Who? Reply to their message"), command
    assert "Members (3)" in (await ask(bot, bot.people.admin, "/members"))["text"]


async def test_add_with_account_names_limits_what_the_member_sees(bot: Bot) -> None:
    await setup_team(bot)
    await add_second_account(bot)
    sam = bot.people.stranger
    added = await ask(bot, bot.people.admin, f"/add {sam.id} amazon-us")
    assert "with amazon-us." in added["text"]

    # One account granted: /code answers with it directly, no picker.
    reply = await ask(bot, sam, "/code")
    assert amazon_code(bot) in reply["text"]
    assert "ebay" not in reply["text"]
    refused = await ask(bot, sam, "/code ebay")
    assert "no account named “ebay”" in refused["text"]
    assert ebay_code(bot) not in refused["text"]
    listed = await ask(bot, sam, "/accounts")
    assert "amazon-us" in listed["text"]
    assert "ebay" not in listed["text"]

    # Another /add with a name adds to the grant.
    widened = await ask(bot, bot.people.admin, f"/add {sam.id} EBAY")
    assert "with amazon-us, ebay." in widened["text"]
    picker = await ask(bot, sam, "/code")
    labels = [row[0]["text"] for row in picker["reply_markup"]["inline_keyboard"]]
    assert labels == ["amazon-us", "ebay"]


async def test_add_with_an_unknown_account_name_is_refused_and_stores_nothing(bot: Bot) -> None:
    await setup_team(bot)
    sam = bot.people.stranger
    refused = await ask(bot, bot.people.admin, f"/add {sam.id} amazon-us amazon-jp")
    assert "No account named amazon-jp" in refused["text"]
    assert "/secret list" in refused["text"]
    assert not_a_member(await ask(bot, sam, "/code"), sam)


async def test_add_without_anyone_to_add_explains_the_forms(bot: Bot) -> None:
    await setup_team(bot)
    usage = await ask(bot, bot.people.admin, "/add")
    assert "Reply to their message with /add" in usage["text"]
    assert "/add @username" in usage["text"]
    usage = await ask(bot, bot.people.admin, "/add someone")
    assert "/add USER_ID" in usage["text"]


async def test_add_by_replying_to_the_bots_own_message_is_refused(bot: Bot) -> None:
    group = await setup_team(bot)
    announcement = bot.tg.messages(group)[-1]
    assert announcement["from"]["id"] == bot.tg.bot.id
    refused = await ask(bot, bot.people.admin, "/add", chat=group, reply_to=announcement)
    assert "That is a bot" in refused["text"]


async def test_adding_an_admin_as_member_is_refused(bot: Bot) -> None:
    await setup_team(bot)
    refused = await ask(bot, bot.people.admin, f"/add {bot.people.owner.id} amazon-us")
    assert "already an admin or owner" in refused["text"]


# -------------------------------------------------------------------------- /revoke


async def test_revoked_member_is_refused_on_the_next_request(bot: Bot) -> None:
    group = await setup_team(bot)
    mia = bot.people.member
    assert amazon_code(bot) in (await ask(bot, mia, "/code", chat=group))["text"]

    revoked = await ask(bot, bot.people.admin, f"/revoke {mia.id}")
    assert "mia is no longer a member" in revoked["text"]
    assert not_a_member(await ask(bot, mia, "/code", chat=group), mia)
    assert not_a_member(await ask(bot, mia, "/code"), mia)


async def test_revoked_member_cannot_use_an_old_picker_button(bot: Bot) -> None:
    await setup_team(bot)
    await add_second_account(bot)
    mia = bot.people.member
    picker = await ask(bot, mia, "/code")
    assert picker["text"] == "Which account?"
    await ask(bot, bot.people.admin, f"/revoke {mia.id}")

    query = await bot.tg.press(mia, picker, text="amazon-us")
    await bot.tg.wait_for("answerCallbackQuery")
    answer = bot.tg.callback_answer(query)
    assert answer is not None
    assert "not a member" in answer["text"]
    await bot.settle()
    shown = " ".join(m.get("text", "") for m in bot.tg.messages(mia))
    assert amazon_code(bot) not in shown


async def test_revoke_by_reply_in_the_group(bot: Bot) -> None:
    group = await setup_team(bot)
    mia = bot.people.member
    asked = await bot.tg.send(mia, group, "/code")
    await bot.tg.next_message(group)  # her code
    revoked = await ask(bot, bot.people.admin, "/revoke", chat=group, reply_to=asked)
    assert "mia is no longer a member" in revoked["text"]
    assert not_a_member(await ask(bot, mia, "/code", chat=group), mia)


async def test_revoke_with_account_names_takes_only_those(bot: Bot) -> None:
    await setup_team(bot)
    await add_second_account(bot)
    mia = bot.people.member  # setup_team gave her all accounts
    narrowed = await ask(bot, bot.people.admin, f"/revoke {mia.id} ebay")
    assert narrowed["text"].endswith(" now has amazon-us.")

    refused = await ask(bot, mia, "/code ebay")
    assert "no account named “ebay”" in refused["text"]
    assert amazon_code(bot) in (await ask(bot, mia, "/code"))["text"]

    # Accounts added later are not granted to her any more: the grant is a list now.
    nothing = await ask(bot, bot.people.admin, f"/revoke {mia.id} amazon-us")
    assert nothing["text"].endswith(" now has no accounts.")
    assert "no accounts yet" in (await ask(bot, mia, "/code"))["text"]


async def test_revoke_with_an_unknown_account_name_changes_nothing(bot: Bot) -> None:
    await setup_team(bot)
    mia = bot.people.member
    refused = await ask(bot, bot.people.admin, f"/revoke {mia.id} amazon-us nope")
    assert "No account named nope" in refused["text"]
    assert amazon_code(bot) in (await ask(bot, mia, "/code"))["text"]


async def test_revoking_an_admin_needs_an_owner(bot: Bot) -> None:
    await setup_team(bot)
    p = bot.people
    adele = bot.tg.user("Adele")
    await ask(bot, p.owner, f"/promote {adele.id}")

    refused = await ask(bot, p.admin, f"/revoke {adele.id}")
    assert "only an owner can revoke an admin" in refused["text"]
    assert amazon_code(bot) in (await ask(bot, adele, "/code"))["text"]

    revoked = await ask(bot, p.owner, f"/revoke {adele.id}")
    assert "no longer a member" in revoked["text"]
    assert not_a_member(await ask(bot, adele, "/code"), adele)
    assert not_a_member(await ask(bot, adele, "/members"), adele)


async def test_owners_cannot_be_revoked(bot: Bot) -> None:
    await setup_team(bot)
    p = bot.people
    for actor in (p.admin, p.owner):
        refused = await ask(bot, actor, f"/revoke {p.owner.id}")
        assert "is an owner" in refused["text"]
    assert "Members (3)" in (await ask(bot, p.owner, "/members"))["text"]


async def test_revoking_someone_who_is_not_a_member_says_so(bot: Bot) -> None:
    await setup_team(bot)
    refused = await ask(bot, bot.people.admin, f"/revoke {bot.people.stranger.id}")
    assert "is not a member" in refused["text"]


# ---------------------------------------------------------------- /promote /demote


async def test_promote_and_demote_are_for_owners_only(bot: Bot) -> None:
    await setup_team(bot)
    p = bot.people
    refused = await ask(bot, p.admin, f"/promote {p.member.id}")
    assert refused["text"] == "Only owners may do that."
    refused = await ask(bot, p.admin, f"/demote {p.admin.id}")
    assert refused["text"] == "Only owners may do that."
    # The member did not become an admin.
    assert (await ask(bot, p.member, f"/add {p.stranger.id}"))["text"] == "Only admins may do that."


async def test_promoted_member_can_add_and_demoted_admin_no_longer_can(bot: Bot) -> None:
    await setup_team(bot)
    p = bot.people
    await ask(bot, p.member, "/start")
    promoted = await ask(bot, p.owner, f"/promote {p.member.id}")
    assert "mia is now an admin" in promoted["text"]
    added = await ask(bot, p.member, f"/add {p.stranger.id}")
    assert "is a member" in added["text"]
    assert amazon_code(bot) in (await ask(bot, p.stranger, "/code"))["text"]

    demoted = await ask(bot, p.owner, f"/demote {p.member.id}")
    assert "mia is a member again" in demoted["text"]
    assert (await ask(bot, p.member, f"/revoke {p.stranger.id}"))["text"] == (
        "Only admins may do that."
    )
    # Still a member: codes keep working.
    assert amazon_code(bot) in (await ask(bot, p.member, "/code"))["text"]


async def test_promote_by_reply_in_a_group(bot: Bot) -> None:
    group = await setup_team(bot)
    p = bot.people
    asked = await bot.tg.send(p.member, group, "/code")
    await bot.tg.next_message(group)
    promoted = await ask(bot, p.owner, "/promote", chat=group, reply_to=asked)
    assert "mia is now an admin" in promoted["text"]
    assert "Members (3)" in (await ask(bot, p.member, "/members"))["text"]


async def test_demoting_an_owner_or_a_non_admin_is_refused(bot: Bot) -> None:
    await setup_team(bot)
    p = bot.people
    assert "is an owner, not an admin" in (await ask(bot, p.owner, f"/demote {p.owner.id}"))["text"]
    assert "is not an admin" in (await ask(bot, p.owner, f"/demote {p.member.id}"))["text"]
    assert "already an admin" in (await ask(bot, p.owner, f"/promote {p.admin.id}"))["text"]


# ------------------------------------------------------------------------- /members


async def test_members_lists_role_id_username_and_grants(bot: Bot) -> None:
    await setup_team(bot)
    await add_second_account(bot)
    p = bot.people
    nina = bot.tg.user("Nina", username="")
    await ask(bot, nina, "/start")
    await ask(bot, p.member, "/start")
    await ask(bot, p.admin, f"/add {nina.id} ebay")

    listing = (await ask(bot, p.admin, "/members"))["text"]
    lines = listing.splitlines()
    assert lines[0] == "Members (4):"
    assert lines[1] == f"• olga Owner @olga — owner, {p.owner.id} — all accounts"
    assert lines[2] == f"• adam @adam — admin, {p.admin.id} — all accounts"
    assert f"• mia @mia — member, {p.member.id} — all accounts" in lines
    assert f"• Nina — member, {nina.id} — ebay" in lines


async def test_members_in_a_group_is_refused_as_private_only(bot: Bot) -> None:
    group = await setup_team(bot)
    refused = await ask(bot, bot.people.admin, "/members", chat=group)
    assert refused["text"] == "That works only in a private chat with me."


async def test_what_the_server_did_is_the_servers_in_audit(bot: Bot) -> None:
    """`teamotp members add` on the server is done by no Telegram user: /audit names the
    server, in each reader's language, never a user id 0."""
    await setup_team(bot)
    p = bot.people
    await ask(bot, p.stranger, "/start")  # the bot has seen sam
    settings = load_settings(bot.extra_env, env_file=None)

    def from_the_server() -> None:
        store = open_configured_store(settings)
        try:
            rules_on(settings, store, bot.clock).roster.add(
                OPERATOR, Target(user_id=p.stranger.id), []
            )
        finally:
            store.close()

    await asyncio.to_thread(from_the_server)
    english = (await ask(bot, p.owner, "/audit 2"))["text"]
    assert "the server added @sam (all accounts)" in english
    assert " 0 added" not in english
    wang = bot.tg.user("Wang", language_code="zh-hans")
    await ask(bot, p.owner, f"/promote {wang.id}")
    chinese = (await ask(bot, wang, "/audit 5"))["text"]
    assert "服务器 添加成员 @sam（全部账号）" in chinese


# -------------------------------------------------------------------------- rule 8


async def test_member_changes_are_written_to_the_audit_log(bot: Bot) -> None:
    await setup_team(bot)
    p = bot.people
    await ask(bot, p.stranger, "/start")
    await ask(bot, p.admin, f"/add {p.stranger.id}")
    await ask(bot, p.admin, f"/revoke {p.stranger.id}")
    # The owner is told of the revoke (what sam saw of the seeds) before they go on.
    assert "Access ended" in (await bot.tg.next_message(bot.tg.private(p.owner)))["text"]
    await ask(bot, p.owner, f"/demote {p.admin.id}")
    await ask(bot, p.member, f"/add {p.stranger.id}")  # refused: also recorded

    log = (await ask(bot, p.owner, "/audit 10"))["text"]
    assert "@adam added @sam (all accounts)" in log
    assert "@adam removed @sam" in log
    assert "@olga made @adam an admin" in log
    assert "@olga made @adam a member again" in log
    assert "@mia used /add — refused: role too low" in log

"""/policy NAME: an account's approval, delivery and plain-/add policy, shown and set by
admins; `members listed` keeps an account out of a plain /add."""

from __future__ import annotations

import pyotp

from tests.e2e.conftest import OTHER_SECRET, SECRET, Bot, ask, setup_team


async def add_ebay(bot: Bot) -> None:
    admin, tg = bot.people.admin, bot.tg
    await tg.send(admin, tg.private(admin), f"/secret add ebay {OTHER_SECRET}")
    await tg.next_message(tg.private(admin))
    await tg.next_message(tg.private(admin))


async def test_policy_shows_the_defaults_of_an_account(bot: Bot) -> None:
    await setup_team(bot)
    shown = await ask(bot, bot.people.admin, "/policy amazon-us")
    assert "Approval: none (codes are given at once)" in shown["text"]
    assert "Delivery: where it was asked for" in shown["text"]
    assert "Plain /add: includes this account" in shown["text"]


async def test_policy_sets_each_setting_and_audits_it(bot: Bot) -> None:
    await setup_team(bot)
    admin = bot.people.admin
    shown = await ask(bot, admin, "/policy Amazon-US approval ADMIN")
    assert "Approval: an admin approves each code request" in shown["text"]
    shown = await ask(bot, admin, "/policy amazon-us delivery private")
    assert "always in the requester's private chat" in shown["text"]
    assert "an admin approves" in shown["text"]  # the other settings stay
    shown = await ask(bot, admin, "/policy amazon-us members listed")
    assert "leaves it out" in shown["text"]
    audit = await ask(bot, admin, "/audit 3 admin")
    assert "set members of amazon-us to listed" in audit["text"]
    assert "set delivery of amazon-us to private" in audit["text"]


async def test_accounts_marks_those_that_need_approval(bot: Bot) -> None:
    await setup_team(bot)
    await add_ebay(bot)
    await ask(bot, bot.people.admin, "/policy ebay approval admin")
    listing = await ask(bot, bot.people.member, "/accounts")
    assert "ebay — needs an admin's approval" in listing["text"]
    assert "amazon-us —" not in listing["text"]


async def test_bad_policy_commands_change_nothing(bot: Bot) -> None:
    await setup_team(bot)
    admin = bot.people.admin
    assert "Usage" in (await ask(bot, admin, "/policy"))["text"]
    assert "Usage" in (await ask(bot, admin, "/policy amazon-us approval"))["text"]
    assert "Usage" in (await ask(bot, admin, "/policy amazon-us colour red"))["text"]
    bad = await ask(bot, admin, "/policy amazon-us approval admin.")
    assert "approval can be: none | admin" in bad["text"]
    missing = await ask(bot, admin, "/policy nosuch approval admin")
    assert "nosuch" in missing["text"]
    shown = await ask(bot, admin, "/policy amazon-us")
    assert "Approval: none" in shown["text"]


async def test_members_and_groups_cannot_use_policy(bot: Bot) -> None:
    group = await setup_team(bot)
    assert "Only admins" in (await ask(bot, bot.people.member, "/policy amazon-us"))["text"]
    in_group = await ask(bot, bot.people.admin, "/policy amazon-us", chat=group)
    assert "private chat" in in_group["text"]


async def test_a_listed_account_is_left_out_of_a_plain_add(bot: Bot) -> None:
    p, tg = bot.people, bot.tg
    await setup_team(bot)
    await add_ebay(bot)
    await ask(bot, p.admin, "/policy ebay members listed")
    nina = tg.user("nina")
    added = await ask(bot, p.admin, f"/add {nina.id}")
    assert "with all accounts" in added["text"]
    listing = await ask(bot, nina, "/accounts")
    assert "amazon-us" in listing["text"]
    assert "ebay" not in listing["text"]
    refused = await ask(bot, nina, "/code ebay")
    assert pyotp.TOTP(OTHER_SECRET).at(bot.clock.now) not in refused["text"]

    # Named, it is granted on top of the plain /add, and a plain /add again keeps it.
    added = await ask(bot, p.admin, f"/add {nina.id} ebay")
    assert "all accounts, and ebay" in added["text"]
    await ask(bot, p.admin, f"/add {nina.id}")
    got = await ask(bot, nina, "/code ebay")
    assert pyotp.TOTP(OTHER_SECRET).at(bot.clock.now) in got["text"]
    members = await ask(bot, p.admin, "/members")
    assert "all accounts, and ebay" in members["text"]


async def test_revoking_one_account_from_an_all_accounts_member_keeps_the_rest(bot: Bot) -> None:
    p = bot.people
    await setup_team(bot)
    await add_ebay(bot)
    await ask(bot, p.admin, "/policy ebay members listed")
    await ask(bot, p.admin, f"/add {p.member.id} ebay")
    narrowed = await ask(bot, p.admin, f"/revoke {p.member.id} amazon-us")
    assert "ebay" in narrowed["text"]
    assert (
        pyotp.TOTP(SECRET).at(bot.clock.now)
        not in (await ask(bot, p.member, "/code amazon-us"))["text"]
    )
    got = await ask(bot, p.member, "/code ebay")
    assert pyotp.TOTP(OTHER_SECRET).at(bot.clock.now) in got["text"]


async def test_a_chinese_admin_reads_policy_changes_in_chinese_words(bot: Bot) -> None:
    """The setting and the value are kept as typed (the audit chain hashes them), and named
    in the reader's words when the log is read."""
    await setup_team(bot)
    wang = bot.tg.user("Wang", language_code="zh-hans")
    await ask(bot, bot.people.owner, f"/promote {wang.id}")
    await ask(bot, wang, "/policy amazon-us approval admin")
    await ask(bot, wang, "/policy amazon-us delivery private")
    await ask(bot, wang, "/policy amazon-us members listed")
    audit = (await ask(bot, wang, "/audit 3 admin"))["text"]
    assert "将 amazon-us 的审批设为“需管理员批准”" in audit
    assert "将 amazon-us 的发送方式设为“总是私聊发给请求人”" in audit
    assert "将 amazon-us 的 /add 规则设为“不包含此账号”" in audit
    for raw in ("approval", "delivery", "members", "admin", "private", "listed"):
        assert raw not in audit
    english = (await ask(bot, bot.people.admin, "/audit 4 admin"))["text"]
    assert "set approval of amazon-us to admin" in english

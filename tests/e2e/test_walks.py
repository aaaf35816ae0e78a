"""How much work one update costs the store: a `/code` is one transaction for its
decision, plus one to remember when to delete the reply, and nothing for the user
directory when nobody's profile changed."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from tests.e2e.conftest import Bot, ask, setup_team
from tests.e2e.watch import Transaction, TransactionLog

# No sweeps during these tests: each look at the due list is a transaction of its own.
QUIET = 3600.0


def is_choice_look(transaction: Transaction) -> bool:
    """The directory's look at someone's /lang choice: the users table alone, read."""
    return transaction.touches("users") and all(
        s.startswith("SELECT") and " users" in s for s in transaction.statements
    )


async def test_code_request_makes_one_transaction_for_its_decision(
    start_bot: Callable[..., Any],
) -> None:
    bot: Bot = await start_bot(sweep_interval=QUIET)
    group = await setup_team(bot)
    member = bot.people.member
    await ask(bot, member, "/code")  # the directory has seen them now
    await bot.settle()
    log = TransactionLog()
    log.watch(bot.store)
    scheduled = log.expect("scheduled_deletions")

    log.recording = True
    reply = await ask(bot, member, "/code", chat=group)
    # The handler's last step, after the reply was sent: remembering to delete it.
    assert await asyncio.to_thread(scheduled.wait, 5)
    await asyncio.sleep(0.2)  # room for anything else the update would (wrongly) do
    log.recording = False

    assert "amazon-us" in reply["text"]
    decisions = [t for t in log.transactions if t.writes("audit_events")]
    assert len(decisions) == 1
    deletions = [t for t in log.transactions if t.writes("scheduled_deletions")]
    assert len(deletions) == 1
    # Where replicas share the store, first of all the update's id is recorded (each
    # update is handled once, by one replica), and nothing else with it.
    taken = [t for t in log.transactions if t.writes("processed_updates")]
    assert len(taken) == (1 if bot.store.shared else 0)
    assert not any(t.writes("audit_events") | t.writes("scheduled_deletions") for t in taken)
    # There, too, any message may answer a question another replica asked: one look for
    # it, without the store's lock, writing nothing. (One process knows whom it asked.)
    looks = [t for t in log.transactions if t.touches("pending_inputs")]
    assert len(looks) == (1 if bot.store.shared else 0)
    assert not any(t.locks() or t.writes("pending_inputs") for t in looks)
    # And one look at the language they chose with /lang, which another replica may have
    # taken: one row, no lock, no write. (One process remembers what it was told.)
    choices = [t for t in log.transactions if is_choice_look(t)]
    assert len(choices) == (1 if bot.store.shared else 0)
    assert not any(t.locks() or t.writes("users") for t in choices)
    # Then the gate's look at who is asking (strangers get only a few answers), which
    # writes nothing for a member.
    screening = [
        t
        for t in log.transactions
        if not (
            t.writes("audit_events")
            or t.writes("scheduled_deletions")
            or t.writes("processed_updates")
            or t.writes("outbox")
            or t.touches("pending_inputs")
            or is_choice_look(t)
        )
    ]
    # The admins' notices are stored until sent, apart from the decision and touching
    # nothing else.
    notices = [t for t in log.transactions if t.writes("outbox")]
    assert notices
    assert not any(t.writes("audit_events") | t.writes("scheduled_deletions") for t in notices)
    assert len(screening) == 1, [[s[:60] for s in t.statements] for t in screening]
    assert not any(s.startswith(("INSERT", "UPDATE", "DELETE")) for s in screening[0].statements)
    assert all(t.thread != "MainThread" for t in log.transactions)


async def test_user_directory_is_written_only_when_someone_changed(bot: Bot) -> None:
    await setup_team(bot)
    member = bot.people.member
    await ask(bot, member, "/accounts")
    log = TransactionLog()
    log.watch(bot.store)
    log.recording = True

    bot.clock.advance(60)
    await ask(bot, member, "/accounts")
    assert not any(t.writes("users") for t in log.transactions)
    # A shared store is looked at for the language chosen through another replica; one
    # process's own store is not.
    assert sum(is_choice_look(t) for t in log.transactions) == (1 if bot.store.shared else 0)

    member.username = "mia_new"
    await ask(bot, member, "/accounts")
    assert sum(t.writes("users") for t in log.transactions) == 1
    known = await ask(bot, bot.people.admin, "/members")
    assert "@mia_new" in known["text"]

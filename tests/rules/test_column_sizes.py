"""What the bot accepts fits the columns it keeps it in: PostgreSQL enforces their lengths
(SQLite does not), so each longest case is stored and read back on both. The longest text
is written in characters that are more than one byte, and more than one UTF-16 unit, so
no column is sized in bytes by mistake."""

from __future__ import annotations

import base64

from bot.messages import CATALOG
from bot.rules.auditlog import DENIED, MAX_PARAM_CHARS, record
from bot.rules.holds import MAX_REASON, Held
from bot.rules.model import Person, Place, Target
from bot.rules.names import MAX_NAME_LENGTH, name_key
from bot.rules.otp import MAX_NAME_CHARS
from bot.rules.pending import ReasonAsked
from bot.rules.roster import MAX_ACCOUNT_NAMES
from bot.rules.services import Services
from storage.store import Store
from tests.rules.team import ADMIN, MEMBER, OTHER_SECRET, PRIVATE

# Telegram's own limits: a first and a last name of 64 characters each, a group title of
# 128. An astral character is two UTF-16 units, which Telegram may count as two: the
# longest names it could send are at most these.
TELEGRAM_NAME = "𝓐" * 64
TELEGRAM_TITLE = "群" * 128
LONGEST_ID = -(2**63)  # the most digits a chat or message id of 64 bits can have


def test_the_longest_name_that_folds_longest_is_kept(team: Services) -> None:
    """`ΐ` is a letter (names may be any script) that case-folds to three characters."""
    name = "ΐ" * MAX_NAME_LENGTH
    assert len(name_key(name)) == 3 * MAX_NAME_LENGTH
    team.vault.add(ADMIN, name, OTHER_SECRET)
    assert [a.name for a in team.vault.list(ADMIN)][-1] == name
    assert team.codes.request(ADMIN, PRIVATE, name)
    renamed = "ΰ" * MAX_NAME_LENGTH
    assert team.vault.rename(ADMIN, name, renamed).name == renamed


def test_the_longest_issuer_and_label_a_link_may_carry_are_kept(team: Services) -> None:
    """Typed as they are, not %-escaped: escaped, they would pass the longest message the
    bot reads a link from."""
    issuer, label = "店" * MAX_NAME_CHARS, "号" * MAX_NAME_CHARS
    link = f"otpauth://totp/{issuer}:{label}?secret={OTHER_SECRET}"
    team.vault.add(ADMIN, "shop", link)
    [shop] = [a for a in team.vault.list(ADMIN) if a.name == "shop"]
    assert shop.issuer == issuer


def test_the_longest_names_and_language_telegram_gives_are_kept(
    team: Services, store: Store
) -> None:
    person = Person(900, TELEGRAM_NAME, TELEGRAM_NAME, "a" * 32, "zh-hans-cn-x-tw")
    team.directory.seen(person)
    team.roster.add(ADMIN, Target(user_id=person.id), [])
    [view] = [m for m in team.roster.members(ADMIN) if m.user_id == person.id]
    assert view.name == f"{TELEGRAM_NAME} {TELEGRAM_NAME}"
    with store.transaction() as tx:
        known = tx.users.get(person.id)
        assert known is not None
        assert (known.username, known.language_code) == ("a" * 32, "zh-hans-cn-x-tw")


def test_names_and_titles_longer_than_telegram_allows_are_cut_not_refused(
    team: Services, store: Store
) -> None:
    """Should Telegram's limits ever grow, the person is still answered; their name is
    shown shorter."""
    person = Person(901, "名" * 300, "姓" * 300, None, "x" * 40)
    team.directory.seen(person)
    group = Place(-100_901, private=False, title="群" * 600)
    assert team.groups.approve(ADMIN, group)
    with store.transaction() as tx:
        known, chat = tx.users.get(person.id), tx.chats.get(group.chat_id)
        assert known is not None
        assert chat is not None
        assert (known.first_name, known.last_name) == ("名" * 128, "姓" * 128)
        assert known.language_code == "x" * 16
        assert chat.title == "群" * 256


def test_a_held_request_from_the_longest_names_in_the_longest_group_is_kept(
    team: Services,
) -> None:
    requester = Person(902, TELEGRAM_NAME, TELEGRAM_NAME, "b" * 32, "zh-hans")
    decider = Person(ADMIN.id, TELEGRAM_NAME, TELEGRAM_NAME, "adam")
    team.directory.seen(requester)
    team.roster.add(ADMIN, Target(user_id=requester.id), [])
    team.policies.set(ADMIN, "amazon-us", "approval", "admin")
    group = Place(LONGEST_ID, private=False, title=TELEGRAM_TITLE)
    assert team.groups.approve(ADMIN, group)
    reason = "因" * MAX_REASON
    held = team.codes.request(requester, group, ("amazon-us", reason))
    assert isinstance(held, Held), held
    assert held.request.reason == reason
    decision = team.approvals.decide(decider, held.request.id, approve=True)
    assert decision is not None


def test_a_reason_asked_in_a_group_with_the_longest_ids_is_kept(team: Services) -> None:
    asked = ReasonAsked(account_id=2**31 - 1, chat_id=LONGEST_ID, message_id=2**63 - 1)
    team.questions.expect_reason(MEMBER.id, asked)
    question = team.questions.take(MEMBER.id, reply_to=(LONGEST_ID, 2**63 - 1))
    assert question is not None
    assert ReasonAsked.of(question) == asked


def test_a_revoke_of_the_most_accounts_one_command_may_name_is_recorded_whole(
    team: Services, store: Store
) -> None:
    names = [f"{i:02d}" + "账" * (MAX_NAME_LENGTH - 2) for i in range(MAX_ACCOUNT_NAMES)]
    for i, name in enumerate(names):
        team.vault.add(ADMIN, name, base64.b32encode(bytes([i + 1]) * 20).decode())
    team.roster.add(ADMIN, Target(user_id=MEMBER.id), names)
    team.roster.revoke(ADMIN, Target(user_id=MEMBER.id), names)
    with store.transaction() as tx:
        [revoke] = [e for e in tx.audit.latest(5) if e.action == "member.revoke"]
        assert (revoke.params or {})["accounts"] == ", ".join(names)


def test_an_audit_row_keeps_a_bounded_part_of_longer_text_and_the_chain_holds(
    team: Services, store: Store
) -> None:
    with store.transaction() as tx:
        record(
            tx,
            0.0,
            actor_id=ADMIN.id,
            action="code",
            account="长" * 500,
            params={"why": "因" * 5000},
        )
    with store.transaction() as tx:
        [row] = tx.audit.latest(1)
        assert row.account == "长" * (MAX_NAME_LENGTH - 1) + "…"
        assert (row.params or {})["why"] == "因" * (MAX_PARAM_CHARS - 1) + "…"
        assert tx.audit.verify().broken_at is None


# The kinds of error a code request or a code link can be refused with.
REFUSALS = ("access.", "account.", "approval.", "code.", "deliver.", "limits.", "secret.")


def test_every_refusal_the_audit_log_may_record_fits_its_outcome() -> None:
    """A refused request is recorded as `denied:` and the last part of its error's key
    (see `Codes` and `Deliveries`): every such key of the catalog fits the column."""
    keys = [key for key in CATALOG if key.startswith(REFUSALS)]
    assert len(keys) > 50
    assert [key for key in keys if len(DENIED + key.split(".", 1)[-1]) > 32] == []

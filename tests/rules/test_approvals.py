"""Approval per account in the rules: who is held and when a reason is needed, how `/code`
reads a reason, the one decision that takes effect (also with two stores on one database
racing), expiry, re-checks at approval, and "Approve for 1 h"."""

from __future__ import annotations

import threading
from pathlib import Path

import pyotp
import pytest

from bot.rules.errors import ChatNotApproved, InvalidInput, NotAllowed, NotAMember
from bot.rules.freeze import Locked
from bot.rules.holds import (
    REQUEST_LIFETIME,
    STANDING_SECONDS,
    AdminMessage,
    Held,
    Origin,
    ReasonNeeded,
    Status,
)
from bot.rules.model import CodeRequestNotice, GrantedCode, Person, Picker, Place, Target
from bot.rules.pending import ReasonAsked, Waiting
from bot.rules.services import Services, build_services
from storage.store import Store
from tests.conftest import OWNER_ID, Clock, Notices, open_test_store
from tests.rules.team import ADMIN, GROUP, MEMBER, OTHER_SECRET, OWNER, PRIVATE, SECRET, STRANGER

REASON = "weekly sales report"


@pytest.fixture
def held_team(team: Services) -> Services:
    """amazon-us needs approval; the member may use every account."""
    team.roster.add(ADMIN, Target(user_id=MEMBER.id), [])
    team.policies.set(ADMIN, "amazon-us", "approval", "admin")
    return team


def hold(services: Services, words: tuple[str, ...] = ("amazon-us", *REASON.split())) -> Held:
    result = services.codes.request(MEMBER, PRIVATE, words)
    assert isinstance(result, Held), result
    return result


def audit_rows(store: Store) -> list[tuple[str, str, dict[str, str | int]]]:
    with store.transaction() as tx:
        return [(e.action, e.outcome, e.params or {}) for e in reversed(tx.audit.latest(100))]


def code_now(clock: Clock) -> str:
    return pyotp.TOTP(SECRET).at(clock.now)


# ------------------------------------------------------------ who is held, reading /code


def test_a_members_request_with_no_reason_asks_for_one_and_holds_nothing(
    held_team: Services, store: Store
) -> None:
    result = held_team.codes.request(MEMBER, PRIVATE, ("amazon-us",))
    assert isinstance(result, ReasonNeeded)
    assert result.account.name == "amazon-us"
    with store.transaction() as tx:
        assert tx.code_requests.get(1) is None
    assert not any(action.startswith("code") for action, _, _ in audit_rows(store))


def test_the_first_word_names_the_account_and_the_rest_is_the_reason(
    held_team: Services, store: Store, clock: Clock
) -> None:
    held = hold(held_team, ("Amazon-US", "weekly", "sales", "report"))
    request = held.request
    assert request.reason == REASON
    assert request.account.name == "amazon-us"
    assert request.requester.id == MEMBER.id
    assert request.status is Status.PENDING
    assert request.expires_at.timestamp() == clock.now + REQUEST_LIFETIME
    # Every admin and owner with notifications on is asked.
    assert {r.chat_id for r in held.admins} == {OWNER.id, ADMIN.id}
    assert ("code.held", "held", {"reason": REASON, "request": request.id}) in audit_rows(store)


def test_an_admin_with_notifications_off_is_not_asked(held_team: Services) -> None:
    held_team.roster.set_notify(OWNER, False)
    assert {r.chat_id for r in hold(held_team).admins} == {ADMIN.id}


def test_words_after_the_name_of_an_account_without_approval_are_ignored(
    team: Services, clock: Clock
) -> None:
    team.roster.add(ADMIN, Target(user_id=MEMBER.id), [])
    granted = team.codes.request(MEMBER, PRIVATE, ("amazon-us", "please"))
    assert isinstance(granted, GrantedCode)
    assert granted.issued.code.value == code_now(clock)


def test_words_that_name_no_account_are_read_as_one_name_as_before(held_team: Services) -> None:
    with pytest.raises(InvalidInput) as refused:
        held_team.codes.request(MEMBER, PRIVATE, ("ebay", "please"))
    assert refused.value.key == "code.not_a_name"  # "ebay please" is no name: not quoted


def test_a_seed_pasted_after_a_name_is_kept_nowhere(held_team: Services, store: Store) -> None:
    held_team.vault.add(ADMIN, "jbsw", OTHER_SECRET)
    held_team.policies.set(ADMIN, "jbsw", "approval", "admin")
    for words in (("JBSW", "Y3DP", "EHPK", "3PXP"), ("amazon-us", SECRET)):
        with pytest.raises(InvalidInput) as refused:
            held_team.codes.request(MEMBER, PRIVATE, words)
        assert refused.value.key == "code.secret_in_request"
    rows = audit_rows(store)
    assert not any(action == "code.held" for action, _, _ in rows)
    assert all("Y3DP" not in str(params) and SECRET not in str(params) for *_, params in rows)


def test_admins_and_owners_decide_approvals_so_theirs_are_not_held(
    held_team: Services, clock: Clock
) -> None:
    for who in (ADMIN, OWNER):
        granted = held_team.codes.request(who, Place(who.id, private=True), ("amazon-us",))
        assert isinstance(granted, GrantedCode)
        assert granted.issued.code.value == code_now(clock)


def test_a_stranger_is_not_a_member_and_nothing_is_held(held_team: Services, store: Store) -> None:
    with pytest.raises(NotAMember):
        held_team.codes.request(STRANGER, Place(STRANGER.id, private=True), ("amazon-us", "hi"))
    assert not any(action == "code.held" for action, _, _ in audit_rows(store))


def test_a_locked_bot_refuses_a_members_request_instead_of_holding_it(
    held_team: Services, store: Store
) -> None:
    held_team.freeze.lock(ADMIN, PRIVATE)
    with pytest.raises(Locked):
        held_team.codes.request(MEMBER, PRIVATE, ("amazon-us", "urgent"))
    assert not any(action == "code.held" for action, _, _ in audit_rows(store))


def test_a_picker_press_for_an_approval_account_asks_for_a_reason(held_team: Services) -> None:
    held_team.vault.add(ADMIN, "ebay", OTHER_SECRET)
    picker = held_team.codes.request(MEMBER, PRIVATE, ())
    assert isinstance(picker, Picker)
    amazon = next(a for a in picker.accounts if a.name == "amazon-us")
    assert isinstance(held_team.codes.request_by_id(MEMBER, PRIVATE, amazon.id), ReasonNeeded)
    held = held_team.codes.request_by_id(MEMBER, PRIVATE, amazon.id, reason=REASON)
    assert isinstance(held, Held)


@pytest.mark.parametrize(
    ("reason", "key"),
    [
        ("   ", "approval.reason_empty"),
        ("x" * 201, "approval.reason_too_long"),
        (f"need it {OTHER_SECRET}", "approval.reason_secret"),
        ("need it JBSW Y3DP EHPK 3PXP", "approval.reason_secret"),
    ],
)
def test_a_reason_is_one_line_of_at_most_200_characters_and_no_secret(
    held_team: Services, store: Store, reason: str, key: str
) -> None:
    account_id = held_team.codes.accounts_for(MEMBER)[0].id
    with pytest.raises(InvalidInput) as refused:
        held_team.codes.request_by_id(MEMBER, PRIVATE, account_id, reason=reason)
    assert refused.value.key == key
    if key == "approval.reason_too_long":
        assert refused.value.params == {"limit": 200, "length": 201}
    assert not any(action == "code.held" for action, _, _ in audit_rows(store))


def test_a_reason_over_several_lines_is_kept_as_one(held_team: Services) -> None:
    account_id = held_team.codes.accounts_for(MEMBER)[0].id
    held = held_team.codes.request_by_id(
        MEMBER, PRIVATE, account_id, reason="weekly\n  sales\treport "
    )
    assert isinstance(held, Held)
    assert held.request.reason == REASON


def test_asking_again_while_a_request_waits_asks_the_admins_no_second_time(
    held_team: Services, store: Store, clock: Clock
) -> None:
    first = hold(held_team).request
    with pytest.raises(InvalidInput) as again:
        held_team.codes.request(MEMBER, PRIVATE, ("amazon-us", "still", "waiting"))
    assert again.value.key == "approval.already_waiting"
    assert [a for a, _, _ in audit_rows(store)].count("code.held") == 1
    held_team.approvals.decide(ADMIN, first.id, approve=False)
    clock.advance(61)
    assert hold(held_team).request.id != first.id  # decided: a new request may be made


# ------------------------------------------------------------------- deciding


def test_approval_hands_out_the_code_current_at_the_decision(
    held_team: Services, store: Store, clock: Clock
) -> None:
    origin = Origin(GROUP.chat_id, private=False, thread_id=7, reply_to=42)
    held_team.groups.approve(ADMIN, GROUP)
    held = held_team.codes.request(MEMBER, GROUP, ("amazon-us", "login"), origin=origin)
    assert isinstance(held, Held)
    clock.advance(90)  # three windows later
    decision = held_team.approvals.decide(ADMIN, held.request.id, approve=True)
    assert decision.won
    assert decision.granted is not None
    assert decision.granted.issued.code.value == code_now(clock)
    assert decision.request.status is Status.APPROVED
    assert decision.request.decided_by == "Adam"
    assert decision.request.origin == origin  # where the code goes, as asked
    assert ("code.approved", "ok", {"request": held.request.id}) in audit_rows(store)


def test_the_second_decision_takes_no_effect_and_says_who_decided(
    held_team: Services, store: Store
) -> None:
    request_id = hold(held_team).request.id
    first = held_team.approvals.decide(OWNER, request_id, approve=False)
    second = held_team.approvals.decide(ADMIN, request_id, approve=True)
    assert first.won
    assert first.granted is None
    assert not second.won
    assert second.granted is None
    assert second.request.status is Status.DENIED
    assert second.request.decided_by == "Olga"
    decisions = [a for a, _, _ in audit_rows(store) if a in ("code.approved", "code.denied")]
    assert decisions == ["code.denied"]


def race(sides: list[Services], request_id: int) -> list[tuple[bool, bool]]:
    """Approve on the first side and deny on the second, released at the same moment:
    (won, approve) of each."""
    start = threading.Barrier(len(sides))
    outcomes: list[tuple[bool, bool]] = []

    def press(services: Services, approve: bool) -> None:
        start.wait()
        decision = services.approvals.decide(ADMIN, request_id, approve=approve)
        outcomes.append((decision.won, approve))

    threads = [
        threading.Thread(target=press, args=(side, approve))
        for side, approve in zip(sides, (True, False), strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return outcomes


def test_two_stores_on_one_database_racing_to_decide_let_exactly_one_win(
    held_team: Services, store: Store, tmp_path: Path, database_url: str, clock: Clock
) -> None:
    """Two processes (each its own store, its own lock) press at the same moment: the
    conditional update lets exactly one decision take effect, whatever the interleaving."""
    others = [open_test_store(tmp_path, database_url) for _ in range(2)]
    try:
        sides = [
            build_services(
                other, Notices(), owner_ids=frozenset({OWNER_ID}), audit_chat_id=None, clock=clock
            )
            for other in others
        ]
        for _ in range(5):
            request_id = hold(held_team).request.id
            clock.advance(61)  # past the member's codes-per-minute
            outcomes = race(sides, request_id)
            assert sorted(won for won, _ in outcomes) == [False, True]
            winner_approved = next(approve for won, approve in outcomes if won)
            with store.transaction() as tx:
                row = tx.code_requests.get(request_id)
                assert row is not None
                assert row.status == ("approved" if winner_approved else "denied")
    finally:
        for other in others:
            other.close()


def test_only_admins_decide(held_team: Services) -> None:
    request_id = hold(held_team).request.id
    with pytest.raises(NotAllowed):
        held_team.approvals.decide(MEMBER, request_id, approve=True)
    with pytest.raises(NotAMember):
        held_team.approvals.decide(STRANGER, request_id, approve=True)
    assert held_team.approvals.decide(ADMIN, request_id, approve=True).won


def test_a_request_past_its_deadline_cannot_be_approved_and_expires_once(
    held_team: Services, store: Store, clock: Clock, notices: Notices
) -> None:
    request_id = hold(held_team).request.id
    clock.advance(REQUEST_LIFETIME)
    late = held_team.approvals.decide(ADMIN, request_id, approve=True)
    assert not late.won
    assert late.granted is None
    assert late.request.status is Status.PENDING  # until the sweep expires it
    (expired,) = held_team.approvals.expire_due()
    assert expired.request.id == request_id
    assert expired.request.status is Status.EXPIRED
    assert held_team.approvals.expire_due() == []
    assert not held_team.approvals.decide(OWNER, request_id, approve=False).won
    expiries = [a for a, _, _ in audit_rows(store) if a == "code.expired"]
    assert expiries == ["code.expired"]


def test_a_request_before_its_deadline_does_not_expire(held_team: Services, clock: Clock) -> None:
    hold(held_team)
    clock.advance(REQUEST_LIFETIME - 1)
    assert held_team.approvals.expire_due() == []


@pytest.mark.parametrize("change", ["revoked", "locked", "group_unapproved", "grant_narrowed"])
def test_an_approval_checks_the_requester_again(
    held_team: Services, store: Store, change: str
) -> None:
    held_team.groups.approve(ADMIN, GROUP)
    held_team.vault.add(ADMIN, "ebay", OTHER_SECRET)
    result = held_team.codes.request(MEMBER, GROUP, ("amazon-us", "login"))
    assert isinstance(result, Held)
    if change == "revoked":
        held_team.roster.revoke(ADMIN, Target(user_id=MEMBER.id), [])
    elif change == "locked":
        held_team.freeze.lock(ADMIN, PRIVATE)
    elif change == "group_unapproved":
        held_team.groups.unapprove(ADMIN, GROUP)
    else:
        held_team.roster.revoke(ADMIN, Target(user_id=MEMBER.id), ["amazon-us"])
    decision = held_team.approvals.decide(OWNER, result.request.id, approve=True)
    assert decision.won
    assert decision.granted is None
    expected = {
        "revoked": (NotAMember, "not_member"),
        "locked": (Locked, "locked"),
        "group_unapproved": (ChatNotApproved, "chat_not_approved"),
        "grant_narrowed": (InvalidInput, "button_not_yours"),
    }[change]
    assert isinstance(decision.refusal, expected[0])
    assert decision.refused_for == expected[1]
    assert ("code.approved", f"denied:{expected[1]}") in [(a, o) for a, o, _ in audit_rows(store)]


def test_approve_for_an_hour_grants_that_persons_requests_until_then(
    held_team: Services, store: Store, clock: Clock
) -> None:
    request_id = hold(held_team).request.id
    decision = held_team.approvals.decide(
        ADMIN, request_id, approve=True, for_seconds=STANDING_SECONDS
    )
    assert decision.request.approved_for == STANDING_SECONDS
    clock.advance(STANDING_SECONDS - 60)
    again = held_team.codes.request(MEMBER, PRIVATE, ("amazon-us",))
    assert isinstance(again, GrantedCode)
    assert again.issued.code.value == code_now(clock)
    code_rows = [(o, p) for a, o, p in audit_rows(store) if a == "code"]
    assert code_rows[-1][0] == "granted"
    assert "approved_until" in code_rows[-1][1]
    clock.advance(61)
    assert isinstance(held_team.codes.request(MEMBER, PRIVATE, ("amazon-us",)), ReasonNeeded)


def test_a_standing_approval_is_for_one_person_and_one_account(held_team: Services) -> None:
    held_team.vault.add(ADMIN, "ebay", OTHER_SECRET)
    held_team.policies.set(ADMIN, "ebay", "approval", "admin")
    nina = Person(301, "Nina")
    held_team.roster.add(ADMIN, Target(user_id=nina.id), [])
    request_id = hold(held_team).request.id
    held_team.approvals.decide(ADMIN, request_id, approve=True, for_seconds=STANDING_SECONDS)
    assert isinstance(held_team.codes.request(MEMBER, PRIVATE, ("ebay",)), ReasonNeeded)
    nina_private = Place(nina.id, private=True)
    assert isinstance(held_team.codes.request(nina, nina_private, ("amazon-us",)), ReasonNeeded)


def test_a_denial_is_audited_and_told_to_the_audit_chat(store: Store, clock: Clock) -> None:
    notices = Notices()
    services = build_services(
        store, notices, owner_ids=frozenset({OWNER_ID}), audit_chat_id=-999, clock=clock
    )
    for someone in (OWNER, ADMIN, MEMBER):
        services.directory.seen(someone)
    services.roster.promote(OWNER, Target(user_id=ADMIN.id))
    services.vault.add(ADMIN, "amazon-us", SECRET)
    services.roster.add(ADMIN, Target(user_id=MEMBER.id), [])
    services.policies.set(ADMIN, "amazon-us", "approval", "admin")
    request_id = hold(services).request.id
    notices.published.clear()
    services.approvals.decide(ADMIN, request_id, approve=False)
    (told,) = notices.published
    assert isinstance(told, CodeRequestNotice)
    assert told.outcome == "denied:refused_by_admin"
    assert [r.chat_id for r in told.recipients] == [-999]
    assert ("code.denied", "ok", {"request": request_id}) in audit_rows(store)


def test_a_request_whose_account_was_removed_is_gone(held_team: Services) -> None:
    held = hold(held_team)
    held_team.vault.remove(ADMIN, held.request.account.id)
    with pytest.raises(InvalidInput) as gone:
        held_team.approvals.decide(ADMIN, held.request.id, approve=True)
    assert gone.value.key == "approval.gone"
    assert held_team.approvals.asked(held.request.id, [AdminMessage(ADMIN.id, 5)]) is None


def test_messages_kept_after_a_decision_are_answered_with_it(held_team: Services) -> None:
    request_id = hold(held_team).request.id
    assert held_team.approvals.asked(request_id, [AdminMessage(OWNER.id, 10, "en")]) is None
    held_team.approvals.decide(OWNER, request_id, approve=True)
    decided = held_team.approvals.asked(request_id, [AdminMessage(ADMIN.id, 11)])
    assert decided is not None
    assert decided.status is Status.APPROVED
    decision = held_team.approvals.decide(ADMIN, request_id, approve=False)
    assert decision.messages == (AdminMessage(OWNER.id, 10, "en"), AdminMessage(ADMIN.id, 11))


# ------------------------------------------------------------ the reason question


def test_a_reason_asked_in_a_group_is_answered_only_by_a_reply_to_that_question(
    team: Services,
) -> None:
    questions = team.questions
    questions.expect_reason(MEMBER.id, ReasonAsked(7, GROUP.chat_id, 55))
    assert questions.take(MEMBER.id) is None  # a plain private message
    assert questions.take(MEMBER.id, reply_to=(GROUP.chat_id, 54)) is None
    assert questions.take(MEMBER.id, reply_to=(-1, 55)) is None
    taken = questions.take(MEMBER.id, reply_to=(GROUP.chat_id, 55))
    assert taken is not None
    assert taken.waiting is Waiting.REASON
    assert ReasonAsked.of(taken) == ReasonAsked(7, GROUP.chat_id, 55)
    assert questions.current(MEMBER.id) is None


def test_a_reason_asked_in_private_is_answered_by_the_next_private_message(
    team: Services,
) -> None:
    questions = team.questions
    questions.expect_reason(MEMBER.id, ReasonAsked(7, MEMBER.id))
    assert questions.take(MEMBER.id, reply_to=(GROUP.chat_id, 55)) is None
    taken = questions.take(MEMBER.id)
    assert taken is not None
    assert ReasonAsked.of(taken) == ReasonAsked(7, MEMBER.id, None)

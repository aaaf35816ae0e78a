"""The SMS relay's rules without Telegram or HTTP: who may set one up and wait for a code,
what a post from the phone becomes, and what is kept of it (keyed digests, never text)."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import text

from bot.rules.errors import InvalidInput, NotAllowed, NotAMember
from bot.rules.freeze import Locked
from bot.rules.model import SmsEvent, SmsNotice, Target
from bot.rules.relays import HOLD_FOR, WAIT_FOR, Given, NewRelay, Status, Waiting
from bot.rules.services import Services
from bot.rules.smsposts import read_post
from bot.rules.smssign import sign
from storage.store import Store
from tests.conftest import Clock, Notices
from tests.rules.team import ADMIN, MEMBER, PRIVATE, STRANGER

SMS = "Amazon: Your code is 228438. Don't share it with anyone."


@pytest.fixture
def relayed(team: Services) -> tuple[Services, NewRelay]:
    team.roster.add(ADMIN, Target(user_id=MEMBER.id), [])
    return team, team.relays.add(ADMIN, "amazon-us")


def body(relay: NewRelay, clock: Clock, sms: str = SMS) -> bytes:
    ts = int(clock() * 1000)
    return json.dumps(
        {"from": "AMAZON", "text": sms, "ts": str(ts), "sign": sign(relay.secret, ts)}
    ).encode()


def receive(services: Services, relay: NewRelay, raw: bytes) -> Status:
    return services.relays.receive(
        relay.path_id, read_post("application/json", raw, None), raw
    ).status


def events(notices: Notices) -> list[SmsEvent]:
    return [n.event for n in notices.published if isinstance(n, SmsNotice)]


def test_only_admins_set_up_a_relay(team: Services) -> None:
    team.roster.add(ADMIN, Target(user_id=MEMBER.id), [])
    with pytest.raises(NotAllowed):
        team.relays.add(MEMBER, "amazon-us")
    with pytest.raises(NotAMember):
        team.relays.add(STRANGER, "amazon-us")


def test_a_relay_for_an_account_that_has_one_is_refused(relayed: tuple[Services, NewRelay]) -> None:
    services, _ = relayed
    with pytest.raises(InvalidInput) as refused:
        services.relays.add(ADMIN, "amazon-us")
    assert refused.value.key == "sms.exists"


def test_a_new_relays_id_and_secret_are_long_random_and_its_repr_hides_the_secret(
    relayed: tuple[Services, NewRelay],
) -> None:
    _, relay = relayed
    assert len(relay.path_id) == 20
    assert len(relay.secret) == 40
    assert relay.secret not in repr(relay)


def test_the_secret_is_stored_sealed(relayed: tuple[Services, NewRelay], store: Store) -> None:
    _, relay = relayed
    with store.engine.connect() as connection:
        rows = connection.execute(text("SELECT secret_sealed FROM sms_relays")).all()
    assert len(rows) == 1
    assert relay.secret.encode() not in bytes(rows[0][0])


def test_the_waiting_member_gets_the_code_and_the_admins_are_told_once_it_arrived(
    relayed: tuple[Services, NewRelay], clock: Clock, notices: Notices
) -> None:
    services, relay = relayed
    assert isinstance(services.relays.wait(MEMBER, PRIVATE, "amazon-us"), Waiting)
    raw = body(relay, clock)
    receipt = services.relays.receive(relay.path_id, read_post("application/json", raw, None), raw)
    assert receipt.status is Status.ACCEPTED
    assert receipt.delivery is not None
    assert receipt.delivery.to.chat_id == MEMBER.id
    assert receipt.delivery.code.code == "228438"
    assert SmsEvent.DELIVERED not in events(notices)  # told once the member has it
    services.relays.delivered(receipt.delivery, True)
    assert events(notices)[-1] is SmsEvent.DELIVERED


def test_a_code_that_could_not_be_sent_is_kept_for_the_member(
    relayed: tuple[Services, NewRelay], clock: Clock, notices: Notices
) -> None:
    services, relay = relayed
    services.relays.wait(MEMBER, PRIVATE, "amazon-us")
    raw = body(relay, clock)
    receipt = services.relays.receive(relay.path_id, read_post("application/json", raw, None), raw)
    assert receipt.delivery is not None
    services.relays.delivered(receipt.delivery, False)
    assert events(notices)[-1] is SmsEvent.UNDELIVERED
    given = services.relays.wait(MEMBER, PRIVATE, "amazon-us")
    assert isinstance(given, Given)
    assert given.code.code == "228438"


def test_a_kept_code_expires_after_its_hold(
    relayed: tuple[Services, NewRelay], clock: Clock, notices: Notices
) -> None:
    services, relay = relayed
    assert receive(services, relay, body(relay, clock)) is Status.ACCEPTED
    assert events(notices) == [SmsEvent.HELD]
    clock.advance(HOLD_FOR - 1)
    assert services.relays.tidy() == 0
    clock.advance(2)
    assert services.relays.tidy() == 1
    assert events(notices)[-1] is SmsEvent.DROPPED
    assert isinstance(services.relays.wait(MEMBER, PRIVATE, "amazon-us"), Waiting)


def test_an_ended_wait_is_told_to_the_member_who_waited(
    relayed: tuple[Services, NewRelay], clock: Clock, notices: Notices
) -> None:
    services, _ = relayed
    services.relays.wait(MEMBER, PRIVATE, "amazon-us")
    clock.advance(WAIT_FOR + 1)
    assert services.relays.tidy() == 1
    told = notices.published[-1]
    assert isinstance(told, SmsNotice)
    assert told.event is SmsEvent.WAIT_ENDED
    assert [r.chat_id for r in told.recipients] == [MEMBER.id]


def test_nobody_waits_while_the_bot_is_locked(relayed: tuple[Services, NewRelay]) -> None:
    services, _ = relayed
    services.freeze.lock(ADMIN, PRIVATE)
    with pytest.raises(Locked):
        services.relays.wait(MEMBER, PRIVATE, "amazon-us")


def test_a_member_needs_a_standing_approval_for_an_account_that_needs_approval(
    relayed: tuple[Services, NewRelay],
) -> None:
    services, _ = relayed
    services.policies.set(ADMIN, "amazon-us", "approval", "admin")
    with pytest.raises(InvalidInput) as refused:
        services.relays.wait(MEMBER, PRIVATE, "amazon-us")
    assert refused.value.key == "sms.needs_approval"


def test_waiting_for_an_account_without_a_relay_says_who_sets_one_up(team: Services) -> None:
    with pytest.raises(InvalidInput) as refused:
        team.relays.wait(ADMIN, PRIVATE, "amazon-us")
    assert refused.value.key == "sms.no_relay"


def test_what_is_kept_of_a_post_reveals_neither_its_text_nor_its_code(
    relayed: tuple[Services, NewRelay], clock: Clock, store: Store
) -> None:
    services, relay = relayed
    receive(services, relay, body(relay, clock))
    with store.engine.connect() as connection:
        rows = connection.execute(text("SELECT signature, body, content FROM sms_receipts")).all()
        held = connection.execute(text("SELECT code_sealed FROM sms_held_codes")).all()
    assert len(rows) == 1
    assert all(len(value) == 64 for value in rows[0])  # keyed digests
    assert b"228438" not in bytes(held[0][0])


def test_posts_to_an_unknown_relay_are_refused_and_leave_nothing(
    team: Services, clock: Clock, store: Store
) -> None:
    raw = b'{"from": "x", "text": "code 123456", "ts": "1"}'
    receipt = team.relays.receive("nope", read_post("application/json", raw, None), raw)
    assert receipt.status is Status.REFUSED
    with store.engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM sms_receipts")).scalar() == 0


def test_an_unreadable_post_to_a_known_relay_is_told_as_unreadable(
    relayed: tuple[Services, NewRelay], notices: Notices
) -> None:
    services, relay = relayed
    raw = b"this is no sms"
    receipt = services.relays.receive(relay.path_id, read_post("text/plain", raw, None), raw)
    assert receipt.status is Status.UNREADABLE
    assert events(notices) == [SmsEvent.REFUSED]


def test_a_refused_wait_is_audited_and_told_to_the_admins(
    relayed: tuple[Services, NewRelay], notices: Notices, store: Store
) -> None:
    services, _ = relayed
    services.freeze.lock(ADMIN, PRIVATE)
    notices.published.clear()
    with pytest.raises(Locked):
        services.relays.wait(MEMBER, PRIVATE, "amazon-us")
    told = [n for n in notices.published if isinstance(n, SmsNotice)]
    assert [(n.event, n.reason, n.account) for n in told] == [
        (SmsEvent.WAIT_REFUSED, "locked", "amazon-us")
    ]
    with store.engine.connect() as connection:
        audited = connection.execute(
            text("SELECT action, outcome, account FROM audit_events ORDER BY id DESC LIMIT 1")
        ).one()
    assert tuple(audited) == ("sms_wait", "denied:locked", "amazon-us")


def test_each_step_of_an_sms_is_audited_with_whom_it_went_to(
    relayed: tuple[Services, NewRelay], clock: Clock, store: Store
) -> None:
    services, relay = relayed
    receive(services, relay, body(relay, clock))  # nobody waits: kept
    services.relays.wait(MEMBER, PRIVATE, "amazon-us")  # handed to the member
    services.relays.wait(MEMBER, PRIVATE, "amazon-us")  # waits for the next
    clock.advance(10)
    raw = body(relay, clock, SMS.replace("228438", "112233"))
    receipt = services.relays.receive(relay.path_id, read_post("application/json", raw, None), raw)
    assert receipt.delivery is not None
    with store.engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT action, outcome, actor_id, target_id FROM audit_events "
                "WHERE action LIKE 'sms%' ORDER BY id"
            )
        ).all()
    assert [tuple(row) for row in rows] == [
        ("sms_relay", "relay_added", ADMIN.id, None),
        ("sms", "kept", None, None),
        ("sms", "handed", MEMBER.id, None),
        ("sms_wait", "started", MEMBER.id, None),
        ("sms", "delivered", None, MEMBER.id),
    ]

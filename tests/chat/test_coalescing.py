"""Which notices go out alone and which wait for the digest, per admin, by the clock."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.chat.coalescing import DIGEST_EVERY, DIGEST_LINES, GRANTED_ALONE, Coalescer
from bot.chat.render import digest
from bot.messages import CHINESE, ENGLISH
from bot.rules.model import CodeRequestNotice, Person, Place, Recipient
from tests.conftest import Clock

OWNER = Recipient(1, "en")
ADMIN = Recipient(2, "zh-hans")
PRIVATE = Place(700, private=True)


def request(requester: int, outcome: str = "denied:not_member") -> CodeRequestNotice:
    return CodeRequestNotice(
        requester=Person(requester, f"person{requester}", username=f"p{requester}"),
        account=None,
        place=Place(requester, private=True),
        at=datetime(2026, 1, 1, tzinfo=UTC),
        outcome=outcome,
    )


def test_the_first_refusal_goes_alone_the_rest_wait_a_minute(clock: Clock) -> None:
    coalescer = Coalescer(clock)
    assert coalescer.offer(OWNER, request(10))
    assert not coalescer.offer(OWNER, request(10))
    assert not coalescer.offer(OWNER, request(11))
    assert coalescer.offer(ADMIN, request(10))  # each admin has a minute of their own
    clock.advance(DIGEST_EVERY - 1)
    assert coalescer.due() == []
    clock.advance(1)
    [due] = coalescer.due()  # nothing waited for the admin
    assert due.recipient == OWNER
    assert [(t.notice.requester.id, t.times) for t in due.tallies] == [(10, 1), (11, 1)]
    assert coalescer.due() == []
    # Right after a digest, the next refusal waits again.
    assert not coalescer.offer(OWNER, request(12))


def test_grants_go_alone_up_to_a_few_a_minute(clock: Clock) -> None:
    coalescer = Coalescer(clock)
    granted = [coalescer.offer(OWNER, request(10, "granted")) for _ in range(GRANTED_ALONE + 2)]
    assert granted == [True] * GRANTED_ALONE + [False, False]
    assert coalescer.due() == []  # not before the minute of the first grant is over
    clock.advance(DIGEST_EVERY)
    [due] = coalescer.due()
    assert [t.times for t in due.tallies] == [2]
    assert coalescer.offer(OWNER, request(10, "granted"))


def test_a_digest_keeps_a_bounded_number_of_lines(clock: Clock) -> None:
    coalescer = Coalescer(clock)
    coalescer.offer(OWNER, request(0))
    for n in range(DIGEST_LINES + 40):
        coalescer.offer(OWNER, request(1000 + n))
    [due] = coalescer.due(all_now=True)
    assert len(due.tallies) == DIGEST_LINES
    assert due.uncounted == 40
    for lang in (ENGLISH, CHINESE):
        body = digest(lang, due.tallies, due.uncounted)
        assert len(body) < 4096
        assert "40" in body.splitlines()[-1]


def test_people_nothing_waits_for_are_forgotten(clock: Clock) -> None:
    coalescer = Coalescer(clock)
    for n in range(100):
        coalescer.offer(Recipient(n, None), request(10))
    assert coalescer.kept == 100
    clock.advance(DIGEST_EVERY)
    assert coalescer.due() == []
    assert coalescer.kept == 0

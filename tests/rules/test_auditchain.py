"""The audit log's hash chain, as the rules write it: every row is chained, a refusal
counted on an earlier row keeps the chain whole, and rows from before the chain are left
out of it rather than reported as broken."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from bot.rules.errors import NotAMember
from bot.rules.model import Target
from bot.rules.services import Services
from storage.store import Store
from tests.conftest import Clock
from tests.rules.team import ADMIN, OWNER, STRANGER


def test_every_action_extends_an_intact_chain(team: Services) -> None:
    team.audit.latest(ADMIN)
    state = team.audit.chain(OWNER)
    assert state.intact
    assert state.unchained == 0
    assert state.rows >= 3
    assert state.head_hash is not None


def test_a_refusal_counted_on_an_earlier_row_keeps_the_chain_intact(
    team: Services, clock: Clock
) -> None:
    for _ in range(3):
        team.audit.refused(STRANGER, "add", STRANGER.id, NotAMember(STRANGER.id))
        team.audit.latest(ADMIN)  # a row after the counted one, whose link must follow
        clock.now += 10
    (counted,) = [e for e in team.audit.latest(OWNER) if e.action == "command"]
    assert counted.count == 3
    assert team.audit.chain(OWNER).intact


@pytest.mark.sqlite_file
def test_rows_from_before_the_chain_are_reported_as_not_covered(
    services: Services, store: Store, tmp_path: Path
) -> None:
    with closing(sqlite3.connect(tmp_path / "teamotp.db")) as db, db:
        db.execute(
            "INSERT INTO audit_events (at, actor_id, action, outcome) "
            "VALUES ('2025-12-01 10:00:00', 1, 'member.add', 'ok')"
        )
    services.directory.seen(ADMIN)
    services.roster.promote(OWNER, Target(user_id=ADMIN.id))
    state = services.audit.chain(OWNER)
    assert state.intact
    assert state.unchained == 1


def test_the_settled_head_leaves_out_rows_that_may_still_change(
    team: Services, clock: Clock
) -> None:
    assert team.audit.settled_head() is None  # everything is younger than the window
    clock.now += 301
    head = team.audit.settled_head()
    assert head is not None
    assert head.hash == team.audit.chain(OWNER).head_hash

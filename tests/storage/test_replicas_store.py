"""Replicas sharing one PostgreSQL store: their transactions run one at a time, as one
process's do, and the claims of timed work skip what another replica holds instead of
waiting for it."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.rules.cleanup import Cleanup
from tests.conftest import Clock, open_test_store

WAIT = 5.0


# Replicas share a PostgreSQL store only: these run there alone.
pytestmark = pytest.mark.postgresql_only


@pytest.fixture
def postgres_url(database_url: str) -> str:
    return database_url


def test_two_processes_transactions_run_one_at_a_time(
    tmp_path: Path, postgres_url: str
) -> None:
    first, second = open_test_store(tmp_path, postgres_url), open_test_store(tmp_path, postgres_url)
    inside, let_go, second_in = threading.Event(), threading.Event(), threading.Event()

    def hold() -> None:
        with first.transaction() as tx:
            tx.settings.put("probe", "first")
            inside.set()
            let_go.wait(WAIT)

    def follow() -> None:
        with second.transaction() as tx:
            second_in.set()
            tx.settings.put("probe", "second")

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert inside.wait(WAIT)
        follower = threading.Thread(target=follow)
        follower.start()
        # Another store's transaction waits, although it touches nothing the first holds
        # yet: the rules read, then write, and rely on running alone.
        assert not second_in.wait(0.5)
        let_go.set()
        follower.join(WAIT)
        assert second_in.is_set()
        with first.transaction() as tx:
            assert tx.settings.get("probe") == "second"
    finally:
        let_go.set()
        holder.join(WAIT)
        first.close()
        second.close()


def test_a_claim_skips_rows_another_replica_is_claiming(
    tmp_path: Path, postgres_url: str, clock: Clock
) -> None:
    first, second = open_test_store(tmp_path, postgres_url), open_test_store(tmp_path, postgres_url)
    try:
        Cleanup(first, clock).schedule([(-5, 1)], clock.now)
        now = datetime.fromtimestamp(clock.now, UTC)
        found: list[object] = []
        with first.claiming() as tx:
            assert len(tx.deletions.claim(now, now + timedelta(seconds=30))) == 1
            # Not committed yet: the row is locked, not yet marked as held.
            looker = threading.Thread(target=lambda: found.append(Cleanup(second, clock).due()))
            looker.start()
            looker.join(WAIT)
            assert not looker.is_alive()  # it did not wait for the lock
        assert found == [[]]
    finally:
        first.close()
        second.close()


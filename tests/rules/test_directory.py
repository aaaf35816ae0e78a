"""The user directory: who the bot has seen, written only when something changed."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from bot.rules.clock import utc
from bot.rules.directory import REFRESH, Directory
from bot.rules.model import Person, Target
from bot.rules.services import Services
from storage.models import KnownUser
from storage.store import Store
from tests.conftest import Clock, open_test_store
from tests.rules.team import ADMIN, OWNER

MIA = Person(300, "Mia", "Wong", username="mia", language_code="zh-hans")


@contextmanager
def writes(store: Store) -> Iterator[list[str]]:
    """The INSERT, UPDATE and DELETE statements sent to the database meanwhile."""
    sent: list[str] = []

    def watch(
        _conn: Any, _cursor: Any, statement: str, _params: Any, _context: Any, _many: bool
    ) -> None:
        if statement.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE")):
            sent.append(statement)

    event.listen(store.engine, "before_cursor_execute", watch)
    try:
        yield sent
    finally:
        event.remove(store.engine, "before_cursor_execute", watch)


def known(store: Store, user_id: int) -> KnownUser | None:
    with store.transaction() as tx:
        return tx.users.get(user_id)


def last_seen(store: Store, user_id: int) -> datetime:
    row = known(store, user_id)
    assert row is not None
    return row.last_seen


def test_a_person_is_written_on_first_sight(services: Services, store: Store, clock: Clock) -> None:
    with writes(store) as sent:
        services.directory.seen(MIA)
    assert sent
    row = known(store, MIA.id)
    assert row is not None
    assert (row.username, row.first_name, row.last_name, row.language_code) == (
        "mia",
        "Mia",
        "Wong",
        "zh-hans",
    )
    assert row.last_seen == utc(clock.now)


def test_an_unchanged_person_seen_again_within_the_refresh_costs_no_write(
    services: Services, store: Store, clock: Clock
) -> None:
    services.directory.seen(MIA)
    first = last_seen(store, MIA.id)
    clock.advance(REFRESH - 1)
    with writes(store) as sent:
        services.directory.seen(MIA)
    assert sent == []
    assert last_seen(store, MIA.id) == first


def test_after_a_restart_an_unchanged_person_is_not_rewritten_within_the_refresh(
    services: Services, store: Store, clock: Clock, tmp_path: Path, database_url: str
) -> None:
    services.directory.seen(MIA)
    clock.advance(60)
    reopened = open_test_store(tmp_path, database_url)
    try:
        with writes(reopened) as sent:
            Directory(reopened, clock).seen(MIA)
    finally:
        reopened.close()
    assert sent == []
    assert last_seen(store, MIA.id) == utc(clock.now - 60)


@pytest.mark.parametrize(
    "change",
    [
        {"username": "mia_w"},
        {"username": None},
        {"first_name": "Mia-Li"},
        {"last_name": None},
        {"language_code": "en"},
    ],
    ids=["new-username", "username-dropped", "first-name", "last-name", "language"],
)
def test_a_changed_profile_is_written_at_once(
    services: Services, store: Store, clock: Clock, change: dict[str, Any]
) -> None:
    services.directory.seen(MIA)
    clock.advance(5)
    changed = dataclasses.replace(MIA, **change)
    services.directory.seen(changed)
    row = known(store, MIA.id)
    assert row is not None
    assert (row.username, row.first_name, row.last_name, row.language_code) == (
        changed.username,
        changed.first_name,
        changed.last_name,
        changed.language_code,
    )
    assert row.last_seen == utc(clock.now)


def test_last_seen_moves_once_the_refresh_has_passed(
    services: Services, store: Store, clock: Clock
) -> None:
    services.directory.seen(MIA)
    clock.advance(REFRESH)
    with writes(store) as sent:
        services.directory.seen(MIA)
    assert sent
    assert last_seen(store, MIA.id) == utc(clock.now)


def test_a_username_taken_over_by_someone_else_is_cleared_from_its_old_holder(
    services: Services, store: Store, clock: Clock
) -> None:
    services.directory.seen(MIA)
    clock.advance(5)
    newcomer = Person(301, "Max", username="Mia")
    services.directory.seen(newcomer)
    old = known(store, MIA.id)
    assert old is not None
    assert (old.username, old.first_name) == (None, "Mia")
    # `/add @mia` now means the one who answers to it.
    services.directory.seen(OWNER)
    services.roster.promote(OWNER, Target(user_id=ADMIN.id))
    view = services.roster.add(ADMIN, Target(username="@mia"), []).member
    assert (view.user_id, view.username) == (newcomer.id, "Mia")


def test_bots_are_never_written(services: Services, store: Store) -> None:
    services.directory.seen(MIA)
    helper = Person(900, "Helper", username="mia", is_bot=True)
    with writes(store) as sent:
        services.directory.seen(helper)
    assert sent == []
    assert known(store, helper.id) is None
    row = known(store, MIA.id)
    assert row is not None
    assert row.username == "mia"

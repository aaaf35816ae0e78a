"""Shared fixtures: a real SQLite store in a temp dir, and a clock the test controls."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from hypothesis import settings
from sqlalchemy import create_engine, text

from bot.chat.flood import TIMEDELTA_SWITCH
from bot.rules.model import Notice
from bot.rules.services import Services, build_services
from storage.database import open_store
from storage.store import Store
from tests.ga_samples import REAL_SAMPLES

# Property tests explore new inputs on every developer run; CI replays the same ones, so a
# submission lands or fails on its own merits. A failure found locally is a bug to fix
# and a case to pin with an explicit example.
settings.register_profile("ci", derandomize=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

# 2026-01-01 00:00:05 UTC: five seconds into a 30-second window.
T0 = 1767225605.0


@dataclass
class Clock:
    """Time as a parameter: tests move it instead of waiting."""

    now: float = T0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class Notices:
    """Collects what the domain publishes (the real notifier is tested end to end)."""

    published: list[Notice] = field(default_factory=list)

    def publish(self, notice: Notice) -> None:
        self.published.append(notice)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture(autouse=True)
def ptb_as_the_bot_runs_it(monkeypatch: pytest.MonkeyPatch) -> None:
    """PTB's time periods as `timedelta`, as `teamotp.app.build_application` chooses them,
    also for tests that meet a `RetryAfter` without building the bot (a bare
    `telegram.Bot` against the fake, the rate limiter on its own). That the bot chooses
    them itself is proven in tests/e2e/test_flood.py."""
    monkeypatch.setenv(TIMEDELTA_SWITCH, "true")


# Where the PostgreSQL tests run: a database they may empty (CI: PostgreSQL on 127.0.0.1).
TEST_DATABASE_URL = "TEAMOTP_TEST_DATABASE_URL"


def open_test_store(tmp_path: Path, database_url: str | None = None) -> Store:
    """The store of the `store` fixture: call it again (with the same `database_url`) to
    reopen it, as after a restart. Without a URL, a SQLite file in `tmp_path`."""
    url = database_url or f"sqlite:///{tmp_path / 'teamotp.db'}"
    return open_store(url, None, tmp_path / "master.key")


def pytest_report_header(config: pytest.Config) -> str:
    if REAL_SAMPLES.is_dir():
        return f"real-world samples: cross-checked ({REAL_SAMPLES.name})"
    return "real-world samples: not beside the checkout, their cross-checks left out"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The cross-checks against real-world samples (`real_samples`) run where the samples
    are beside the checkout; a fresh clone has none (their licence keeps them out of the
    repository), so those tests are deselected, as the header says. What they check is
    proven without them too, on samples the tests make (tests/ga_samples.py)."""
    if REAL_SAMPLES.is_dir():
        return
    left_out = [item for item in items if item.get_closest_marker("real_samples")]
    if left_out:
        config.hook.pytest_deselected(items=left_out)
        items[:] = [item for item in items if item not in left_out]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Every test of a store runs on SQLite and on PostgreSQL, but those marked
    `sqlite_file`, which edit the SQLite file by hand as someone holding it could, and
    those marked `postgresql_only`, which test what only a database server does."""
    if "database_url" in metafunc.fixturenames:
        marked = metafunc.definition.get_closest_marker
        kinds = ["sqlite", "postgresql"]
        if marked("sqlite_file"):
            kinds = ["sqlite"]
        elif marked("postgresql_only"):
            kinds = ["postgresql"]
        metafunc.parametrize("database_url", kinds, indirect=True)


@pytest.fixture
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Without `TEAMOTP_TEST_DATABASE_URL` the PostgreSQL runs are skipped; with it, a
    server that cannot be reached fails them."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'teamotp.db'}"
    url = os.environ.get(TEST_DATABASE_URL)
    if not url:
        pytest.skip(f"no PostgreSQL: set {TEST_DATABASE_URL} to run these tests on it too")
    empty_postgres(url)
    return url


def empty_postgres(url: str) -> None:
    """A database with nothing of an earlier test in it."""
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
    finally:
        engine.dispose()


@pytest.fixture
def store(tmp_path: Path, database_url: str) -> Iterator[Store]:
    opened = open_test_store(tmp_path, database_url)
    yield opened
    opened.close()


@pytest.fixture
def notices() -> Notices:
    return Notices()


OWNER_ID = 100


@pytest.fixture
def services(store: Store, notices: Notices, clock: Clock) -> Services:
    return build_services(
        store, notices, owner_ids=frozenset({OWNER_ID}), audit_chat_id=None, clock=clock
    )

"""Shared fixtures: a real SQLite store in a temp dir, and a clock the test controls."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from hypothesis import settings

from bot.rules.model import Notice
from bot.rules.services import Services, build_services
from storage.database import open_store
from storage.store import Store

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


def open_test_store(tmp_path: Path) -> Store:
    """The store of the `store` fixture: call it again to reopen it, as after a restart."""
    return open_store(f"sqlite:///{tmp_path / 'teamotp.db'}", None, tmp_path / "master.key")


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = open_test_store(tmp_path)
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

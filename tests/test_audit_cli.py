"""`teamotp audit verify`: the audit log's hash chain checked on the server, after the
SQLite file was edited by hand the way someone holding it could."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from teamotp.cli import main
from tests.test_accounts_cli import Done, Teamotp
from tests.test_accounts_cli import teamotp as teamotp  # the fixture: same operator's shell

SECRETS = (
    "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP",
    "KRSXG5CTMVRXEZLUKRSXG5CTMVRXEZLU",
    "MFRGGZDFMZTWQ2LKNNWG23TPOBYXE43U",
)


@pytest.fixture
def verify(teamotp: Teamotp) -> None:
    """A store with three audited actions (three accounts added on the server)."""
    for number, secret in enumerate(SECRETS):
        assert teamotp("add", f"shop-{number}", "--secret", stdin=secret).returncode == 0


def audit_verify(capsys: pytest.CaptureFixture[str]) -> Done:
    capsys.readouterr()
    code = main(["audit", "verify"])
    out, err = capsys.readouterr()
    return Done(code, out, err)


def edit(tmp_path: Path, sql: str, *params: object) -> None:
    with closing(sqlite3.connect(tmp_path / "data" / "teamotp.db")) as db, db:
        db.execute(sql, params)


def ids(tmp_path: Path) -> list[int]:
    with closing(sqlite3.connect(tmp_path / "data" / "teamotp.db")) as db:
        return [row[0] for row in db.execute("SELECT id FROM audit_events ORDER BY id")]


def test_an_untouched_log_verifies(verify: None, capsys: pytest.CaptureFixture[str]) -> None:
    done = audit_verify(capsys)
    assert done.returncode == 0, done.stderr
    assert "Audit chain intact: 3 events" in done.stdout


def test_an_edited_row_is_named(
    verify: None, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    second = ids(tmp_path)[1]
    edit(tmp_path, "UPDATE audit_events SET account = 'shop-9' WHERE id = ?", second)
    done = audit_verify(capsys)
    assert done.returncode == 1
    assert f"BROKEN at event #{second}: it was changed" in done.stderr


def test_an_edited_row_given_a_new_hash_breaks_the_next_link(
    verify: None, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    first, second, _ = ids(tmp_path)
    edit(tmp_path, "UPDATE audit_events SET actor_id = 42, hash = ? WHERE id = ?", "ab" * 32, first)
    done = audit_verify(capsys)
    assert done.returncode == 1
    assert f"BROKEN at event #{first}: it was changed" in done.stderr
    assert second  # the first broken link is named, not a later one


def test_a_deleted_row_is_named_by_the_row_after_it(
    verify: None, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    _, second, third = ids(tmp_path)
    edit(tmp_path, "DELETE FROM audit_events WHERE id = ?", second)
    done = audit_verify(capsys)
    assert done.returncode == 1
    assert f"BROKEN at event #{third}: an event before it was removed" in done.stderr


def test_an_inserted_row_is_named(
    verify: None, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    edit(
        tmp_path,
        "INSERT INTO audit_events (at, actor_id, action, outcome, account) "
        "VALUES ('2026-01-01 10:00:00', 7, 'account.remove', 'ok', 'shop-1')",
    )
    inserted = ids(tmp_path)[-1]
    done = audit_verify(capsys)
    assert done.returncode == 1
    assert f"BROKEN at event #{inserted}: it has no hash" in done.stderr


def test_an_inserted_row_with_a_made_up_hash_is_named(
    verify: None, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Slipped in between two rows (the id gap left by a deleted row), chained to the row
    before it: its own hash cannot match without recomputing the rest of the chain."""
    first, second, third = ids(tmp_path)
    with closing(sqlite3.connect(tmp_path / "data" / "teamotp.db")) as db:
        (head,) = db.execute("SELECT hash FROM audit_events WHERE id = ?", (first,)).fetchone()
    edit(tmp_path, "DELETE FROM audit_events WHERE id = ?", second)
    edit(
        tmp_path,
        "INSERT INTO audit_events (id, at, actor_id, action, outcome, prev_hash, hash) "
        "VALUES (?, '2026-01-01 10:00:00', 7, 'member.add', 'ok', ?, ?)",
        second,
        head,
        "cd" * 32,
    )
    done = audit_verify(capsys)
    assert done.returncode == 1
    assert f"BROKEN at event #{second}: it was changed" in done.stderr
    assert third

"""`teamotp audit verify`: the audit log's hash chain checked on the server, after the
SQLite file was edited by hand the way someone holding it could."""

from __future__ import annotations

import csv
import io
import json
import re
import sqlite3
from contextlib import closing
from datetime import datetime
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


# ------------------------------------------------------------------ reading the log


def audit(capsys: pytest.CaptureFixture[str], *args: str) -> Done:
    capsys.readouterr()
    try:
        code = main(["audit", *args])
    except SystemExit as stopped:  # argparse refusing an argument
        code = int(stopped.code or 0)
    out, err = capsys.readouterr()
    return Done(code, out, err)


def a_stranger_named(name: str) -> None:
    """Someone Telegram calls `name` is seen by the bot and added by the server operator."""
    from bot.rules.model import OPERATOR, Person, Target
    from teamotp.wiring import server_rules

    with server_rules() as services:
        services.directory.seen(Person(4242, name))
        services.roster.add(OPERATOR, Target(user_id=4242), [])


STAMP = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC "


def test_the_log_is_shown_oldest_first_one_event_a_line(
    verify: None, capsys: pytest.CaptureFixture[str]
) -> None:
    """In the words the chat's /audit uses; what was done on the server is the server's."""
    done = audit(capsys)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert all(re.match(STAMP, line) for line in lines), lines
    assert [line[24:] for line in lines] == [
        f"the server added account shop-{number}" for number in range(3)
    ]
    again = audit(capsys).stdout.splitlines()
    assert again[-1].endswith("the server read the last 3 events"), "reading it is on record too"
    assert "account.add" not in done.stdout
    assert " 0 " not in done.stdout, "the server is no user with id 0"


def test_a_chinese_operator_reads_the_log_in_chinese(
    verify: None, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    a_stranger_named("Mia")
    audit(capsys)
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    done = audit(capsys)
    assert done.returncode == 0, done.stderr
    assert [line[24:] for line in done.stdout.splitlines()] == [
        "服务器 添加账号 shop-0",
        "服务器 添加账号 shop-1",
        "服务器 添加账号 shop-2",
        "服务器 添加成员 Mia（全部账号）",
        "服务器 查看最近 4 条操作记录",
    ]
    events = json.loads(audit(capsys, "--json").stdout)
    assert [e["action"] for e in events[-2:]] == ["audit.read", "audit.read"], "JSON keeps codes"
    assert events[-1]["actor"] == "server operator"


def test_since_leaves_out_what_came_before(
    verify: None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert len(audit(capsys, "--since", "1h").stdout.splitlines()) == 3
    assert audit(capsys, "--since", "2999-01-01").stdout == ""
    assert audit(capsys, "--since", "2999-01-01T08:00").stdout == ""


def test_a_since_that_is_no_time_is_refused_in_one_line(
    verify: None, capsys: pytest.CaptureFixture[str]
) -> None:
    done = audit(capsys, "--since", "last week")
    assert done.returncode == 2
    assert "'last week' is neither a date" in done.stderr
    assert "Traceback" not in done.stderr


def test_csv_has_a_header_and_a_row_per_event_and_keeps_formulas_out(
    verify: None, capsys: pytest.CaptureFixture[str]
) -> None:
    """A name is whatever a Telegram user typed: one that starts like a formula must open
    as text in a spreadsheet."""
    a_stranger_named('=HYPERLINK("http://evil.example","x")')
    done = audit(capsys, "--csv")
    assert done.returncode == 0, done.stderr
    rows = list(csv.DictReader(io.StringIO(done.stdout)))
    assert [row["action"] for row in rows] == [*["account.add"] * 3, "member.add"]
    assert rows[-1]["target"] == '\'=HYPERLINK("http://evil.example","x")'
    assert rows[-1]["target_id"] == "4242"
    assert json.loads(rows[0]["params"]) == {}
    assert datetime.fromisoformat(rows[0]["at"]).tzinfo is not None


def test_json_is_an_array_of_events_with_their_parameters(
    verify: None, capsys: pytest.CaptureFixture[str]
) -> None:
    a_stranger_named("Mia\nsecond line")
    done = audit(capsys, "--json")
    assert done.returncode == 0, done.stderr
    events = json.loads(done.stdout)
    assert [e["account"] for e in events[:3]] == ["shop-0", "shop-1", "shop-2"]
    assert events[-1]["target"] == "Mia\nsecond line"
    lines = audit(capsys).stdout.splitlines()
    assert len(lines) == 5, "a name's line break stays on its line"
    assert lines[3].endswith("the server added Mia second line (all accounts)")


def test_csv_and_json_are_one_or_the_other(
    verify: None, capsys: pytest.CaptureFixture[str]
) -> None:
    done = audit(capsys, "--csv", "--json")
    assert done.returncode == 2
    assert "not allowed with argument" in done.stderr

"""`teamotp members …`: the team managed on the server, with the chat's rules and words,
recorded as done by the server operator; an @username last seen long ago adds nobody."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from bot.rules.model import Person
from teamotp.cli import main
from teamotp.wiring import server_rules
from tests.test_accounts_cli import Done, Teamotp
from tests.test_accounts_cli import teamotp as teamotp  # the fixture: same operator's shell

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
MIA = Person(300, "Mia", "Lee", "mia", "en")


def members(capsys: pytest.CaptureFixture[str], *args: str) -> Done:
    capsys.readouterr()
    try:
        code = main(["members", *args])
    except SystemExit as stopped:
        code = int(stopped.code or 0)
    out, err = capsys.readouterr()
    return Done(code, out, err)


@pytest.fixture
def team(teamotp: Teamotp) -> Teamotp:
    """A store with amazon-us, and Mia, whom the bot has seen (she wrote to it)."""
    assert teamotp("add", "amazon-us", "--secret", stdin=SECRET).returncode == 0
    with server_rules() as services:
        services.directory.seen(MIA)
    return teamotp


def test_add_by_id_makes_a_member_and_list_shows_her(
    team: Teamotp, capsys: pytest.CaptureFixture[str]
) -> None:
    done = members(capsys, "add", "300")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "✅ Mia Lee is a member, with all accounts."
    listed = members(capsys, "list").stdout
    assert "Mia Lee @mia" in listed
    assert "300" in listed
    audit = main(["audit"])
    assert audit == 0
    assert "the server added @mia (all accounts)" in capsys.readouterr().out


def test_add_by_username_with_accounts_and_an_end(
    team: Teamotp, capsys: pytest.CaptureFixture[str]
) -> None:
    done = members(capsys, "add", "@mia", "amazon-us", "for", "8h")
    assert done.returncode == 0, done.stderr
    assert "✅ Mia Lee is a member, with amazon-us until" in done.stdout
    assert "(in 8 h)" in done.stdout


def test_revoke_takes_an_account_or_removes_her(
    team: Teamotp, capsys: pytest.CaptureFixture[str]
) -> None:
    assert members(capsys, "add", "300").returncode == 0
    done = members(capsys, "revoke", "300")
    assert done.returncode == 0, done.stderr
    assert "🚫 Mia Lee is no longer a member." in done.stdout
    assert "Mia" not in members(capsys, "list").stdout


def test_promote_and_demote(team: Teamotp, capsys: pytest.CaptureFixture[str]) -> None:
    assert members(capsys, "add", "300").returncode == 0
    assert "⭐ Mia Lee is now an admin." in members(capsys, "promote", "@mia").stdout
    assert "Mia Lee @mia — admin, 300" in members(capsys, "list").stdout
    assert "is a member again" in members(capsys, "demote", "300").stdout


def test_a_username_last_seen_long_ago_adds_nobody_and_names_the_id(
    team: Teamotp, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    with closing(sqlite3.connect(tmp_path / "data" / "teamotp.db")) as db, db:
        db.execute("UPDATE users SET last_seen = '2020-01-01 00:00:00' WHERE user_id = 300")
    done = members(capsys, "add", "@mia")
    assert done.returncode == 1
    assert "@mia was id 300 when I last saw them" in done.stdout
    assert "Usernames change hands" in done.stdout
    assert "Nobody was added. If it is, run: teamotp members add 300" in done.stderr
    assert "Mia" not in members(capsys, "list").stdout


def test_someone_named_neither_by_id_nor_by_username_is_refused_in_one_line(
    team: Teamotp, capsys: pytest.CaptureFixture[str]
) -> None:
    done = members(capsys, "add", "Mia Lee")
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        "Name the person by their numeric Telegram id (they see it with /start) or by an "
        "@username the bot has seen."
    ]


def test_in_chinese_the_team_is_told_in_chinese(
    team: Teamotp, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    done = members(capsys, "add", "300")
    assert done.stdout.strip() == "✅ Mia Lee 已成为成员，可使用：全部账号。"

"""`teamotp migrate`: the schema brought up to date by hand, for operators who keep that to
themselves (`TEAMOTP_AUTO_MIGRATE=0`); `--check` changes nothing."""

from __future__ import annotations

import logging
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Protocol

import pytest

from bot.messages import CHINESE, ENGLISH
from storage import schema
from storage.database import open_store
from teamotp.cli import main
from teamotp.telling import Told
from tests.store_files import add_first_version_account, make_first_version_store
from tests.test_accounts_cli import Done, Teamotp
from tests.test_accounts_cli import teamotp as teamotp  # the fixture: same operator's shell


@pytest.fixture
def migrate(teamotp: Teamotp, capsys: pytest.CaptureFixture[str]) -> Migrate:
    """`teamotp migrate ARGS` in the operator's shell of `teamotp accounts`."""

    def run(*args: str) -> Done:
        capsys.readouterr()
        code = main(["migrate", *args])
        out, err = capsys.readouterr()
        return Done(code, out, err)

    return run


class Migrate(Protocol):
    def __call__(self, *args: str) -> Done: ...


@pytest.fixture
def old_store(tmp_path: Path) -> Path:
    return make_first_version_store(tmp_path / "data")


def test_check_says_an_old_store_is_behind_and_changes_nothing(
    migrate: Migrate, old_store: Path
) -> None:
    before = old_store.read_bytes()
    done = migrate("--check")
    assert done.returncode == 1
    assert (
        f"The store's schema is from before migrations; this version needs {schema.head()}"
        in done.stdout
    )
    assert old_store.read_bytes() == before


def test_migrate_upgrades_it_and_then_it_is_up_to_date(migrate: Migrate, old_store: Path) -> None:
    done = migrate()
    assert done.returncode == 0
    assert (
        f"Upgraded the store's schema from from before migrations to {schema.head()}."
        in done.stdout
    )
    again = migrate()
    assert f"The store's schema is up to date ({schema.head()})." in again.stdout
    assert migrate("--check").returncode == 0


def test_with_auto_migrate_off_the_bot_refuses_until_migrated(
    teamotp: Teamotp, migrate: Migrate, old_store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TEAMOTP_AUTO_MIGRATE", "0")
    refused = teamotp("list")
    assert refused.returncode == 2
    assert "run `teamotp migrate`" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1
    assert migrate().returncode == 0
    assert teamotp("list").returncode == 0


def test_check_of_a_new_store_makes_no_file(migrate: Migrate, tmp_path: Path) -> None:
    done = migrate("--check")
    assert done.returncode == 1
    assert "none (a new store)" in done.stdout
    assert not (tmp_path / "data" / "teamotp.db").exists()


def test_in_chinese_a_store_that_cannot_be_upgraded_is_refused_in_chinese(
    migrate: Migrate, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A table of the bot's that lacks a column no row could be given."""
    (tmp_path / "data").mkdir()
    with closing(sqlite3.connect(tmp_path / "data" / "teamotp.db")) as raw:
        raw.execute("CREATE TABLE accounts (id INTEGER PRIMARY KEY)")
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    done = migrate()
    assert done.returncode == 2
    assert done.stderr.strip() == (
        "teamotp：数据库的表 accounts 缺少列 uid，这一列无法补加到已有的记录中"
    )


def test_what_an_upgrade_logs_is_said_in_the_operators_language(
    old_store: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """What the store logs as it upgrades is said by a server command's log handler in the
    operator's language (at INFO, should a command show it); the log itself stays English."""
    add_first_version_account(old_store.parent, "amazon-us", "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
    caplog.set_level(logging.INFO, logger="storage")
    open_store(f"sqlite:///{old_store}", None, old_store.parent / "master.key").close()
    records = [r for r in caplog.records if r.name.startswith("storage.")]
    assert [Told(CHINESE).format(r) for r in records] == [
        f"teamotp：数据库结构已从早于迁移机制的版本升级到 {schema.head()}",
        "teamotp：数据库已升级：1 个已存密钥现已与其验证码设置绑定",
    ]
    assert [Told(ENGLISH).format(r) for r in records] == [
        f"teamotp: store schema upgraded from before migrations to {schema.head()}",
        "teamotp: store upgraded: 1 stored secrets are now bound to their code settings",
    ]
    assert [r.getMessage() for r in records] == [
        f"store schema upgraded from before migrations to {schema.head()}",
        "store upgraded: 1 stored secrets are now bound to their code settings",
    ]

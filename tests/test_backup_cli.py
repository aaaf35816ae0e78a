"""`teamotp backup FILE` and `teamotp restore FILE`: a store copied out and put back, on
SQLite and PostgreSQL and from one to the other, its secrets sealed all along; a backup
made under another key restores only with that key; a store that holds data is replaced
only when asked; and each reason a backup cannot be restored is said in one line."""

from __future__ import annotations

import os
import shutil
import sqlite3
import stat
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import pytest

from storage import schema
from tests.conftest import TEST_DATABASE_URL, empty_postgres
from tests.file_modes import held_to_file_modes
from tests.operator_cli import Place, Teamotp, sqlite_place
from tests.operator_cli import teamotp as teamotp  # the fixture
from tests.team_store import NEW_KEY, NOTE, SECRETS, add_audit_entry, contents, fill


@pytest.fixture
def place(tmp_path: Path, database_url: str) -> Place:
    """The store of the test (SQLite or PostgreSQL), filled as a team's would be."""
    here = Place(database_url, tmp_path)
    store = here.open()
    fill(store)
    store.close()
    return here


def read_all(place: Place) -> object:
    store = place.open()
    try:
        return contents(store)
    finally:
        store.close()


def one_line(text: str) -> str:
    lines = text.strip().splitlines()
    assert len(lines) == 1, text
    return lines[0]


def test_backup_writes_a_private_file_and_says_what_it_holds(
    teamotp: Teamotp, place: Place, tmp_path: Path
) -> None:
    file = tmp_path / "team.backup"
    done = teamotp(place, "backup", str(file))
    assert done.returncode == 0, done.stderr
    assert f"Backed up 2 accounts, 1 member, 5 audit entries (schema {schema.head()})" in (
        done.stdout
    )
    assert stat.S_IMODE(file.stat().st_mode) == 0o600
    raw = file.read_bytes()
    for secret in (*SECRETS.values(), NEW_KEY, NOTE):
        assert secret.encode() not in raw  # sealed, as in the store
    with closing(sqlite3.connect(file)) as backup:
        assert backup.execute("SELECT version_num FROM alembic_version").fetchone() == (
            schema.head(),
        )
        assert backup.execute("SELECT value FROM settings WHERE key = 'key_check'").fetchone()
    assert [p.name for p in tmp_path.iterdir() if ".partial" in p.name] == []


def test_a_backup_restores_into_a_new_store_that_has_the_same_key(
    teamotp: Teamotp, place: Place, tmp_path: Path
) -> None:
    file = tmp_path / "team.backup"
    assert teamotp(place, "backup", str(file)).returncode == 0
    elsewhere = sqlite_place(tmp_path / "new-server")
    shutil.copy(place.key_file, elsewhere.key_file)  # the key travels apart from the backup
    done = teamotp(elsewhere, "restore", str(file))
    assert done.returncode == 0, done.stderr
    assert "Restored 2 accounts, 1 member, 5 audit entries" in done.stdout
    assert "Re-sealed" not in done.stdout
    assert read_all(elsewhere) == read_all(place)
    verified = teamotp(elsewhere, "audit", "verify")
    assert verified.returncode == 0, verified.stderr


def test_a_backup_moves_from_postgresql_to_sqlite_and_back(
    teamotp: Teamotp, tmp_path: Path
) -> None:
    url = os.environ.get(TEST_DATABASE_URL)
    if not url:
        pytest.skip(f"no PostgreSQL: set {TEST_DATABASE_URL} to run these tests on it too")
    empty_postgres(url)
    postgres = Place(url, tmp_path / "pg")
    postgres.data.mkdir()
    store = postgres.open()
    fill(store)
    store.close()
    before = read_all(postgres)

    assert teamotp(postgres, "backup", str(tmp_path / "from-pg")).returncode == 0
    sqlite = sqlite_place(tmp_path / "sqlite")
    shutil.copy(postgres.key_file, sqlite.key_file)
    assert teamotp(sqlite, "restore", str(tmp_path / "from-pg")).returncode == 0
    assert read_all(sqlite) == before
    store = sqlite.open()
    add_audit_entry(store, 99)  # the restored store goes on where the old one stopped
    store.close()
    after_sqlite = read_all(sqlite)

    assert teamotp(sqlite, "backup", str(tmp_path / "from-sqlite")).returncode == 0
    empty_postgres(url)
    done = teamotp(postgres, "restore", str(tmp_path / "from-sqlite"))
    assert done.returncode == 0, done.stderr
    assert read_all(postgres) == after_sqlite
    store = postgres.open()
    add_audit_entry(store, 100)  # new rows get new ids: the numbering goes on past the restored
    store.close()
    assert teamotp(postgres, "audit", "verify").returncode == 0
    assert "7 events" in teamotp(postgres, "audit", "verify").stdout


def test_restore_refuses_a_backup_made_under_another_key(
    teamotp: Teamotp, place: Place, tmp_path: Path
) -> None:
    file = tmp_path / "team.backup"
    assert teamotp(place, "backup", str(file)).returncode == 0
    elsewhere = sqlite_place(tmp_path / "new-server")
    elsewhere.open().close()  # a store with a key of its own
    done = teamotp(elsewhere, "restore", str(file))
    assert done.returncode == 1
    assert "made under another master key" in one_line(done.stderr)
    assert "--key-file" in done.stderr
    store = elsewhere.open()
    assert contents(store).accounts == {}
    store.close()


def test_restore_with_the_backups_key_reseals_it_under_the_stores_key(
    teamotp: Teamotp, place: Place, tmp_path: Path
) -> None:
    file = tmp_path / "team.backup"
    assert teamotp(place, "backup", str(file)).returncode == 0
    elsewhere = sqlite_place(tmp_path / "new-server")
    elsewhere.open().close()
    old_key = tmp_path / "old.key"
    shutil.copy(place.key_file, old_key)
    done = teamotp(elsewhere, "restore", str(file), "--key-file", str(old_key))
    assert done.returncode == 0, done.stderr
    assert "Re-sealed 4 secrets under this store's master key" in done.stdout  # 2 + note + new
    assert read_all(elsewhere) == read_all(place)  # opened with the new store's own key
    assert teamotp(elsewhere, "audit", "verify").returncode == 0
    for key in (place.key_file, elsewhere.key_file):
        assert key.read_text().strip() not in done.stdout + done.stderr


def test_restore_into_a_new_store_without_the_backups_key_says_where_to_put_it(
    teamotp: Teamotp, place: Place, tmp_path: Path
) -> None:
    file = tmp_path / "team.backup"
    assert teamotp(place, "backup", str(file)).returncode == 0
    elsewhere = sqlite_place(tmp_path / "new-server")
    done = teamotp(elsewhere, "restore", str(file))
    assert done.returncode == 1
    assert f"no key file at {elsewhere.key_file}" in one_line(done.stderr)
    assert not elsewhere.key_file.exists()  # no key made for a store that was not restored
    assert not (elsewhere.data / "teamotp.db").exists()
    old_key = tmp_path / "old.key"
    shutil.copy(place.key_file, old_key)
    done = teamotp(elsewhere, "restore", str(file), "--key-file", str(old_key))
    assert done.returncode == 0, done.stderr
    assert elsewhere.key_file.read_bytes() != old_key.read_bytes()  # a key of its own
    assert read_all(elsewhere) == read_all(place)


def test_restore_refuses_a_key_file_that_is_not_the_backups(
    teamotp: Teamotp, place: Place, tmp_path: Path
) -> None:
    file = tmp_path / "team.backup"
    assert teamotp(place, "backup", str(file)).returncode == 0
    elsewhere = sqlite_place(tmp_path / "new-server")
    elsewhere.open().close()
    done = teamotp(elsewhere, "restore", str(file), "--key-file", str(elsewhere.key_file))
    assert done.returncode == 1
    assert "is not the one the backup" in one_line(done.stderr)


def test_restore_refuses_to_replace_a_store_that_holds_data_unless_forced(
    teamotp: Teamotp, place: Place, tmp_path: Path
) -> None:
    file = tmp_path / "team.backup"
    assert teamotp(place, "backup", str(file)).returncode == 0
    store = place.open()
    add_audit_entry(store, 50)  # what happened since the backup
    store.close()
    now = read_all(place)
    refused = teamotp(place, "restore", str(file))
    assert refused.returncode == 1
    assert "the store is not empty (2 accounts, 1 member, 6 audit entries)" in one_line(
        refused.stderr
    )
    assert "--force" in refused.stderr
    assert read_all(place) == now
    done = teamotp(place, "restore", str(file), "--force")
    assert done.returncode == 0, done.stderr
    assert "replacing 2 accounts, 1 member, 6 audit entries" in done.stdout
    assert read_all(place) != now
    assert teamotp(place, "audit", "verify").returncode == 0


def test_a_restore_that_fails_midway_leaves_the_store_as_it_was(
    teamotp: Teamotp, place: Place, tmp_path: Path
) -> None:
    file = tmp_path / "team.backup"
    assert teamotp(place, "backup", str(file)).returncode == 0
    with closing(sqlite3.connect(file)) as backup, backup:
        # A grant of an account the backup lacks: refused by the store's foreign key, after
        # the accounts and members were already replaced in the restore's transaction.
        backup.execute("INSERT INTO grants (user_id, account_id) VALUES (4242, 999)")
    store = place.open()
    add_audit_entry(store, 50)
    store.close()
    now = read_all(place)
    done = teamotp(place, "restore", str(file), "--force")
    assert done.returncode == 1
    assert "the store was left as it was" in one_line(done.stderr)
    assert read_all(place) == now


def test_an_older_backup_is_upgraded_as_it_is_restored(
    teamotp: Teamotp, place: Place, tmp_path: Path
) -> None:
    file = tmp_path / "team.backup"
    assert teamotp(place, "backup", str(file)).returncode == 0
    with closing(sqlite3.connect(file)) as backup, backup:
        # As a backup made before revision 0003 (replicas) would be.
        backup.execute("UPDATE alembic_version SET version_num = ?", ("0002",))
        backup.execute("DROP TABLE processed_updates")
        backup.execute("DROP TABLE outbox")
        backup.execute("ALTER TABLE scheduled_deletions DROP COLUMN claimed_until")
        backup.execute("DROP TABLE chat_languages")  # and before 0004 (languages)
        backup.execute("ALTER TABLE users DROP COLUMN language")
        for table in ("sms_receipts", "sms_waits", "sms_held_codes", "sms_relays"):
            backup.execute(f"DROP TABLE {table}")  # and before 0005 (SMS relays)
    elsewhere = sqlite_place(tmp_path / "new-server")
    shutil.copy(place.key_file, elsewhere.key_file)
    done = teamotp(elsewhere, "restore", str(file))
    assert done.returncode == 0, done.stderr
    assert read_all(elsewhere) == read_all(place)
    with closing(sqlite3.connect(file)) as backup:  # the file itself is left as it was
        assert backup.execute("SELECT version_num FROM alembic_version").fetchone() == ("0002",)


def change_backup(file: Path, sql: str) -> None:
    with closing(sqlite3.connect(file)) as backup, backup:
        backup.execute(sql)


@pytest.mark.parametrize(
    ("make", "says"),
    [
        pytest.param(lambda file: file.unlink(), "no backup file at", id="missing"),
        pytest.param(
            lambda file: file.write_text("name,secret\n"), "is not a teamotp backup", id="text"
        ),
        pytest.param(
            lambda file: change_backup(file, "DROP TABLE backup_info"),
            "is not a teamotp backup",
            id="a store, not a backup",
        ),
        pytest.param(
            lambda file: change_backup(file, "UPDATE alembic_version SET version_num = '0999'"),
            "has a newer schema (0999) than this version of teamotp knows",
            id="newer schema",
        ),
        pytest.param(
            lambda file: change_backup(
                file, "UPDATE backup_info SET value = '2' WHERE key = 'format_version'"
            ),
            "was made by a newer version of teamotp",
            id="newer format",
        ),
    ],
)
def test_restore_says_in_one_line_why_a_file_cannot_be_restored(
    teamotp: Teamotp, tmp_path: Path, make: object, says: str
) -> None:
    source = sqlite_place(tmp_path / "source")
    store = source.open()
    fill(store)
    store.close()
    file = tmp_path / "team.backup"
    assert teamotp(source, "backup", str(file)).returncode == 0
    make(file)  # type: ignore[operator]
    target = sqlite_place(tmp_path / "target")
    shutil.copy(source.key_file, target.key_file)
    done = teamotp(target, "restore", str(file))
    assert done.returncode == 1
    assert says in one_line(done.stderr)
    assert not (target.data / "teamotp.db").exists()  # nothing made for a file refused


def test_a_failed_backup_leaves_the_file_that_was_there(
    teamotp: Teamotp, place: Place, tmp_path: Path
) -> None:
    file = tmp_path / "team.backup"
    assert teamotp(place, "backup", str(file)).returncode == 0
    before = file.read_bytes()
    nowhere = sqlite_place(tmp_path / "no-store")
    done = teamotp(nowhere, "backup", str(file))
    assert done.returncode == 2
    assert "there is no store at" in one_line(done.stderr)
    assert file.read_bytes() == before
    assert not (nowhere.data / "teamotp.db").exists()
    assert [p.name for p in tmp_path.iterdir() if ".partial" in p.name] == []


# ------------------------------------------------------------------ in the server's language

CHINESE = {"LANG": "zh_CN.UTF-8"}


def made_at(file: Path) -> str:
    with closing(sqlite3.connect(file)) as backup:
        (when,) = backup.execute("SELECT value FROM backup_info WHERE key = 'made_at'").fetchone()
    return str(when)


def test_in_chinese_backup_and_restore_say_what_they_did_in_chinese(
    teamotp: Teamotp, place: Place, tmp_path: Path
) -> None:
    file = tmp_path / "team.backup"
    done = teamotp(place, "backup", str(file), env=CHINESE)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        f"已把 2 个账号、1 名成员、5 条操作记录（数据库结构 {schema.head()}）备份到 {file}。",
        "备份中的密钥仍用主密钥加密，而主密钥不在备份中：请另外保存一份主密钥，恢复时需要它。",
    ]
    store = place.open()
    add_audit_entry(store, 50)
    store.close()
    refused = teamotp(place, "restore", str(file), env=CHINESE)
    assert refused.returncode == 1
    assert one_line(refused.stderr) == (
        "teamotp：数据库不是空的（2 个账号、1 名成员、6 条操作记录）："
        "恢复会替换其中的全部内容；确定要替换请加 --force"
    )
    done = teamotp(place, "restore", str(file), "--force", env=CHINESE)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        f"已从 {file}（生成于 {made_at(file)}）恢复 2 个账号、1 名成员、5 条操作记录，"
        "替换了原有的 2 个账号、1 名成员、6 条操作记录。",
        "现在请启动（或重启）机器人。",
    ]


def test_in_chinese_a_restore_under_another_key_is_told_in_chinese(
    teamotp: Teamotp, place: Place, tmp_path: Path
) -> None:
    file = tmp_path / "team.backup"
    assert teamotp(place, "backup", str(file)).returncode == 0
    elsewhere = sqlite_place(tmp_path / "new-server")
    elsewhere.open().close()
    refused = teamotp(elsewhere, "restore", str(file), env=CHINESE)
    assert refused.returncode == 1
    assert one_line(refused.stderr) == (
        f"teamotp：备份 {file} 所用的主密钥与密钥文件 {elsewhere.key_file} 中的不同："
        "请用 --key-file 指定备份的密钥文件（备份中的密钥会改用当前数据库的主密钥重新加密）"
    )
    old_key = tmp_path / "old.key"
    shutil.copy(place.key_file, old_key)
    done = teamotp(elsewhere, "restore", str(file), "--key-file", str(old_key), env=CHINESE)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        f"已从 {file}（生成于 {made_at(file)}）恢复 2 个账号、1 名成员、5 条操作记录。",
        "已用当前数据库的主密钥重新加密 4 个密钥。",
        "现在请启动（或重启）机器人。",
    ]


@pytest.mark.parametrize(
    ("make", "says"),
    [
        pytest.param(lambda file: file.unlink(), "{file} 没有备份文件", id="missing"),
        pytest.param(
            lambda file: file.write_text("name,secret\n"), "{file} 不是 teamotp 备份", id="text"
        ),
        pytest.param(
            lambda file: change_backup(file, "UPDATE alembic_version SET version_num = '0999'"),
            "备份 {file} 的数据库结构（0999）比此版本的 teamotp 所知的（{head}）更新："
            "请用生成它的版本或更新的版本恢复",
            id="newer schema",
        ),
    ],
)
def test_in_chinese_a_file_that_cannot_be_restored_is_refused_in_chinese(
    teamotp: Teamotp, place: Place, tmp_path: Path, make: object, says: str
) -> None:
    file = tmp_path / "team.backup"
    assert teamotp(place, "backup", str(file)).returncode == 0
    make(file)  # type: ignore[operator]
    done = teamotp(place, "restore", str(file), "--force", env=CHINESE)
    assert done.returncode == 1
    assert one_line(done.stderr) == "teamotp：" + says.format(file=file, head=schema.head())


def test_in_chinese_a_backup_that_cannot_be_made_is_refused_in_chinese(
    teamotp: Teamotp, place: Place, tmp_path: Path
) -> None:
    done = teamotp(place, "backup", str(tmp_path / "nowhere" / "team.backup"), env=CHINESE)
    assert done.returncode == 1
    assert one_line(done.stderr) == f"teamotp：文件夹 {tmp_path / 'nowhere'} 不存在"
    nowhere = sqlite_place(tmp_path / "no-store")
    done = teamotp(nowhere, "backup", str(tmp_path / "team.backup"), env=CHINESE)
    assert done.returncode == 2
    assert one_line(done.stderr) == f"teamotp：sqlite:///{nowhere.data / 'teamotp.db'} 没有数据库"


def test_a_backup_the_file_system_refuses_says_why_in_the_servers_language(
    place: Place, tmp_path: Path
) -> None:
    """The operating system's reason ("Permission denied") is told in the catalog's words,
    not left in English inside a Chinese line."""
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o555)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TEAMOTP_", "LC_"))}
    said = {}
    try:
        for lang in ("C", "zh_CN.UTF-8"):
            done = subprocess.run(  # noqa: S603 - fixed arguments, no shell
                held_to_file_modes(
                    str(Path(sys.executable).with_name("teamotp")), "backup", str(locked / "x")
                ),
                env={**env, **place.env(), "LANG": lang},
                cwd=tmp_path,
                capture_output=True,
                text=True,
                timeout=60,
                check=False,
            )
            assert done.returncode == 1
            said[lang] = one_line(done.stderr)
    finally:
        locked.chmod(0o700)
    assert said["C"].endswith(": permission denied")
    assert said["zh_CN.UTF-8"].endswith("：没有权限")
    assert "Permission" not in said["zh_CN.UTF-8"]

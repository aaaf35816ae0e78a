"""`teamotp rotate-key`: every secret re-sealed under a new key in one transaction, the key
file replaced whole; killed at any step, the store opens with exactly one of the two keys
and the next command says which; a key from the environment is not rotated."""

from __future__ import annotations

import selectors
import signal
import sqlite3
import stat
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import pytest

from storage.crypto import SecretBox, decode_master_key
from storage.keyrotation import pending_key_file
from tests.operator_cli import Place, Teamotp, sqlite_place
from tests.operator_cli import teamotp as teamotp  # the fixture
from tests.team_store import contents, fill, opens_with

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def place(tmp_path: Path, database_url: str) -> Place:
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


def key_text(path: Path) -> str:
    return path.read_text(encoding="ascii").strip()


def test_rotate_key_reseals_every_secret_under_a_new_key_in_the_key_file(
    teamotp: Teamotp, place: Place
) -> None:
    before = read_all(place)
    old = place.box()
    old_text = key_text(place.key_file)
    done = teamotp(place, "rotate-key")
    assert done.returncode == 0, done.stderr
    assert "Re-sealed 4 secrets under a new master key" in done.stdout
    assert "Restart every running bot" in done.stdout
    new_text = key_text(place.key_file)
    assert new_text != old_text
    assert stat.S_IMODE(place.key_file.stat().st_mode) == 0o600
    assert not pending_key_file(place.key_file).exists()
    assert opens_with(place.url, place.box())
    assert not opens_with(place.url, old)
    assert read_all(place) == before  # opened with the new key file
    assert teamotp(place, "audit", "verify").returncode == 0
    for key in (old_text, new_text):
        assert key not in done.stdout + done.stderr
    kept = [p for p in place.data.iterdir() if p.name.startswith("master.key.old-")]
    assert [key_text(p) for p in kept] == [old_text]
    assert str(kept[0]) in done.stdout
    assert stat.S_IMODE(kept[0].stat().st_mode) == 0o600


def test_a_backup_made_before_a_rotation_restores_with_the_kept_key(
    teamotp: Teamotp, place: Place, tmp_path: Path
) -> None:
    before = read_all(place)
    assert teamotp(place, "backup", str(tmp_path / "before.backup")).returncode == 0
    assert teamotp(place, "rotate-key").returncode == 0
    kept = next(p for p in place.data.iterdir() if p.name.startswith("master.key.old-"))
    refused = teamotp(place, "restore", str(tmp_path / "before.backup"), "--force")
    assert refused.returncode == 1
    done = teamotp(
        place, "restore", str(tmp_path / "before.backup"), "--force", "--key-file", str(kept)
    )
    assert done.returncode == 0, done.stderr
    assert read_all(place) == before


def test_rotate_key_refuses_a_key_given_in_the_environment(teamotp: Teamotp, place: Place) -> None:
    key = key_text(place.key_file)
    done = teamotp(place, "rotate-key", env={"TEAMOTP_MASTER_KEY": key})
    assert done.returncode == 2
    line = done.stderr.strip()
    assert len(line.splitlines()) == 1
    assert "TEAMOTP_MASTER_KEY" in line
    assert key not in done.stdout + done.stderr
    assert key_text(place.key_file) == key


@pytest.mark.sqlite_file
def test_rotate_key_refuses_while_a_secret_does_not_open_and_changes_nothing(
    teamotp: Teamotp, place: Place, tmp_path: Path
) -> None:
    with closing(sqlite3.connect(tmp_path / "teamotp.db")) as db, db:
        db.execute("UPDATE accounts SET digits = 8 WHERE name = 'ebay'")  # behind the bot's back
    key = key_text(place.key_file)
    done = teamotp(place, "rotate-key")
    assert done.returncode == 1
    assert "ebay" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert key_text(place.key_file) == key
    assert not pending_key_file(place.key_file).exists()
    assert [p for p in place.data.iterdir() if ".old-" in p.name] == []
    assert opens_with(f"sqlite:///{tmp_path / 'teamotp.db'}", place.box()) is False  # as before
    with closing(sqlite3.connect(tmp_path / "teamotp.db")) as db, db:
        db.execute("UPDATE accounts SET digits = 6 WHERE name = 'ebay'")
    assert opens_with(place.url, place.box())


class Paused:
    """`teamotp rotate-key` in its own process, stopped at one step."""

    def __init__(self, place: Place, step: str, cwd: Path) -> None:
        self.process = subprocess.Popen(  # noqa: S603 - our own module, fixed arguments
            [sys.executable, "-m", "tests.rotate_paused", step],
            env={**place.env(), "PYTHONPATH": str(ROOT)},
            cwd=cwd,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        with selectors.DefaultSelector() as selector:
            selector.register(self.process.stdout, selectors.EVENT_READ)
            ready = selector.select(timeout=60)
        line = self.process.stdout.readline() if ready else ""
        if line != f"paused at {step}\n":
            self.kill()
            raise AssertionError(f"did not pause at {step}: {line!r}")

    def kill(self) -> str:
        self.process.send_signal(signal.SIGKILL)
        _, err = self.process.communicate(timeout=30)
        return err


# Where rotate-key is killed, and the key the store is left with.
STEPS = {"new key written": "old", "resealed": "old", "committed": "new"}


@pytest.mark.parametrize("step", list(STEPS))
def test_rotate_key_killed_midway_leaves_the_store_readable_with_one_key_and_says_which(
    teamotp: Teamotp, place: Place, tmp_path: Path, step: str
) -> None:
    before = read_all(place)
    keys = {"old": place.box()}
    paused = Paused(place, step, tmp_path)
    keys["new"] = SecretBox(decode_master_key(key_text(pending_key_file(place.key_file))))
    paused.kill()

    assert {name for name, box in keys.items() if opens_with(place.url, box)} == {STEPS[step]}
    listed = teamotp(place, "accounts", "list")
    assert listed.returncode == 0, listed.stderr
    said = {
        "old": f"the store still uses the key in {place.key_file} (the old key)",
        "new": f"the store uses the new key, now in {place.key_file}",
    }
    assert said[STEPS[step]] in listed.stderr
    assert "ebay" in listed.stdout
    assert "cannot be read" not in listed.stdout
    assert not pending_key_file(place.key_file).exists()
    assert place.box().matches(keys[STEPS[step]].key_check())
    assert read_all(place) == before
    again = teamotp(place, "accounts", "list")
    assert again.stderr == ""  # settled once, said once
    assert teamotp(place, "audit", "verify").returncode == 0


def test_a_second_rotation_waits_for_the_first_and_a_bot_opens_meanwhile(
    teamotp: Teamotp, place: Place, tmp_path: Path
) -> None:
    paused = Paused(place, "new key written", tmp_path)
    try:
        second = teamotp(place, "rotate-key")
        assert second.returncode == 1
        assert "another `teamotp rotate-key` is running" in second.stderr
        listed = teamotp(place, "accounts", "list")  # the running rotation's new key stays
        assert listed.returncode == 0, listed.stderr
        assert pending_key_file(place.key_file).exists()
    finally:
        paused.kill()


def test_rotate_key_of_a_new_store_makes_its_key_and_rotates_it(
    teamotp: Teamotp, tmp_path: Path
) -> None:
    fresh = sqlite_place(tmp_path / "fresh")
    done = teamotp(fresh, "rotate-key")
    assert done.returncode == 0, done.stderr
    assert "Re-sealed 0 secrets" in done.stdout
    assert opens_with(fresh.url, fresh.box())


def test_each_rotation_keeps_the_key_it_replaced(teamotp: Teamotp, place: Place) -> None:
    replaced = []
    for _ in range(2):  # within the same second, as a script might
        replaced.append(key_text(place.key_file))
        assert teamotp(place, "rotate-key").returncode == 0
    kept = sorted(p for p in place.data.iterdir() if p.name.startswith("master.key.old-"))
    assert sorted(key_text(p) for p in kept) == sorted(replaced)
    assert key_text(place.key_file) not in replaced


# ------------------------------------------------------------------ in the server's language

CHINESE = {"LANG": "zh_CN.UTF-8"}


def test_in_chinese_rotate_key_says_what_it_did_in_chinese(teamotp: Teamotp, place: Place) -> None:
    done = teamotp(place, "rotate-key", env=CHINESE)
    assert done.returncode == 0, done.stderr
    kept = next(p for p in place.data.iterdir() if p.name.startswith("master.key.old-"))
    assert done.stdout.splitlines() == [
        f"已用新的主密钥重新加密 4 个密钥，新主密钥现在保存在 {place.key_file}。",
        f"旧主密钥保存在 {kept}：此前生成的备份需要它（teamotp restore 文件 --key-file "
        "旧密钥文件）；请把它移出这台服务器。",
        "现在请重启所有正在运行的机器人：重启之前，它们仍持有旧主密钥。",
    ]


def test_in_chinese_a_key_from_the_environment_is_refused_in_chinese(
    teamotp: Teamotp, place: Place
) -> None:
    done = teamotp(
        place, "rotate-key", env={**CHINESE, "TEAMOTP_MASTER_KEY": key_text(place.key_file)}
    )
    assert done.returncode == 2
    assert done.stderr.strip() == (
        "teamotp：主密钥来自 TEAMOTP_MASTER_KEY，`teamotp rotate-key` 无法更改它：请把密钥写入 "
        "TEAMOTP_MASTER_KEY_FILE 指定的文件，取消设置 TEAMOTP_MASTER_KEY，然后重新运行"
    )


@pytest.mark.sqlite_file
def test_in_chinese_a_secret_that_does_not_open_is_named_in_chinese(
    teamotp: Teamotp, place: Place, tmp_path: Path
) -> None:
    with closing(sqlite3.connect(tmp_path / "teamotp.db")) as db, db:
        db.execute("UPDATE accounts SET digits = 8 WHERE name IN ('ebay', 'amazon-us')")
    done = teamotp(place, "rotate-key", env=CHINESE)
    assert done.returncode == 1
    assert done.stderr.strip() == (
        "teamotp：以下账号的已存密钥无法用旧主密钥解开（在机器人之外被修改过）：amazon-us、ebay；"
        "请先删除这些账号（teamotp accounts remove 账号名称），之后再重新添加"
    )


@pytest.mark.parametrize(
    ("step", "said"),
    [
        (
            "resealed",
            "主密钥更换在改动数据库之前被中断：数据库仍使用 {key_file} 中的密钥（旧主密钥）；"
            "已删除未用上的新主密钥 {pending}",
        ),
        (
            "committed",
            "主密钥更换在重新加密数据库之后被中断：现已完成；数据库使用新主密钥，现保存在 "
            "{key_file}（旧主密钥保留在同一文件夹，名为 master.key.old-*）",
        ),
    ],
    ids=["before-the-commit", "after-the-commit"],
)
def test_in_chinese_the_next_command_says_which_key_a_rotation_cut_short_left(
    teamotp: Teamotp, place: Place, tmp_path: Path, step: str, said: str
) -> None:
    pending = pending_key_file(place.key_file)
    Paused(place, step, tmp_path).kill()
    listed = teamotp(place, "accounts", "list", env=CHINESE)
    assert listed.returncode == 0, listed.stderr
    assert listed.stderr.strip() == "teamotp：注意：" + said.format(
        key_file=place.key_file, pending=pending
    )


def test_in_chinese_a_rotation_already_running_is_told_in_chinese(
    teamotp: Teamotp, place: Place, tmp_path: Path
) -> None:
    paused = Paused(place, "new key written", tmp_path)
    try:
        second = teamotp(place, "rotate-key", env=CHINESE)
        assert second.returncode == 1
        assert second.stderr.strip() == "teamotp：另一个 `teamotp rotate-key` 正在运行：请等它结束"
    finally:
        paused.kill()

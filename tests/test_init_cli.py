"""`teamotp init`: the data directory, a private key file and the store at this version's
schema, made as the bot makes them, and the steps left said in English or Chinese; run
again it changes nothing and says so; and each reason it cannot is one line, with nothing
half-made left behind. On SQLite and PostgreSQL."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url

from storage import schema
from storage.crypto import SecretBox, encode_master_key
from storage.database import schema_state
from storage.keyrotation import pending_key_file
from tests.file_modes import held_to_file_modes
from tests.operator_cli import Place, Teamotp
from tests.operator_cli import teamotp as teamotp  # the fixture
from tests.team_store import contents, fill


@pytest.fixture
def place(tmp_path: Path, database_url: str) -> Place:
    """Where nothing is yet: an empty database (or none: a SQLite file to come), and a data
    directory that does not exist."""
    return Place(database_url, tmp_path / "data")


def one_line(text: str) -> str:
    lines = text.strip().splitlines()
    assert len(lines) == 1, text
    assert "Traceback" not in text
    return lines[0]


def test_init_makes_the_data_directory_a_private_key_file_and_the_store(
    teamotp: Teamotp, place: Place
) -> None:
    done = teamotp(place, "init")
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert stat.S_IMODE(place.data.stat().st_mode) == 0o700
    assert stat.S_IMODE(place.key_file.stat().st_mode) == 0o600
    assert schema_state(place.url)[0] == schema.head()
    store = place.open()  # it opens with the key file init made
    store.close()
    lines = done.stdout.splitlines()
    assert lines[:3] == [
        f"Created the data directory {place.data}.",
        f"Created the master key file {place.key_file} (mode 0600).",
        f"Created the store in {store_shown(place)} (schema {schema.head()}).",
    ]
    assert lines[3] == "Next steps:"
    steps = "\n".join(lines[4:])
    assert "1. Set TEAMOTP_BOT_TOKEN to the token from @BotFather" in steps
    assert "2. Become the owner: set TEAMOTP_OWNER_IDS" in steps
    assert "/claim CODE" in steps
    assert f"3. Copy the key file {place.key_file} somewhere other than this server" in steps
    assert "4. Run teamotp check" in steps


def store_shown(place: Place) -> str:
    """The URL as the commands show it: without its password."""
    return make_url(place.url).render_as_string(hide_password=True)


def test_the_next_steps_are_in_chinese_for_a_chinese_locale(teamotp: Teamotp, place: Place) -> None:
    done = teamotp(place, "init", env={"LANG": "zh_CN.UTF-8"})
    assert done.returncode == 0, done.stderr
    assert f"已创建主密钥文件 {place.key_file}（权限 0600）。" in done.stdout
    assert "接下来：" in done.stdout
    assert "TEAMOTP_BOT_TOKEN" in done.stdout
    assert "/claim" in done.stdout
    assert "复制到这台服务器以外的地方" in done.stdout


def test_the_steps_say_what_the_settings_already_give(teamotp: Teamotp, place: Place) -> None:
    done = teamotp(
        place, "init", env={"TEAMOTP_BOT_TOKEN": "123:secret-part", "TEAMOTP_OWNER_IDS": "42,7"}
    )
    assert done.returncode == 0, done.stderr
    assert "1. TEAMOTP_BOT_TOKEN is set" in done.stdout
    assert "2. Owners are set in TEAMOTP_OWNER_IDS: 7, 42." in done.stdout
    assert "secret-part" not in done.stdout + done.stderr


def test_init_again_changes_nothing_and_says_so(teamotp: Teamotp, place: Place) -> None:
    assert teamotp(place, "init").returncode == 0
    store = place.open()
    fill(store)
    before = contents(store)
    store.close()
    key = place.key_file.read_bytes()
    files = sorted(place.data.iterdir())
    done = teamotp(place, "init")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0] == (
        f"Already set up: the store in {store_shown(place)} (schema {schema.head()}) opens "
        f"with the key file {place.key_file}. Nothing was changed."
    )
    assert "Created" not in done.stdout
    assert "Next steps:" in done.stdout
    assert place.key_file.read_bytes() == key
    assert sorted(place.data.iterdir()) == files
    store = place.open()
    assert contents(store) == before
    store.close()


def test_with_the_key_in_the_environment_no_key_file_is_made(
    teamotp: Teamotp, place: Place
) -> None:
    key = encode_master_key(SecretBox.generate_key())
    done = teamotp(place, "init", env={"TEAMOTP_MASTER_KEY": key})
    assert done.returncode == 0, done.stderr
    assert not place.key_file.exists()
    assert "Using the master key in TEAMOTP_MASTER_KEY (no key file)." in done.stdout
    assert "3. Keep a copy of TEAMOTP_MASTER_KEY somewhere other than this server" in done.stdout
    assert key not in done.stdout
    again = teamotp(place, "init", env={"TEAMOTP_MASTER_KEY": key})
    assert "opens with the key in TEAMOTP_MASTER_KEY. Nothing was changed." in again.stdout


def test_a_key_file_that_was_there_is_kept_and_used(teamotp: Teamotp, place: Place) -> None:
    place.data.mkdir()
    key = encode_master_key(SecretBox.generate_key()) + "\n"
    place.key_file.write_text(key)
    done = teamotp(place, "init")
    assert done.returncode == 0, done.stderr
    assert f"Using the master key file that was there: {place.key_file}." in done.stdout
    assert "Created the data directory" not in done.stdout
    assert place.key_file.read_text() == key
    place.open().close()


def test_a_data_directory_that_cannot_be_made_is_one_line_and_nothing_is_made(
    teamotp: Teamotp, tmp_path: Path
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the data directory's parent should be\n")
    place = Place(f"sqlite:///{blocker / 'data' / 'teamotp.db'}", blocker / "data")
    done = teamotp(place, "init")
    assert done.returncode == 2
    assert one_line(done.stderr).startswith(
        f"teamotp: cannot create the data directory {place.data}:"
    )
    assert done.stdout == ""
    assert sorted(tmp_path.iterdir()) == [blocker]


def test_a_data_directory_that_is_not_writable_is_one_line_and_nothing_is_made(
    tmp_path: Path,
) -> None:
    """A process of its own, held to the folder's mode (also when the tests run as root)."""
    data = tmp_path / "data"
    data.mkdir(mode=0o500)
    place = Place(f"sqlite:///{data / 'teamotp.db'}", data)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TEAMOTP_", "LC_"))}
    try:
        done = subprocess.run(  # noqa: S603 - fixed arguments, no shell
            held_to_file_modes(str(Path(sys.executable).with_name("teamotp")), "init"),
            env={**env, **place.env()},
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    finally:
        data.chmod(0o700)
    assert done.returncode == 2
    assert "is not writable by this user" in one_line(done.stderr)
    assert list(data.iterdir()) == []


def test_a_key_file_that_is_a_directory_is_one_line_and_nothing_is_made(
    teamotp: Teamotp, place: Place
) -> None:
    place.key_file.mkdir(parents=True)
    done = teamotp(place, "init")
    assert done.returncode == 2
    assert one_line(done.stderr) == (
        f"teamotp: the master key file {place.key_file} is a directory, not a file: "
        "point TEAMOTP_MASTER_KEY_FILE at the key file"
    )
    assert list(place.data.iterdir()) == [place.key_file]
    assert schema_state(place.url)[:2] == (None, False), "no store may be left half-made"


def test_a_key_that_does_not_match_the_store_is_one_line_and_nothing_changes(
    teamotp: Teamotp, place: Place
) -> None:
    assert teamotp(place, "init").returncode == 0
    store = place.open()
    fill(store)
    before = contents(store)
    store.close()
    key = place.key_file.read_bytes()
    wrong = encode_master_key(SecretBox.generate_key())
    for env in (
        {"TEAMOTP_MASTER_KEY": wrong},
        {"TEAMOTP_MASTER_KEY_FILE": str(write_key(place.data / "other.key", wrong))},
    ):
        done = teamotp(place, "init", env=env)
        assert done.returncode == 2
        assert one_line(done.stderr) == (
            "teamotp: the master key does not match the store (it was written with another "
            "key); nothing was changed"
        )
        assert wrong not in done.stderr
    assert place.key_file.read_bytes() == key
    store = place.open()
    assert contents(store) == before
    store.close()


def test_a_store_whose_key_file_is_gone_is_one_line_and_no_new_key_is_made(
    teamotp: Teamotp, place: Place
) -> None:
    assert teamotp(place, "init").returncode == 0
    place.key_file.unlink()
    done = teamotp(place, "init")
    assert done.returncode == 2
    assert "is missing, but the store was written with a key" in one_line(done.stderr)
    assert not place.key_file.exists()


def test_a_bad_setting_is_one_line_and_nothing_is_made(teamotp: Teamotp, place: Place) -> None:
    done = teamotp(place, "init", env={"TEAMOTP_CODE_TTL": "-5"})
    assert done.returncode == 2
    assert one_line(done.stderr).startswith("teamotp: TEAMOTP_CODE_TTL must be")
    assert not place.data.exists()


def write_key(path: Path, key: str) -> Path:
    path.write_text(key + "\n")
    path.chmod(0o600)
    return path


def test_init_on_a_store_of_an_older_schema_says_so_and_upgrades_nothing(
    teamotp: Teamotp, place: Place
) -> None:
    assert teamotp(place, "init").returncode == 0
    engine = create_engine(place.url)
    with engine.begin() as connection:
        command.downgrade(schema._config(connection), "0002")
    engine.dispose()
    done = teamotp(place, "init")
    assert done.returncode == 0, done.stderr
    assert "(schema 0002) opens with the key file" in done.stdout
    assert (
        f"Its schema is 0002 and this version needs {schema.head()}: run teamotp migrate"
        in done.stdout
    )
    assert schema_state(place.url)[0] == "0002"


def test_init_after_a_key_rotation_cut_short_names_the_key_that_opens_the_store(
    teamotp: Teamotp, place: Place
) -> None:
    assert teamotp(place, "init").returncode == 0
    old = place.key_file.read_bytes()
    assert teamotp(place, "rotate-key").returncode == 0
    pending = pending_key_file(place.key_file)
    place.key_file.rename(pending)
    place.key_file.write_bytes(old)
    done = teamotp(place, "init")
    assert done.returncode == 0, done.stderr
    assert f"opens with the key file {pending}. Nothing was changed." in done.stdout
    assert "A master key rotation was cut short" in done.stdout
    assert place.key_file.read_bytes() == old
    assert pending.exists()

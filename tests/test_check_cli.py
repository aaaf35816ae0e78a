"""`teamotp check`: one marked line per check, exit 1 when one failed, and nothing changed.

Each misconfiguration it names is made here for real and must be named: a bad setting, a
database that cannot be reached, an old (or newer) schema, a wrong or missing key, a
stored secret that does not open, a Bot API that cannot be reached or refuses the token
(the fake Bot API server in tests/fake_telegram), a clock off Telegram's (the fake's
`Date` header), privacy mode off. The command runs in this process, in a worker thread
so that the fake server, on this test's event loop, can answer it. On SQLite and
PostgreSQL; the token never shows."""

from __future__ import annotations

import asyncio
import re
import shutil
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web
from alembic import command
from sqlalchemy import create_engine, text

from storage import schema
from storage.crypto import SecretBox, encode_master_key
from storage.database import schema_state
from storage.keyrotation import pending_key_file
from tests.fake_telegram import FakeTelegram
from tests.operator_cli import Place, Teamotp, sqlite_place
from tests.operator_cli import teamotp as teamotp  # the fixture
from tests.team_store import SECRETS, contents, fill
from tests.test_accounts_cli import Done

MARK = re.compile(r"^\[(ok|FAIL|warn|skip)\] +(.*)$")


@pytest.fixture
def place(tmp_path: Path, database_url: str) -> Place:
    """A team's store, made as `teamotp init` (or the bot's first start) makes it."""
    here = Place(database_url, tmp_path / "data")
    here.data.mkdir()
    store = here.open()
    fill(store)
    store.close()
    return here


@pytest.fixture
async def tg() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as fake:
        yield fake
    assert fake.violations == [], "check made a request the real Bot API would refuse"


def online(tg: FakeTelegram) -> dict[str, str]:
    return {"TEAMOTP_BOT_TOKEN": tg.token, "TEAMOTP_API_URL": tg.api_url}


def closed_port_url() -> str:
    """A Bot API address where nothing listens (port 9 on this machine: discard, unused)."""
    return "http://127.0.0.1:9"


class Checked:
    """What the operator reads: each check's mark and line, and the summary."""

    def __init__(self, done: Done) -> None:
        self.done = done
        *lines, self.summary = done.stdout.strip().splitlines()
        self.lines: list[tuple[str, str]] = []
        for line in lines:
            found = MARK.match(line)
            assert found, f"a line without a mark: {line!r}"
            self.lines.append((found[1], found[2]))
        assert "Traceback" not in done.stdout + done.stderr

    def marks(self) -> list[str]:
        return [mark for mark, _ in self.lines]

    def line(self, starting: str) -> tuple[str, str]:
        found = [(mark, said) for mark, said in self.lines if said.startswith(starting)]
        assert len(found) == 1, f"no single line starting {starting!r} in:\n{self.done.stdout}"
        return found[0]

    @property
    def everything(self) -> str:
        return self.done.stdout + self.done.stderr


async def check(
    teamotp: Teamotp, place: Place, *args: str, env: dict[str, str] | None = None
) -> Checked:
    return Checked(await asyncio.to_thread(teamotp, place, "check", *args, env=env))


def assert_nothing_secret(checked: Checked, *secrets: str) -> None:
    for secret in (*SECRETS.values(), *secrets):
        assert secret not in checked.everything
        _, _, private = secret.partition(":")
        if private:
            assert private not in checked.everything


# ------------------------------------------------------------------- all is well


async def test_a_ready_server_passes_every_check(
    teamotp: Teamotp, place: Place, tg: FakeTelegram
) -> None:
    checked = await check(teamotp, place, env=online(tg))
    assert checked.done.returncode == 0, checked.done.stdout
    assert checked.marks() == ["ok"] * 7
    assert checked.lines[0][1] == "Settings are valid (polling mode)."
    assert checked.line("The database ")[1].endswith(
        f"answers, at this version's schema ({schema.head()})."
    )
    assert checked.line("The master key ")[1] == (
        f"The master key (the key file {place.key_file}) matches the store."
    )
    assert checked.line("All 2 stored secrets open and give codes.")
    assert checked.line(f"The Bot API at {tg.api_url} answers and takes the token")[1].endswith(
        "the bot is @teamotp_test_bot (id 123456789)."
    )
    assert checked.line("Privacy mode is on: in groups the bot gets only commands")
    assert checked.line("The server's clock is 0 s off Telegram's: fine")
    assert checked.summary == "All checks passed."
    assert [call.method for call in tg.calls()] == ["getMe"]
    assert_nothing_secret(checked, tg.token)


async def test_offline_checks_this_host_only_and_says_what_it_skipped(
    teamotp: Teamotp, place: Place, tg: FakeTelegram
) -> None:
    """What the container's HEALTHCHECK runs: a healthy store passes without the network."""
    checked = await check(teamotp, place, "--offline", env=online(tg))
    assert checked.done.returncode == 0, checked.done.stdout
    assert checked.marks() == ["ok", "ok", "ok", "ok", "skip"]
    assert checked.lines[-1][1] == (
        "Bot API, privacy mode and clock: not checked, as --offline was given."
    )
    assert tg.calls() == []


async def test_a_store_just_made_by_init_passes_with_no_secret_to_open(
    teamotp: Teamotp, tmp_path: Path
) -> None:
    new = Place(f"sqlite:///{tmp_path / 'data' / 'teamotp.db'}", tmp_path / "data")
    assert teamotp(new, "init").returncode == 0
    checked = await check(teamotp, new, "--offline", env={"TEAMOTP_BOT_TOKEN": "1:x"})
    assert checked.done.returncode == 0, checked.done.stdout
    assert checked.line("No accounts yet") == (
        "ok",
        "No accounts yet, so no stored secret to open.",
    )


async def test_check_changes_nothing_in_the_store(teamotp: Teamotp, place: Place) -> None:
    store = place.open()
    before = contents(store)
    store.close()
    files = sorted(place.data.iterdir())
    await check(teamotp, place, "--offline", env={"TEAMOTP_BOT_TOKEN": "1:x"})
    assert sorted(place.data.iterdir()) == files
    store = place.open()
    assert contents(store) == before
    store.close()


# ------------------------------------------------------------------ the settings


async def test_a_bad_setting_fails_and_the_checks_that_need_it_are_skipped(
    teamotp: Teamotp, place: Place
) -> None:
    checked = await check(teamotp, place, env={"TEAMOTP_LISTEN_PORT": "99999"})
    assert checked.done.returncode == 1
    assert checked.lines == [
        ("FAIL", "Settings: TEAMOTP_LISTEN_PORT must be a port number, 1-65535"),
        (
            "skip",
            "Database, master key, stored secrets and Bot API: not checked, as they need "
            "valid settings.",
        ),
    ]
    assert checked.summary == "1 of 1 checks failed."


async def test_a_missing_token_fails_the_settings_and_the_bot_api_is_not_asked(
    teamotp: Teamotp, place: Place
) -> None:
    checked = await check(teamotp, place)
    assert checked.done.returncode == 1
    mark, said = checked.lines[0]
    assert (mark, said.split(":")[0]) == ("FAIL", "Settings")
    assert "TEAMOTP_BOT_TOKEN is not set" in said
    assert checked.marks()[1:4] == ["ok", "ok", "ok"], "the store is checked all the same"
    assert checked.lines[-1] == (
        "skip",
        "Bot API, privacy mode and clock: not checked, as TEAMOTP_BOT_TOKEN is not set.",
    )


async def test_webhook_mode_without_its_url_fails_the_settings(
    teamotp: Teamotp, place: Place
) -> None:
    env = {"TEAMOTP_BOT_TOKEN": "1:x", "TEAMOTP_MODE": "webhook"}
    checked = await check(teamotp, place, "--offline", env=env)
    assert checked.done.returncode == 1
    mark, said = checked.lines[0]
    assert mark == "FAIL"
    assert "TEAMOTP_WEBHOOK_URL is not set" in said


# ------------------------------------------------------------------ the database


async def test_a_database_that_cannot_be_reached_fails_without_its_password(
    teamotp: Teamotp, tmp_path: Path
) -> None:
    nowhere = Place("postgresql+psycopg://teamotp:pa55word@127.0.0.1:9/teamotp", tmp_path)
    checked = await check(teamotp, nowhere, "--offline", env={"TEAMOTP_BOT_TOKEN": "1:x"})
    assert checked.done.returncode == 1
    mark, said = checked.line("Database: cannot open the database")
    assert mark == "FAIL"
    assert "postgresql+psycopg://teamotp:***@127.0.0.1:9/teamotp" in said
    assert "pa55word" not in checked.everything
    assert checked.line("Master key: not checked, as the database cannot be read.")[0] == "skip"
    assert checked.line("Stored secrets: not checked")[0] == "skip"


async def test_no_store_yet_fails_and_no_file_is_made(teamotp: Teamotp, tmp_path: Path) -> None:
    empty = sqlite_place(tmp_path / "data")
    checked = await check(teamotp, empty, "--offline", env={"TEAMOTP_BOT_TOKEN": "1:x"})
    assert checked.done.returncode == 1
    mark, said = checked.line("There is no store at ")
    assert mark == "FAIL"
    assert said.endswith("yet: run teamotp init (or start the bot, which makes it).")
    assert list(empty.data.iterdir()) == []


def downgrade(place: Place, revision: str) -> None:
    """The store as an older version left it: its schema taken back by the migrations."""
    engine = create_engine(place.url)
    try:
        with engine.begin() as connection:
            command.downgrade(schema._config(connection), revision)
    finally:
        engine.dispose()


@pytest.mark.parametrize(
    ("auto_migrate", "mark", "returncode", "says"),
    [
        ("0", "FAIL", 1, "run teamotp migrate (with TEAMOTP_AUTO_MIGRATE=0 the bot refuses it)"),
        ("1", "warn", 0, "the bot upgrades it at its next start (TEAMOTP_AUTO_MIGRATE=1)"),
    ],
    ids=["auto-migrate-off", "auto-migrate-on"],
)
async def test_an_old_schema_is_reported_and_not_upgraded(
    teamotp: Teamotp,
    place: Place,
    auto_migrate: str,
    mark: str,
    returncode: int,
    says: str,
) -> None:
    downgrade(place, "0002")
    env = {"TEAMOTP_BOT_TOKEN": "1:x", "TEAMOTP_AUTO_MIGRATE": auto_migrate}
    checked = await check(teamotp, place, "--offline", env=env)
    assert checked.done.returncode == returncode
    found, said = checked.line("The database ")
    assert found == mark
    assert f"its schema is 0002 and this version needs {schema.head()}" in said
    assert says in said
    assert checked.line("Stored secrets: not checked, as the store's schema is not this")
    assert schema_state(place.url)[0] == "0002", "check must not upgrade it"


async def test_a_schema_of_a_newer_version_fails(teamotp: Teamotp, place: Place) -> None:
    engine = create_engine(place.url)
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999_future'"))
    engine.dispose()
    checked = await check(teamotp, place, "--offline", env={"TEAMOTP_BOT_TOKEN": "1:x"})
    assert checked.done.returncode == 1
    mark, said = checked.line("The database ")
    assert mark == "FAIL"
    assert "at schema 9999_future, written by a newer version of teamotp" in said


# ------------------------------------------------------------ key and secrets


async def test_a_wrong_master_key_fails_and_the_secrets_are_not_tried(
    teamotp: Teamotp, place: Place
) -> None:
    wrong = encode_master_key(SecretBox.generate_key())
    env = {"TEAMOTP_BOT_TOKEN": "1:x", "TEAMOTP_MASTER_KEY": wrong}
    checked = await check(teamotp, place, "--offline", env=env)
    assert checked.done.returncode == 1
    assert checked.line("The master key ") == (
        "FAIL",
        "The master key (the key in TEAMOTP_MASTER_KEY) does not match the store: it was "
        "written with another key. Put back the key it was made with (your copy of the key "
        "file).",
    )
    assert checked.line("Stored secrets: not checked, as no master key opens the store.")
    assert_nothing_secret(checked, wrong)


async def test_a_missing_key_file_fails_and_no_key_is_made(teamotp: Teamotp, place: Place) -> None:
    place.key_file.unlink()
    checked = await check(teamotp, place, "--offline", env={"TEAMOTP_BOT_TOKEN": "1:x"})
    assert checked.done.returncode == 1
    mark, said = checked.line("Master key: ")
    assert mark == "FAIL"
    assert f"the master key file {place.key_file} is missing" in said
    assert not place.key_file.exists()


async def test_a_stored_secret_that_does_not_open_is_named_and_never_shown(
    teamotp: Teamotp, place: Place
) -> None:
    engine = create_engine(place.url)
    with engine.begin() as connection:  # changed behind the bot's back: no longer its own
        connection.execute(text("UPDATE accounts SET digits = 8 WHERE name = 'ebay'"))
    engine.dispose()
    checked = await check(teamotp, place, "--offline", env={"TEAMOTP_BOT_TOKEN": "1:x"})
    assert checked.done.returncode == 1
    assert checked.line("The stored secrets of ") == (
        "FAIL",
        "The stored secrets of 1 of 2 accounts do not open (changed outside the bot): ebay. "
        "Remove those accounts and add them again.",
    )
    assert_nothing_secret(checked)


async def test_secrets_bound_as_an_earlier_version_did_are_left_to_the_bots_start(
    teamotp: Teamotp, place: Place
) -> None:
    engine = create_engine(place.url)
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM settings WHERE key = 'secret_binding'"))
    engine.dispose()
    checked = await check(teamotp, place, "--offline", env={"TEAMOTP_BOT_TOKEN": "1:x"})
    assert checked.done.returncode == 0, checked.done.stdout
    assert checked.line("Stored secrets: not checked, as they are bound to their accounts as")
    assert checked.line("The master key ")[0] == "ok"


async def test_a_key_rotation_cut_short_is_a_warning_and_is_left_to_the_bot(
    teamotp: Teamotp, place: Place
) -> None:
    """Cut short after the store was re-sealed: the new key waits beside the key file, the
    old one is still in it. The store opens with the new key; finishing is the bot's."""
    old = place.key_file.read_bytes()
    assert teamotp(place, "rotate-key").returncode == 0
    shutil.move(place.key_file, pending_key_file(place.key_file))
    place.key_file.write_bytes(old)
    checked = await check(teamotp, place, "--offline", env={"TEAMOTP_BOT_TOKEN": "1:x"})
    assert checked.done.returncode == 0, checked.done.stdout
    mark, said = checked.line("A master key rotation was cut short")
    assert mark == "warn"
    assert "the bot's next start finishes the rotation" in said
    assert checked.line("All 2 stored secrets open and give codes.")
    assert place.key_file.read_bytes() == old
    assert pending_key_file(place.key_file).exists()


# ------------------------------------------------------------------- the Bot API


async def test_a_bot_api_that_cannot_be_reached_fails(teamotp: Teamotp, place: Place) -> None:
    token = "123:not-a-real-token-part"
    env = {"TEAMOTP_BOT_TOKEN": token, "TEAMOTP_API_URL": closed_port_url()}
    checked = await check(teamotp, place, env=env)
    assert checked.done.returncode == 1
    mark, said = checked.line(f"The Bot API at {closed_port_url()} cannot be reached")
    assert mark == "FAIL"
    assert said.endswith("check the server's network, DNS and proxy, or TEAMOTP_API_URL.")
    assert checked.line("Privacy mode: not checked, as the Bot API did not answer getMe.")
    assert checked.line("Clock: not checked, as the Bot API did not answer getMe.")
    assert_nothing_secret(checked, token)


async def test_a_token_the_bot_api_refuses_fails_and_is_never_shown(
    teamotp: Teamotp, place: Place, tg: FakeTelegram
) -> None:
    token = "987654321:AAthis-is-not-the-bots-token"
    env = {**online(tg), "TEAMOTP_BOT_TOKEN": token}
    checked = await check(teamotp, place, env=env)
    assert checked.done.returncode == 1
    assert checked.line(f"The Bot API at {tg.api_url} refused the token") == (
        "FAIL",
        f"The Bot API at {tg.api_url} refused the token (401 Unauthorized): copy it again "
        "from @BotFather (/mybots, API Token) into TEAMOTP_BOT_TOKEN.",
    )
    assert checked.line("Privacy mode: not checked, as the Bot API refused the token.")
    assert checked.line("The server's clock is 0 s off")[0] == "ok", "the refusal has a Date"
    assert_nothing_secret(checked, token)


async def test_a_bot_api_failing_getme_fails_and_the_token_is_not_blamed(
    teamotp: Teamotp, place: Place, tg: FakeTelegram
) -> None:
    tg.fail("getMe", status=500)
    checked = await check(teamotp, place, env=online(tg))
    assert checked.done.returncode == 1
    assert checked.line(f"The Bot API at {tg.api_url} answered getMe") == (
        "FAIL",
        f"The Bot API at {tg.api_url} answered getMe with 500 Internal Server Error.",
    )
    assert checked.line("Privacy mode: not checked, as the Bot API did not answer getMe.")


@pytest.fixture
async def not_the_bot_api() -> AsyncIterator[str]:
    """A web server that is not the Bot API: a 404 page for every path."""

    async def page(request: web.Request) -> web.Response:
        return web.Response(status=404, text="<h1>Not here</h1>", content_type="text/html")

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", page)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    await runner.cleanup()


async def test_a_server_that_is_not_the_bot_api_fails_without_blaming_the_token(
    teamotp: Teamotp, place: Place, not_the_bot_api: str
) -> None:
    env = {"TEAMOTP_BOT_TOKEN": "123:not-a-real-token-part", "TEAMOTP_API_URL": not_the_bot_api}
    checked = await check(teamotp, place, env=env)
    assert checked.done.returncode == 1
    assert checked.line(f"The Bot API at {not_the_bot_api} answered getMe") == (
        "FAIL",
        f"The Bot API at {not_the_bot_api} answered getMe with 404 Not Found, and the reply is "
        "not Bot API JSON (is TEAMOTP_API_URL the Bot API?).",
    )
    assert "refused the token" not in checked.everything
    assert_nothing_secret(checked, "123:not-a-real-token-part")


@pytest.mark.parametrize(
    ("telegram_is", "mark", "says"),
    [
        (-60.0, "warn", "The server's clock is about 60 s ahead of Telegram's (more than 10 s)"),
        (60.0, "warn", "The server's clock is about 60 s behind Telegram's (more than 10 s)"),
        (5.0, "ok", "The server's clock is 5 s off Telegram's: fine (the bot warns beyond 10 s)"),
    ],
    ids=["ahead", "behind", "within"],
)
async def test_a_clock_off_telegrams_beyond_the_bots_limit_is_a_warning(
    teamotp: Teamotp,
    place: Place,
    tg: FakeTelegram,
    telegram_is: float,
    mark: str,
    says: str,
) -> None:
    tg.world.clock = lambda: time.time() + telegram_is
    checked = await check(teamotp, place, env=online(tg))
    assert checked.done.returncode == 0, "a clock off is told, and fails nothing"
    assert checked.line("The server's clock is ") == (mark, checked.line(says)[1])
    if mark == "warn":
        assert checked.line(says)[1].endswith("Fix the server's clock (enable NTP).")
        assert checked.summary == "No check failed; 1 gave a warning."


async def test_privacy_mode_off_is_a_warning_that_says_what_it_means_for_groups(
    teamotp: Teamotp, place: Place, tg: FakeTelegram
) -> None:
    tg.privacy_mode = False
    checked = await check(teamotp, place, env=online(tg))
    assert checked.done.returncode == 0
    mark, said = checked.line("Privacy mode is off")
    assert mark == "warn"
    assert "the bot gets every message of its groups" in said
    assert "teamotp works so, but needs only commands and replies to its own messages" in said
    assert "/setprivacy" in said


# ------------------------------------------------------------------- the language


async def test_the_lines_are_in_chinese_for_a_chinese_locale(
    teamotp: Teamotp, place: Place, tg: FakeTelegram
) -> None:
    done = await asyncio.to_thread(
        teamotp, place, "check", env={**online(tg), "LANG": "zh_CN.UTF-8"}
    )
    lines = done.stdout.strip().splitlines()
    assert done.returncode == 0, done.stdout
    assert all(line.startswith("[通过] ") for line in lines[:-1]), done.stdout
    assert "配置有效（polling 模式）。" in lines[0]
    assert any("隐私模式已开启" in line for line in lines)
    assert lines[-1] == "全部检查通过。"


async def test_why_a_check_failed_is_in_chinese_for_a_chinese_locale(
    teamotp: Teamotp, place: Place, tmp_path: Path
) -> None:
    """The reasons come from the catalog, as the settings and the store name them: no
    English sentence in a Chinese operator's report."""
    zh = {"LANG": "zh_CN.UTF-8"}
    bad = await asyncio.to_thread(
        teamotp, place, "check", env={**zh, "TEAMOTP_LISTEN_PORT": "99999"}
    )
    assert bad.returncode == 1
    assert "[失败] 配置有误：TEAMOTP_LISTEN_PORT 必须是 1-65535 之间的端口号" in bad.stdout

    webhook = await asyncio.to_thread(
        teamotp, place, "check", "--offline", env={**zh, "TEAMOTP_MODE": "webhook"}
    )
    first = webhook.stdout.splitlines()[0]
    assert first.startswith("[失败] 配置有误：未设置 TEAMOTP_BOT_TOKEN："), first
    assert "；未设置 TEAMOTP_WEBHOOK_URL：webhook 模式需要" in first

    nowhere = Place("postgresql+psycopg://teamotp:pa55word@127.0.0.1:9/teamotp", tmp_path)
    unreached = await asyncio.to_thread(
        teamotp, nowhere, "check", "--offline", env={**zh, "TEAMOTP_BOT_TOKEN": "1:x"}
    )
    assert (
        "[失败] 数据库：无法打开数据库 postgresql+psycopg://teamotp:***@127.0.0.1:9/teamotp："
        in unreached.stdout
    )
    assert "pa55word" not in unreached.stdout + unreached.stderr

    place.key_file.unlink()
    no_key = await asyncio.to_thread(
        teamotp, place, "check", "--offline", env={**zh, "TEAMOTP_BOT_TOKEN": "1:x"}
    )
    missing = f"[失败] 主密钥：主密钥文件 {place.key_file} 不存在，但数据库是用密钥写入的"
    assert missing in no_key.stdout
    for english in ("must be", "is not set", "cannot open", "is missing"):
        assert english not in bad.stdout + webhook.stdout + unreached.stdout + no_key.stdout

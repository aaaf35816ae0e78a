"""`teamotp run` as an operator runs it: a real subprocess, configured by its environment
and `.env`, talking to the fake Bot API server over HTTP.

It refuses to start with a one-line reason (missing token, unusable database, a master
key that does not match the store, malformed settings), registers its command menu,
logs the claim code when nobody owns it, and stops within seconds of SIGTERM or Ctrl-C.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import sqlite3
import stat
import sys
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from storage.crypto import SecretBox, encode_master_key
from storage.database import open_store
from tests.e2e.conftest import SECRET
from tests.fake_telegram import FakeTelegram
from tests.file_modes import held_to_file_modes

START_TIMEOUT = 30.0  # a cold interpreter importing the Telegram library
STOP_DEADLINE = 5.0  # `docker stop` waits 10 s before it kills
# The console script pip installed next to this interpreter: what operators (and the
# container's ENTRYPOINT) run. Not `python -m teamotp`, which would import a `bot` or
# `storage` from the working directory before this project's packages.
TEAMOTP = Path(sys.executable).with_name("teamotp")


def clean_environment(**settings: str) -> dict[str, str]:
    """This process's environment without any TEAMOTP_ variable, plus `settings`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TEAMOTP_")}
    env["PYTHONUNBUFFERED"] = "1"
    env.update(settings)
    return env


@pytest.fixture
def bot_env(tg: FakeTelegram, tmp_path: Path) -> dict[str, str]:
    return clean_environment(
        TEAMOTP_BOT_TOKEN=tg.token,
        TEAMOTP_API_URL=tg.api_url,
        TEAMOTP_DATA_DIR=str(tmp_path / "data"),
        TEAMOTP_OWNER_IDS="4242",
    )


async def spawn(
    env: dict[str, str], cwd: Path, *, file_modes: bool = False
) -> asyncio.subprocess.Process:
    """`teamotp run` as an operator starts it; stderr is what the tests read. With
    `file_modes`, held to files' modes also when the tests run as root."""
    command = held_to_file_modes(str(TEAMOTP), "run") if file_modes else [str(TEAMOTP), "run"]
    return await asyncio.create_subprocess_exec(
        *command,
        env=env,
        cwd=cwd,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )


async def run_to_exit(
    env: dict[str, str], cwd: Path, *, file_modes: bool = False
) -> tuple[int, list[str]]:
    """Run `teamotp run` that is expected to stop by itself; its exit code and stderr lines."""
    process = await spawn(env, cwd, file_modes=file_modes)
    try:
        _, stderr = await asyncio.wait_for(process.communicate(), START_TIMEOUT)
    except TimeoutError:
        process.kill()
        await process.wait()
        raise AssertionError("teamotp run did not stop by itself") from None
    assert process.returncode is not None
    return process.returncode, stderr.decode().splitlines()


class Running:
    """A `teamotp run` subprocess; its stderr is collected as it comes."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.lines: list[str] = []
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        assert self.process.stderr is not None
        async for raw in self.process.stderr:
            self.lines.append(raw.decode(errors="replace").rstrip("\n"))

    @property
    def stderr(self) -> str:
        return "\n".join(self.lines)

    async def stop(self, signum: int = signal.SIGTERM) -> tuple[int, float]:
        """Send `signum`; the exit code and the seconds it took to exit."""
        started = time.monotonic()
        self.process.send_signal(signum)
        try:
            code = await asyncio.wait_for(self.process.wait(), STOP_DEADLINE * 3)
        except TimeoutError:
            self.process.kill()
            await self.process.wait()
            raise AssertionError(f"still running {STOP_DEADLINE * 3} s after {signum!r}") from None
        await self._reader
        return code, time.monotonic() - started


@pytest.fixture
async def launch(tg: FakeTelegram, tmp_path: Path) -> AsyncIterator[Callable[..., Any]]:
    """Start `teamotp run` and wait until it polls the fake server; killed at the end."""
    started: list[Running] = []

    async def start(env: dict[str, str], cwd: Path = tmp_path) -> Running:
        launched_at = time.time()
        process = await spawn(env, cwd)
        running = Running(process)
        started.append(running)
        try:
            await tg.wait_for(
                "getUpdates", where=lambda c: c.time >= launched_at, timeout=START_TIMEOUT
            )
        except AssertionError:
            raise AssertionError(f"the bot never polled; its stderr:\n{running.stderr}") from None
        return running

    yield start
    for running in started:
        if running.process.returncode is None:
            running.process.kill()
            await running.process.wait()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(running._reader, 5)


def assert_one_line(lines: list[str], *expected: str) -> str:
    assert len(lines) == 1, "expected one line on stderr, got:\n" + "\n".join(lines)
    line = lines[0]
    assert line.startswith("teamotp: "), line
    assert "Traceback" not in line
    for part in expected:
        assert part in line, line
    return line


def dump(database: Path) -> list[str]:
    with contextlib.closing(sqlite3.connect(database)) as raw:
        return list(raw.iterdump())


# ------------------------------------------------------------------ refusing to start


async def test_missing_token_exits_with_one_line(tmp_path: Path) -> None:
    env = clean_environment(TEAMOTP_DATA_DIR=str(tmp_path / "data"))
    code, lines = await run_to_exit(env, tmp_path)
    assert code != 0
    assert_one_line(lines, "TEAMOTP_BOT_TOKEN is not set", "@BotFather")


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("nosuchdb://user@host/db", "TEAMOTP_DATABASE_URL is not a usable database URL"),
        ("sqlite:////nonexistent-teamotp-dir/sub/teamotp.db", "cannot open the database"),
    ],
)
async def test_unusable_database_url_exits_with_one_line(
    bot_env: dict[str, str], tmp_path: Path, url: str, reason: str
) -> None:
    code, lines = await run_to_exit({**bot_env, "TEAMOTP_DATABASE_URL": url}, tmp_path)
    assert code != 0
    assert_one_line(lines, reason)


async def test_database_password_is_not_shown_when_it_cannot_connect(
    bot_env: dict[str, str], tmp_path: Path
) -> None:
    url = "postgresql+psycopg://teamotp:hunter2secret@127.0.0.1:1/teamotp"
    code, lines = await run_to_exit({**bot_env, "TEAMOTP_DATABASE_URL": url}, tmp_path)
    assert code != 0
    line = assert_one_line(lines)
    assert "hunter2secret" not in line


async def test_master_key_that_does_not_match_the_store_changes_nothing(
    bot_env: dict[str, str], tmp_path: Path
) -> None:
    data = tmp_path / "data"
    database = data / "teamotp.db"
    right = encode_master_key(SecretBox.generate_key())
    wrong = encode_master_key(SecretBox.generate_key())
    data.mkdir()
    store = open_store(f"sqlite:///{database}", right, data / "master.key")
    store.close()
    before, rows = database.read_bytes(), dump(database)

    for env in (
        {**bot_env, "TEAMOTP_MASTER_KEY": wrong},
        {**bot_env, "TEAMOTP_MASTER_KEY_FILE": str(_key_file(tmp_path / "other.key", wrong))},
    ):
        code, lines = await run_to_exit(env, tmp_path)
        assert code != 0
        line = assert_one_line(lines, "master key does not match the store", "nothing was changed")
        assert wrong not in line
        assert database.read_bytes() == before
        assert dump(database) == rows
    assert not (data / "master.key").exists(), "no key file may be made for a keyed store"


async def test_missing_key_file_for_a_keyed_store_exits_with_one_line(
    bot_env: dict[str, str], tmp_path: Path
) -> None:
    data = tmp_path / "data"
    data.mkdir()
    open_store(f"sqlite:///{data / 'teamotp.db'}", None, data / "master.key").close()
    (data / "master.key").unlink()
    code, lines = await run_to_exit(bot_env, tmp_path)
    assert code != 0
    assert_one_line(lines, "master key file", "is missing", "TEAMOTP_MASTER_KEY")
    assert not (data / "master.key").exists()


def _garbage(path: Path) -> None:
    path.write_bytes(b"\xff\xfe not a key \x00")


def _directory(path: Path) -> None:
    path.mkdir()


def _dangling_link(path: Path) -> None:
    """A link to a key file that was moved away (or a volume that is not mounted)."""
    path.symlink_to(path.with_name("moved-away.key"))


@pytest.mark.parametrize("data_dir_there", [False, True], ids=["new-data-dir", "empty-data-dir"])
@pytest.mark.parametrize(
    ("make_key_file", "reason"),
    [
        (_directory, "is a directory, not a file"),
        (_garbage, "does not hold a base64 32-byte key"),
        (_dangling_link, "is a symbolic link to"),
    ],
    ids=["directory", "garbage", "dangling-link"],
)
async def test_unusable_key_file_on_first_start_exits_with_one_line_and_leaves_nothing(
    bot_env: dict[str, str],
    tmp_path: Path,
    make_key_file: Callable[[Path], None],
    reason: str,
    data_dir_there: bool,
) -> None:
    """Checked as root too: root reads any file, but not a directory or a missing one."""
    data = tmp_path / "data"
    if data_dir_there:
        data.mkdir()
    key_file = tmp_path / "master.key"
    make_key_file(key_file)
    env = {**bot_env, "TEAMOTP_MASTER_KEY_FILE": str(key_file)}
    code, lines = await run_to_exit(env, tmp_path)
    assert code == 2
    line = assert_one_line(lines, str(key_file), reason)
    assert "not a key" not in line
    if data_dir_there:
        assert list(data.iterdir()) == [], "no database file may be left behind"
    else:
        assert not data.exists(), "no half-made store may be left behind"
    assert not (tmp_path / "moved-away.key").exists(), "no key may be made at the link's end"


async def test_key_file_the_bot_may_not_read_on_first_start_exits_with_one_line_and_leaves_nothing(
    bot_env: dict[str, str], tmp_path: Path
) -> None:
    key_file = tmp_path / "master.key"
    key_file.write_text(encode_master_key(SecretBox.generate_key()) + "\n")
    key_file.chmod(0o000)
    try:
        code, lines = await run_to_exit(
            {**bot_env, "TEAMOTP_MASTER_KEY_FILE": str(key_file)}, tmp_path, file_modes=True
        )
    finally:
        key_file.chmod(0o600)
    assert code == 2
    assert_one_line(
        lines, f"cannot read the master key file {key_file}", "mode 0000", "readable by this user"
    )
    assert not (tmp_path / "data").exists(), "no half-made store may be left behind"


async def test_key_file_that_cannot_be_made_exits_with_one_line_and_leaves_nothing(
    bot_env: dict[str, str], tmp_path: Path
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the key file's folder should be\n")
    key_file = blocker / "master.key"
    code, lines = await run_to_exit({**bot_env, "TEAMOTP_MASTER_KEY_FILE": str(key_file)}, tmp_path)
    assert code != 0
    assert_one_line(lines, f"cannot create the master key file {key_file}")
    assert not (tmp_path / "data").exists(), "no half-made store may be left behind"


async def test_key_file_that_is_a_directory_for_a_keyed_store_changes_nothing(
    bot_env: dict[str, str], tmp_path: Path
) -> None:
    data = tmp_path / "data"
    data.mkdir()
    database = data / "teamotp.db"
    open_store(f"sqlite:///{database}", None, data / "master.key").close()
    rows = dump(database)
    (data / "master.key").unlink()
    (data / "master.key").mkdir()
    code, lines = await run_to_exit(bot_env, tmp_path)
    assert code != 0
    assert_one_line(lines, "is a directory, not a file")
    assert dump(database) == rows


async def test_store_the_bot_may_only_read_exits_with_one_line_and_changes_nothing(
    bot_env: dict[str, str], tmp_path: Path
) -> None:
    """Opened read-only (as a file the bot's user may not write is): refused at start, not
    at the first code request."""
    data = tmp_path / "data"
    data.mkdir()
    database = data / "teamotp.db"
    open_store(f"sqlite:///{database}", None, data / "master.key").close()
    rows = dump(database)
    url = f"sqlite:///file:{database}?mode=ro&uri=true"
    code, lines = await run_to_exit({**bot_env, "TEAMOTP_DATABASE_URL": url}, tmp_path)
    assert code != 0
    assert_one_line(lines, "cannot write the database", "readonly", "permissions")
    assert dump(database) == rows


async def test_store_file_without_write_permission_exits_with_one_line(
    bot_env: dict[str, str], tmp_path: Path
) -> None:
    data = tmp_path / "data"
    data.mkdir()
    database = data / "teamotp.db"
    open_store(f"sqlite:///{database}", None, data / "master.key").close()
    database.chmod(0o400)
    code, lines = await run_to_exit(bot_env, tmp_path, file_modes=True)
    assert code != 0
    assert_one_line(lines, "the database")


async def test_key_file_without_read_permission_exits_with_one_line(
    bot_env: dict[str, str], tmp_path: Path
) -> None:
    data = tmp_path / "data"
    data.mkdir()
    open_store(f"sqlite:///{data / 'teamotp.db'}", None, data / "master.key").close()
    (data / "master.key").chmod(0o000)
    code, lines = await run_to_exit(bot_env, tmp_path, file_modes=True)
    assert code != 0
    assert_one_line(lines, "cannot read the master key file", "readable by this user")


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("TEAMOTP_OWNER_IDS", "12,abc"),
        ("TEAMOTP_MASTER_KEY", "too-short"),  # the rest: tests/test_config.py
    ],
)
async def test_malformed_setting_exits_with_one_line_naming_it(
    bot_env: dict[str, str], tmp_path: Path, name: str, value: str
) -> None:
    code, lines = await run_to_exit({**bot_env, name: value}, tmp_path)
    assert code != 0
    line = assert_one_line(lines, name)
    assert value not in line


async def test_token_refused_by_telegram_exits_with_one_line(
    tg: FakeTelegram, bot_env: dict[str, str], tmp_path: Path
) -> None:
    wrong_token = "987654321:AA-wrong-test-token"
    code, lines = await run_to_exit({**bot_env, "TEAMOTP_BOT_TOKEN": wrong_token}, tmp_path)
    assert code != 0
    # The store was set up before Telegram was asked: the key file's warning may come first.
    logged = [line for line in lines if " WARNING storage.keys: " in line]
    line = assert_one_line([line for line in lines if line not in logged], "TEAMOTP_BOT_TOKEN")
    assert "refused" in line
    assert wrong_token not in line
    assert wrong_token.split(":")[1] not in line


@pytest.mark.parametrize("url", ["ftp://127.0.0.1:9", "api.telegram.org", "http://"])
async def test_malformed_api_url_exits_with_one_line(
    bot_env: dict[str, str], tmp_path: Path, url: str
) -> None:
    code, lines = await run_to_exit({**bot_env, "TEAMOTP_API_URL": url}, tmp_path)
    assert code != 0
    assert_one_line(lines, "TEAMOTP_API_URL")


RETRYING = "cannot reach the Telegram Bot API at TEAMOTP_API_URL"


async def wait_for_lines(running: Running, needle: str, count: int) -> list[str]:
    async with asyncio.timeout(START_TIMEOUT):
        while len(found := [line for line in running.lines if needle in line]) < count:  # noqa: ASYNC110 - lines come from a reader task
            await asyncio.sleep(0.05)
    return found


async def spawn_running(env: dict[str, str], cwd: Path) -> Running:
    return Running(await spawn(env, cwd))


async def test_unreachable_bot_api_is_retried_and_sigterm_stops_the_wait(
    bot_env: dict[str, str], tmp_path: Path
) -> None:
    env = {**bot_env, "TEAMOTP_API_URL": "http://127.0.0.1:9"}  # nothing listens there
    running = await spawn_running(env, tmp_path)
    try:
        first, second = await wait_for_lines(running, RETRYING, 2)
        assert "ConnectError" in first
        assert "next attempt in 1 s" in first
        assert "next attempt in 2 s" in second
        code, took = await running.stop(signal.SIGTERM)
    finally:
        if running.process.returncode is None:
            running.process.kill()
    assert code == 0, running.stderr
    assert took < STOP_DEADLINE
    assert "Traceback" not in running.stderr
    assert env["TEAMOTP_BOT_TOKEN"].split(":")[1] not in running.stderr


async def test_a_server_that_is_not_the_bot_api_is_retried_without_blaming_the_token(
    bot_env: dict[str, str], tmp_path: Path
) -> None:
    async def answer_html(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        page = b"<html><body>Welcome to nginx!</body></html>"
        writer.write(
            b"HTTP/1.1 404 Not Found\r\nContent-Type: text/html\r\n"
            + b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(page)
            + page
        )
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(answer_html, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        env = {**bot_env, "TEAMOTP_API_URL": f"http://127.0.0.1:{port}"}
        running = await spawn_running(env, tmp_path)
        try:
            first, _ = await wait_for_lines(running, RETRYING, 2)
            code, _ = await running.stop(signal.SIGTERM)
        finally:
            if running.process.returncode is None:
                running.process.kill()
    assert "Not Found (404), and the reply is not Bot API JSON" in first
    assert "nginx" not in running.stderr
    assert "token" not in running.stderr.lower()
    assert "Traceback" not in running.stderr
    assert code == 0


async def test_bot_api_failing_at_start_is_waited_for_and_then_served(
    tg: FakeTelegram, bot_env: dict[str, str], launch: Callable[..., Any]
) -> None:
    tg.fail("getMe", status=502, times=2)
    running = await launch(bot_env)
    user = tg.user("olga")
    await tg.send(user, tg.private(user), "/start")
    reply = await tg.next_message(tg.private(user))
    assert str(user.id) in reply["text"]
    retried = [line for line in running.lines if RETRYING in line]
    assert len(retried) == 2
    assert "Bad Gateway" in retried[0]
    assert "next attempt in 1 s" in retried[0]
    assert "Traceback" not in running.stderr


# ------------------------------------------------------------------ running


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
async def test_running_bot_answers_and_stops_soon_after_signal(
    tg: FakeTelegram, bot_env: dict[str, str], launch: Callable[..., Any], signum: int
) -> None:
    running = await launch(bot_env)
    user = tg.user("olga")
    await tg.send(user, tg.private(user), "/start")
    reply = await tg.next_message(tg.private(user))
    assert str(user.id) in reply["text"]
    code, took = await running.stop(signum)
    assert code == 0, running.stderr
    assert took < STOP_DEADLINE, f"took {took:.1f} s to stop"
    assert "Traceback" not in running.stderr


async def test_start_registers_commands_in_english_and_chinese(
    tg: FakeTelegram, bot_env: dict[str, str], launch: Callable[..., Any]
) -> None:
    running = await launch(bot_env)
    english = tg.commands()
    chinese = tg.commands(language_code="zh")
    calls = tg.calls("setMyCommands")
    assert {c.params.get("language_code") for c in calls} == {None, "zh"}
    assert english
    assert chinese
    assert [c["command"] for c in english] == [c["command"] for c in chinese]
    names = {c["command"] for c in english}
    assert {"start", "help", "code", "accounts", "add", "revoke", "secret", "cancel"} <= names
    assert all(re.fullmatch(r"[a-z0-9_]{1,32}", c["command"]) for c in english)
    described = {c["command"]: c["description"] for c in english}
    assert described["code"].isascii()
    assert all(re.search(r"[\u4e00-\u9fff]", c["description"]) for c in chinese)
    await running.stop()


async def test_without_owner_the_claim_code_is_logged_once_and_works(
    tg: FakeTelegram, bot_env: dict[str, str], launch: Callable[..., Any]
) -> None:
    env = {k: v for k, v in bot_env.items() if k != "TEAMOTP_OWNER_IDS"}
    running = await launch(env)
    claims = re.findall(r"/claim (\S+)", running.stderr)
    # One code, told once in English and once in Chinese (which /help sends Chinese readers to).
    assert len(claims) == 2, running.stderr
    assert claims[0] == claims[1]
    assert f"Send /claim {claims[0]} to @" in running.stderr
    assert f"在私聊中向 @{tg.bot.username} 发送 /claim {claims[0]} 即可成为所有者" in running.stderr
    first, second = tg.user("first"), tg.user("second")
    answer = await _say(tg, second, "/claim WRONG-CODE")
    assert "claim code is wrong" in answer
    assert "You are now the owner" in await _say(tg, first, f"/claim {claims[0]}")
    assert "already has an owner" in await _say(tg, second, f"/claim {claims[0]}")
    await running.stop()
    assert len(re.findall(r"/claim \S+", running.stderr)) == 2


async def test_with_an_owner_no_claim_code_is_logged(
    bot_env: dict[str, str], launch: Callable[..., Any]
) -> None:
    running = await launch(bot_env)
    await running.stop()
    assert "/claim" not in running.stderr


async def test_first_run_creates_private_key_file_with_a_warning(
    tg: FakeTelegram, bot_env: dict[str, str], launch: Callable[..., Any], tmp_path: Path
) -> None:
    key_file = tmp_path / "data" / "master.key"
    running = await launch(bot_env)
    assert key_file.is_file()
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(key_file.parent.stat().st_mode) == 0o700
    assert "WARNING" in running.stderr
    assert f"Created a new master key file at {key_file}" in running.stderr
    assert "Keep a copy somewhere other than this server" in running.stderr
    key = key_file.read_text().strip()
    await running.stop()
    assert key not in running.stderr

    again = await launch(bot_env)  # the second run uses the file, silently
    await again.stop()
    assert "Created a new master key" not in again.stderr
    assert key_file.read_text().strip() == key


async def test_env_file_in_working_directory_is_read_and_environment_wins(
    tg: FakeTelegram, launch: Callable[..., Any], tmp_path: Path
) -> None:
    work = tmp_path / "work"
    work.mkdir()
    (work / ".env").write_text(
        "# teamotp settings\n"
        f"TEAMOTP_BOT_TOKEN={tg.token}\n"
        "TEAMOTP_API_URL=http://127.0.0.1:9\n"  # nothing listens there
        "TEAMOTP_OWNER_IDS=4242\n"
        "TEAMOTP_DATA_DIR=./state\n"
    )
    running = await launch(clean_environment(TEAMOTP_API_URL=tg.api_url), cwd=work)
    await running.stop()
    assert (work / "state" / "teamotp.db").is_file(), "TEAMOTP_DATA_DIR from .env"
    assert (work / "state" / "master.key").is_file()


async def test_neither_token_nor_secret_in_output_even_at_debug(
    tg: FakeTelegram, bot_env: dict[str, str], launch: Callable[..., Any]
) -> None:
    owner = tg.user("olga")
    env = {**bot_env, "TEAMOTP_LOG_LEVEL": "DEBUG", "TEAMOTP_OWNER_IDS": str(owner.id)}
    running = await launch(env)
    assert "Added amazon-us" in await _say(tg, owner, f"/secret add amazon-us {SECRET.lower()}")
    code = await tg.next_message(tg.private(owner))
    assert re.search(r"\b\d{6}\b", code["text"]), code["text"]  # the real clock: no exact code
    await running.stop()
    assert "DEBUG" in running.stderr, "the log level should be DEBUG"
    assert "getUpdates" in running.stderr, "the Telegram library logs at DEBUG"
    assert tg.token not in running.stderr
    assert tg.token.split(":", 1)[1] not in running.stderr
    assert SECRET not in running.stderr.upper()


async def _say(tg: FakeTelegram, user: Any, text: str) -> str:
    await tg.send(user, tg.private(user), text)
    return str((await tg.next_message(tg.private(user)))["text"])


def _key_file(path: Path, key: str) -> Path:
    path.write_text(key + "\n")
    path.chmod(0o600)
    return path


async def test_run_answers_codes_and_stops_soon_after_signal_in_the_middle_of_a_flood(
    tg: FakeTelegram, bot_env: dict[str, str], launch: Callable[..., Any]
) -> None:
    """Issue 7: three strangers flood the bot, under Telegram's flood control; a member's
    code is still answered within seconds, and SIGTERM in the middle of it all still
    stops `teamotp run` within the deadline."""
    owner, member = tg.user("olga"), tg.user("mia")
    tg.flood_control = True
    running = await launch({**bot_env, "TEAMOTP_OWNER_IDS": str(owner.id)})
    assert "Added amazon-us" in await _say(tg, owner, f"/secret add amazon-us {SECRET}")
    await tg.next_message(tg.private(owner))  # its code
    assert "is a member" in await _say(tg, owner, f"/add {member.id}")
    team, den = tg.group("Team"), tg.group("Den")
    await tg.add_bot_to_group(team, by=owner)
    await tg.next_message(team)  # "approved"
    strangers = [tg.user(name) for name in ("eve", "mallory", "trudy")]
    await tg.add_bot_to_group(den, by=strangers[0])
    # Telegram is slowing the bot down in the strangers' chats: replies there wait seconds.
    slowed = {stranger.id for stranger in strangers}
    tg.fail(
        "sendMessage",
        status=429,
        retry_after=4,
        times=1000,
        where=lambda params: params["chat_id"] in slowed,
    )

    async def burst(count: int) -> None:
        for n in range(count):
            for stranger in strangers:
                for place in (den, team, tg.private(stranger)):
                    await tg.send(stranger, place, ("/code", "/start", "/members")[n % 3])

    await burst(25)
    asked = time.monotonic()
    await tg.send(member, tg.private(member), "/code")
    while not any("🔑" in m.get("text", "") for m in tg.messages(tg.private(member))):
        assert time.monotonic() - asked < 5, "the member's code waited behind the flood"
        await asyncio.sleep(0.05)
    await burst(25)
    assert tg.pending_updates, "the bot should still be working through the flood"
    code, took = await running.stop(signal.SIGTERM)
    assert code == 0, running.stderr
    assert took < STOP_DEADLINE, f"took {took:.1f} s to stop"
    assert "Traceback" not in running.stderr, running.stderr

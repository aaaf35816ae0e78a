"""The README's hand-driven example, run through the playground with the real bot.

The lines are read from the README itself, so the example people are told to type
keeps working: an account added, a member added by reply, and that member getting a
valid code in the group while the owner is notified. And the playground as a newcomer
starts it (`python -m tests.fake_telegram`): a port that is taken is one line, and the
bot's log it names is still there after quitting.
"""

from __future__ import annotations

import asyncio
import io
import os
import re
import socket
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Protocol

import pyotp
import pytest

from tests.fake_telegram.playground import Playground

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
RUNS_FOR = 30.0  # a cold interpreter starting the playground, then the bot


def readme_example() -> list[str]:
    section = README.read_text(encoding="utf-8").split("## Try it by hand", 1)[1]
    block = re.search(r"```text\n(.*?)```", section, re.DOTALL)
    assert block is not None, "the README lost its playground example"
    return [line for line in block.group(1).splitlines() if line.strip()]


async def test_readme_playground_example_gives_member_a_code_and_tells_the_owner(
    tmp_path: Path,
) -> None:
    lines = readme_example()
    secret = re.search(r"/secret add \S+ (\S+)", lines[0])
    assert secret is not None
    out = io.StringIO()
    playground = Playground(data_dir=tmp_path / "data", out=out)
    await playground.start(port=0)
    try:
        fake = playground.fake
        for line in lines:
            typed_at = time.time()
            await playground.execute(line)
            if ": /" in line:  # a command: wait for its answer, as the person reading would
                async with asyncio.timeout(20):
                    while not [c for c in fake.calls("sendMessage") if c.time >= typed_at]:  # noqa: ASYNC110 - the fake sets no event for it
                        await asyncio.sleep(0.05)
        code = await fake.wait_for(
            "sendMessage", where=lambda c: "for bob" in str(c.params.get("text")), timeout=20
        )
        notice = await fake.wait_for(
            "sendMessage", where=lambda c: "Code request" in str(c.params.get("text"))
        )
    finally:
        await playground.stop()
    totp = pyotp.TOTP(secret.group(1))
    shown = re.search(r"<code>(\d{6})</code>", str(code.params["text"]))
    assert shown is not None
    assert shown.group(1) in {totp.at(code.time), totp.at(code.time - 30)}
    assert notice.params["chat_id"] == playground.owner.id
    assert "granted" in str(notice.params["text"])
    assert "bob" in str(notice.params["text"])
    assert fake.violations == []
    assert secret.group(1) not in out.getvalue()


async def test_playground_qr_line_adds_the_account_it_holds(tmp_path: Path) -> None:
    secret = "KRSXG5CTMVRXEZLUKRSXG5CTMVRXEZLU"
    out = io.StringIO()
    playground = Playground(data_dir=tmp_path / "data", out=out)
    await playground.start(port=0)
    try:
        await playground.execute(f"alice: qr otpauth://totp/Shop:me?secret={secret}&issuer=Shop")
        code = await playground.fake.wait_for(
            "sendMessage", where=lambda c: "<code>" in str(c.params.get("text")), timeout=20
        )
    finally:
        await playground.stop()
    assert "shop" in str(code.params["text"])
    assert "bot deleted message" in out.getvalue()
    assert secret not in out.getvalue()


# ------------------------------------------------- the playground as a newcomer runs it


class Session:
    """`python -m tests.fake_telegram ARGS` from the repository root, typed into line by
    line; temporary directories go to `tmp`, so what it leaves behind can be seen."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.out: list[str] = []

    async def type(self, line: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(f"{line}\n".encode())
        await self.process.stdin.drain()

    async def shows(self, part: str) -> str:
        """The first output line holding `part`, once printed."""
        assert self.process.stdout is not None
        async with asyncio.timeout(RUNS_FOR):
            for line in self.out:
                if part in line:
                    return line
            while raw := await self.process.stdout.readline():
                self.out.append(raw.decode().rstrip("\n"))
                if part in self.out[-1]:
                    return self.out[-1]
        raise AssertionError(f"never printed {part!r}:\n" + "\n".join(self.out))

    async def quit(self) -> tuple[int, str]:
        """`quit`; the exit code and everything printed (stdout, then stderr)."""
        await self.type("quit")
        stdout, stderr = await asyncio.wait_for(self.process.communicate(), RUNS_FOR)
        self.out += stdout.decode().splitlines()
        return self.process.returncode or 0, "\n".join(self.out) + "\n" + stderr.decode()


class Start(Protocol):
    async def __call__(self, *args: str) -> Session: ...


@pytest.fixture
async def playground(tmp_path: Path) -> AsyncIterator[Start]:
    started: list[asyncio.subprocess.Process] = []

    async def start(*args: str) -> Session:
        env = {**os.environ, "TMPDIR": str(tmp_path), "PYTHONUNBUFFERED": "1"}
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tests.fake_telegram",
            *args,
            cwd=ROOT,
            env=env,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        started.append(process)
        return Session(process)

    yield start
    for process in started:
        if process.returncode is None:
            process.kill()
            await process.wait()


@pytest.fixture
def taken_port() -> Iterator[int]:
    """A port on 127.0.0.1 another program listens on."""
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        yield int(other.getsockname()[1])


def read(path: Path) -> str | None:
    """The file's text; None when it is not there (any more)."""
    return path.read_text() if path.is_file() else None


def left_in(tmp_path: Path) -> list[Path]:
    return sorted(tmp_path.glob("teamotp-playground-*"))


async def test_a_taken_port_is_one_line_that_suggests_another_and_leaves_nothing(
    playground: Start, taken_port: int, tmp_path: Path
) -> None:
    session = await playground(f"--port={taken_port}")
    _, stderr = await asyncio.wait_for(session.process.communicate(), RUNS_FOR)
    assert session.process.returncode == 2
    lines = stderr.decode().splitlines()
    assert len(lines) == 1, "\n".join(lines)
    assert f"port {taken_port} is taken" in lines[0]
    assert "--port" in lines[0]
    assert "Traceback" not in lines[0]
    assert left_in(tmp_path) == [], "no temporary data directory is left behind"


def missing_paths(text: str, tmp_path: Path) -> list[Path]:
    """The paths under `tmp_path` that `text` names and that are not there."""
    named = [
        Path(found.rstrip(";,.")) for found in re.findall(rf"{re.escape(str(tmp_path))}/\S+", text)
    ]
    return [path for path in named if not path.exists()]


async def test_without_keep_no_path_is_printed_that_quitting_removes(
    playground: Start, tmp_path: Path
) -> None:
    session = await playground("--port=0")
    told = await session.shows("fake Telegram at")
    assert "--keep" in told
    await session.type("alice: /start")
    await session.shows("Your Telegram id")
    code, printed = await session.quit()
    assert code == 0
    assert missing_paths(printed, tmp_path) == [], printed
    assert left_in(tmp_path) == []


async def test_with_keep_the_bot_log_it_names_is_there_after_quitting(
    playground: Start, tmp_path: Path
) -> None:
    session = await playground("--port=0", "--keep")
    told = await session.shows("bot log: ")
    log = Path(told.split("bot log: ", 1)[1].split()[0].rstrip(";"))
    await session.type("alice: /start")
    await session.shows("Your Telegram id")
    code, printed = await session.quit()
    assert code == 0
    kept = read(log)
    assert kept is not None, printed
    assert "master key" in kept, "the bot's own output is in it"
    assert f"data kept in {log.parent}" in printed


async def test_the_log_of_a_bot_that_stopped_by_itself_is_kept_where_it_says(
    playground: Start, tmp_path: Path
) -> None:
    session = await playground(
        "--port=0", "--bot-cmd", f"{sys.executable} -c 'print(\"boom\"); raise SystemExit(3)'"
    )
    told = await session.shows("the bot exited with code 3")
    log = Path(told.split("kept in ", 1)[1])
    code, printed = await session.quit()
    assert code == 0
    assert (read(log) or "").strip() == "boom", printed

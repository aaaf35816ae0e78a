"""The README's first lines, run as a newcomer runs them: the install into a new virtual
environment, then `teamotp run` with a token, against the fake Bot API server. The
commands are read from the README, so the quick start cannot drift from what works.

The install is real (pip builds the project and takes its dependencies from the package
index, or from pip's cache), so this is the slowest test of the suite: a minute or two."""

from __future__ import annotations

import asyncio
import os
import re
import shlex
import shutil
import signal
import stat
import subprocess
from pathlib import Path

from tests.fake_telegram import FakeTelegram

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
INSTALL_TIMEOUT = 900.0  # a cold pip cache on a slow machine
START_TIMEOUT = 60.0


def quick_start() -> list[str]:
    """The commands of the README's "Run it" block, in order (split at `&&`)."""
    text = README.read_text(encoding="utf-8")
    block = re.search(r"\*\*Run it\*\*.*?```sh\n(.*?)```", text, re.DOTALL)
    assert block is not None, "the README lost its quick start"
    return [part.strip() for part in block.group(1).strip().split("&&")]


def checkout_into(target: Path) -> None:
    """The project as a clone has it: the files git tracks (the test's own tree, minus
    its virtual environment, data and caches, when there is no git)."""
    try:
        listed = subprocess.run(
            ["git", "ls-files", "-z"],  # noqa: S607 - git from the PATH, as a developer runs it
            cwd=ROOT,
            check=True,
            capture_output=True,
        ).stdout.decode()
    except (OSError, subprocess.CalledProcessError):
        ignore = shutil.ignore_patterns(".venv", "data", ".git", "__pycache__", "*.egg-info")
        shutil.copytree(ROOT, target, ignore=ignore)
        return
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)


def newcomers_environment() -> dict[str, str]:
    """This process's environment without what the suite itself set: no TEAMOTP_
    setting, and no virtual environment of ours on the PATH."""
    ours = os.environ.get("VIRTUAL_ENV")
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("TEAMOTP_", "PYTEST_", "VIRTUAL_ENV", "PYTHON"))
    }
    if ours:
        env["PATH"] = os.pathsep.join(
            part for part in env.get("PATH", "").split(os.pathsep) if not part.startswith(ours)
        )
    return env


async def run_step(command: str, cwd: Path, env: dict[str, str]) -> None:
    process = await asyncio.create_subprocess_exec(
        "/bin/sh",
        "-c",
        command,
        cwd=cwd,
        env=env,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        output, _ = await asyncio.wait_for(process.communicate(), INSTALL_TIMEOUT)
    except TimeoutError:
        process.kill()
        await process.wait()
        raise AssertionError(f"`{command}` took longer than {INSTALL_TIMEOUT:.0f} s") from None
    tail = output.decode(errors="replace")[-2000:]
    assert process.returncode == 0, f"`{command}` failed ({process.returncode}):\n{tail}"


async def test_the_readme_quick_start_installs_a_bot_that_answers_and_keeps_its_key(
    tg: FakeTelegram, tmp_path: Path
) -> None:
    *setup, start = quick_start()
    assert setup[0].startswith("python3 -m venv .venv"), setup
    assert any(step.startswith(".venv/bin/pip install") for step in setup), setup
    words = shlex.split(start)
    settings = dict(word.split("=", 1) for word in words if re.match(r"^[A-Z_]+=", word))
    command = [word for word in words if not re.match(r"^[A-Z_]+=", word)]
    assert command == [".venv/bin/teamotp", "run"], start
    assert set(settings) == {"TEAMOTP_BOT_TOKEN"}, "the quick start needs only a token"

    work = tmp_path / "teamotp"
    work.mkdir()
    checkout_into(work)
    env = newcomers_environment()
    for step in setup:
        await run_step(step, work, env)

    # The README's command, with the fake's token for the placeholder, and the fake in
    # the place of api.telegram.org.
    env.update(TEAMOTP_BOT_TOKEN=tg.token, TEAMOTP_API_URL=tg.api_url, PYTHONUNBUFFERED="1")
    process = await asyncio.create_subprocess_exec(
        *command,
        cwd=work,
        env=env,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        await tg.wait_for("getUpdates", timeout=START_TIMEOUT)
        someone = tg.user("newcomer")
        await tg.send(someone, tg.private(someone), "/start")
        reply = await tg.next_message(tg.private(someone))
        assert str(someone.id) in reply["text"], "/start shows the id to make an owner of"
        key = work / "data" / "master.key"
        assert key.is_file(), "the first run makes the key file it tells to copy away"
        assert stat.S_IMODE(key.stat().st_mode) == 0o600
        assert (work / "data" / "teamotp.db").is_file()
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(process.communicate(), START_TIMEOUT)
    log = stderr.decode(errors="replace")
    assert process.returncode == 0, log
    assert "master.key" in log, "the first run says where the key is, to copy it away"
    assert tg.token not in log

"""Long work on the server shows how far it is, on a terminal only: `teamotp backup` and
`teamotp accounts import` run with their standard error on a real pseudo-terminal, and
again on a pipe, where nothing of it may show (a log or a cron mail keeps the answer)."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

TEAMOTP = Path(sys.executable).with_name("teamotp")
LINKS = "\n".join(
    f"otpauth://totp/Shop:{name}?secret={secret}&issuer=Shop"
    for name, secret in (
        ("one", "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"),
        ("two", "KRSXG5CTMVRXEZLUKRSXG5CTMVRXEZLU"),
        ("three", "MFRGGZDFMZTWQ2LKNNWG23TPOBYXE43U"),
    )
)


@pytest.fixture
def environment(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TEAMOTP_", "LC_"))}
    env.update(TEAMOTP_DATA_DIR=str(tmp_path / "data"), LANG="C")
    return env


def teamotp(env: dict[str, str], *args: str, stdin: str = "", terminal: bool) -> str:
    """Run the command; what its standard error showed (a terminal's, or a pipe's)."""
    if not terminal:
        done = subprocess.run(  # noqa: S603 - this interpreter's teamotp, fixed arguments
            [TEAMOTP, *args], input=stdin, capture_output=True, text=True, env=env, timeout=60
        )
        assert done.returncode == 0, done.stderr
        return done.stderr
    ours, theirs = pty.openpty()
    try:
        process = subprocess.Popen(  # noqa: S603 - as above
            [TEAMOTP, *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=theirs,
            env=env,
        )
        os.close(theirs)
        process.communicate(stdin.encode(), timeout=60)
        assert process.returncode == 0
        shown = b""
        while True:
            try:
                chunk = os.read(ours, 4096)
            except OSError:  # the terminal's other end is closed: all was read
                break
            if not chunk:
                break
            shown += chunk
        return shown.decode()
    finally:
        os.close(ours)


def test_an_import_on_a_terminal_shows_how_many_accounts_are_done(
    environment: dict[str, str],
) -> None:
    shown = teamotp(environment, "accounts", "import", "--uri", "-", stdin=LINKS, terminal=True)
    assert "Importing: 3 of 3 accounts" in shown


def test_a_backup_on_a_terminal_shows_how_many_rows_are_copied(
    environment: dict[str, str], tmp_path: Path
) -> None:
    teamotp(environment, "accounts", "import", "--uri", "-", stdin=LINKS, terminal=False)
    shown = teamotp(environment, "backup", str(tmp_path / "copy.db"), terminal=True)
    last = shown.replace("\r\n", "\n").split("\r")[-1]
    assert last.startswith("Backing up: "), shown
    done, total = last.removeprefix("Backing up: ").split(" rows")[0].split(" of ")
    assert done == total
    assert int(total) >= 6  # three accounts, their audit rows, the settings


def test_on_a_pipe_nothing_of_the_progress_shows(
    environment: dict[str, str], tmp_path: Path
) -> None:
    shown = teamotp(environment, "accounts", "import", "--uri", "-", stdin=LINKS, terminal=False)
    assert "Importing" not in shown
    shown = teamotp(environment, "backup", str(tmp_path / "copy.db"), terminal=False)
    assert "Backing up" not in shown

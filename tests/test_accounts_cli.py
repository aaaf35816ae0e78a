"""`teamotp accounts ...`: the server-side way in.

Secrets come from standard input (out of the shell history) or from an image file,
never show up in the output, and the same rules hold as in Telegram. The commands run
in this process (`teamotp.cli.main` with the test's environment, standard input and
captured output); one smoke test runs the installed `teamotp` command as a subprocess.
"""

from __future__ import annotations

import base64
import io
import logging
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import pyotp
import pytest
import segno

from teamotp.cli import main
from tests.migration_payloads import TYPE_HOTP, Entry, encode_migration
from tests.store_files import (
    add_first_version_account,
    change_account,
    make_first_version_store,
    sealed_secrets,
)

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
OTHER_SECRET = "KRSXG5CTMVRXEZLUKRSXG5CTMVRXEZLU"
# The console script pip installed next to this interpreter: what operators run.
TEAMOTP = Path(sys.executable).with_name("teamotp")


@dataclass(frozen=True)
class Done:
    """What the operator sees: the exit code and both output streams."""

    returncode: int
    stdout: str
    stderr: str


class Teamotp(Protocol):
    def __call__(self, *args: str, stdin: str = "") -> Done: ...


@pytest.fixture
def teamotp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Iterator[Teamotp]:
    """`teamotp accounts ARGS` in process, set up as an operator's shell would be: only
    TEAMOTP_DATA_DIR and LANG from the environment, no `.env` in the working directory,
    `stdin` as standard input (a pipe, not a terminal). Logging is configured by the
    command for the whole process, so its levels and record factory are put back after."""
    for name in list(os.environ):
        if name.startswith("TEAMOTP_"):
            monkeypatch.delenv(name)
    monkeypatch.delenv("LC_ALL", raising=False)  # it would win over LANG
    monkeypatch.setenv("TEAMOTP_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("LANG", "C")
    monkeypatch.chdir(tmp_path)
    names = ("", "httpx", "apscheduler", "sqlalchemy")
    levels = {name: logging.getLogger(name).level for name in names}
    factory = logging.getLogRecordFactory()

    def run(*args: str, stdin: str = "") -> Done:
        capsys.readouterr()  # only this command's output
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        # As in a fresh process the root logger has no handler, so the command's own
        # logging setup sends its warnings to (captured) stderr, where an operator sees them.
        root = logging.getLogger()
        kept, root.handlers = root.handlers, []
        try:
            code = main(["accounts", *args])
        finally:
            for handler in root.handlers:
                handler.close()
            root.handlers = kept
        out, err = capsys.readouterr()
        return Done(code, out, err)

    yield run
    logging.setLogRecordFactory(factory)
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)


def codes_now(secret: str) -> set[str]:
    """The code now and a moment ago: the command may straddle a window boundary."""
    totp = pyotp.TOTP(secret)
    now = time.time()
    return {totp.at(now), totp.at(now - 5)}


def qr_file(tmp_path: Path, content: str) -> Path:
    path = tmp_path / "qr.png"
    buffer = io.BytesIO()
    segno.make(content, error="m").save(buffer, kind="png", scale=5)
    path.write_bytes(buffer.getvalue())
    return path


def test_add_reads_the_secret_from_stdin_and_prints_the_current_code(teamotp: Teamotp) -> None:
    done = teamotp("add", "amazon-us", "--secret", stdin=SECRET.lower() + "\n")
    assert done.returncode == 0, done.stderr
    assert "Added amazon-us" in done.stdout
    assert any(code in done.stdout for code in codes_now(SECRET))
    assert SECRET not in done.stdout + done.stderr
    listed = teamotp("list")
    assert "amazon-us" in listed.stdout
    assert SECRET not in listed.stdout


def test_add_from_an_otpauth_uri(teamotp: Teamotp) -> None:
    uri = f"otpauth://totp/Shop:me?secret={OTHER_SECRET}&issuer=Shop&digits=8&algorithm=SHA256"
    done = teamotp("add", "shop", "--uri", "-", stdin=uri)
    assert done.returncode == 0, done.stderr
    expected = pyotp.TOTP(OTHER_SECRET, digits=8, digest="sha256")
    assert any(expected.at(t) in done.stdout for t in (time.time(), time.time() - 5))
    assert "8 digits, 30 s, SHA256" in teamotp("list").stdout


def test_add_from_a_qr_image(teamotp: Teamotp, tmp_path: Path) -> None:
    image = qr_file(tmp_path, f"otpauth://totp/Amazon:me?secret={SECRET}&issuer=Amazon")
    done = teamotp("add", "amazon-us", "--qr", str(image))
    assert done.returncode == 0, done.stderr
    assert any(code in done.stdout for code in codes_now(SECRET))
    assert "amazon-us (Amazon)" in teamotp("list").stdout


def test_import_google_authenticator_export_from_stdin(teamotp: Teamotp) -> None:
    export = encode_migration(
        Entry(secret=base64.b32decode(SECRET), name="a@example.com", issuer="Amazon"),
        Entry(secret=base64.b32decode(OTHER_SECRET), name="b", issuer="Bank", type=TYPE_HOTP),
    )
    done = teamotp("import", "--uri", stdin=export)
    assert done.returncode == 0, done.stderr
    assert "Added amazon" in done.stdout
    assert "Bank" in done.stdout  # reported as skipped, with the reason
    assert "amazon" in teamotp("list").stdout
    assert "bank" not in teamotp("list").stdout


def test_bad_secret_is_refused_with_the_catalog_message_and_nothing_stored(
    teamotp: Teamotp,
) -> None:
    done = teamotp("add", "amazon-us", "--secret", stdin="not a secret, 0189")
    assert done.returncode == 1
    assert "not a valid secret" in done.stderr
    assert "No accounts yet" in teamotp("list").stdout


def test_same_secret_under_another_name_is_reported(teamotp: Teamotp) -> None:
    teamotp("add", "amazon-us", "--secret", stdin=SECRET)
    again = teamotp("add", "amazon-copy", "--secret", stdin=SECRET)
    assert again.returncode == 1
    assert "already stored as “amazon-us”" in again.stderr


@pytest.mark.parametrize("confirm", [False, True])
def test_remove_needs_yes_when_not_interactive(teamotp: Teamotp, confirm: bool) -> None:
    teamotp("add", "amazon-us", "--secret", stdin=SECRET)
    args = ["remove", "amazon-us", *(["--yes"] if confirm else [])]
    done = teamotp(*args)
    listed = teamotp("list").stdout
    if confirm:
        assert done.returncode == 0
        assert "Removed amazon-us" in done.stdout
        assert "amazon-us" not in listed
    else:
        assert done.returncode == 1
        assert "--yes" in done.stdout
        assert "amazon-us" in listed


def test_list_of_an_empty_store_names_the_command_that_adds_one(teamotp: Teamotp) -> None:
    done = teamotp("list")
    assert done.returncode == 0
    assert "/secret" not in done.stdout, "on the server, not a chat command"
    named = re.search(r"teamotp accounts (add NAME --secret)", done.stdout)
    assert named is not None, done.stdout
    args = named.group(1).replace("NAME", "amazon-us").split()
    assert teamotp(*args, stdin=SECRET).returncode == 0  # the command it names works
    assert "amazon-us" in teamotp("list").stdout


def test_chinese_locale_gets_chinese_messages(
    teamotp: Teamotp, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    assert "还没有账号" in teamotp("list").stdout


def test_a_chinese_operator_is_told_of_a_new_key_file_in_chinese(
    teamotp: Teamotp, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The store logs it; the command prints it as its own line, in the operator's words."""
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    done = teamotp("add", "amazon-us", "--secret", stdin=SECRET)
    assert done.returncode == 0, done.stderr
    key_file = tmp_path / "data" / "master.key"
    assert done.stderr.strip() == (
        f"teamotp：注意：已在 {key_file} 创建新的主密钥文件。请在这台服务器之外另存一份副本："
        "没有它，已存的密钥将无法读取。"
    )
    assert key_file.read_text().strip() not in done.stderr
    monkeypatch.setenv("LANG", "C")
    again = teamotp("add", "ebay", "--secret", stdin=OTHER_SECRET)
    assert again.stderr == "", "said once, when it was made"


def test_a_chinese_operator_is_told_which_stored_secrets_do_not_open_in_chinese(
    teamotp: Teamotp, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A first version's store, whose secrets are bound anew when it is first opened: two
    of them were swapped behind the bot's back and no longer open."""
    data = tmp_path / "data"
    make_first_version_store(data)
    add_first_version_account(data, "amazon-us", SECRET)
    add_first_version_account(data, "cloud", OTHER_SECRET)
    sealed = sealed_secrets(data)
    change_account(data, "amazon-us", "secret_sealed", sealed["cloud"])
    change_account(data, "cloud", "secret_sealed", sealed["amazon-us"])
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    done = teamotp("list")
    assert done.returncode == 0, done.stderr
    assert done.stderr.strip() == (
        "teamotp：注意：以下账号的已存密钥无法读取（在机器人之外被修改过）；"
        "请删除后重新添加：amazon-us、cloud"
    )
    assert SECRET not in done.stderr
    assert OTHER_SECRET not in done.stderr


def test_import_google_authenticator_export_from_a_qr_image(
    teamotp: Teamotp, tmp_path: Path
) -> None:
    export = encode_migration(
        Entry(secret=base64.b32decode(SECRET), name="a@example.com", issuer="Amazon"),
        Entry(secret=base64.b32decode(OTHER_SECRET), name="b@example.com", issuer="eBay"),
    )
    done = teamotp("import", "--qr", str(qr_file(tmp_path, export)))
    assert done.returncode == 0, done.stderr
    assert any(code in done.stdout for code in codes_now(SECRET))
    assert any(code in done.stdout for code in codes_now(OTHER_SECRET))
    listed = teamotp("list").stdout
    assert "amazon (Amazon)" in listed
    assert "ebay (eBay)" in listed
    assert SECRET not in done.stdout + done.stderr + listed


def test_unreadable_image_file_is_refused_and_nothing_stored(
    teamotp: Teamotp, tmp_path: Path
) -> None:
    done = teamotp("import", "--qr", str(tmp_path / "missing.png"))
    assert done.returncode == 1
    assert "Cannot read the file" in done.stderr
    assert "No accounts yet" in teamotp("list").stdout


def test_installed_command_ignores_look_alike_modules_in_the_working_directory(
    tmp_path: Path,
) -> None:
    """The one real process: the `teamotp` command as installed. This project's top-level
    packages are `bot` and `storage`; `python -m teamotp` would put the working directory
    first on the import path, so a `storage.py` or a `bot/` there would be imported instead.
    The installed command does not look in the working directory."""
    work = tmp_path / "work"
    (work / "bot").mkdir(parents=True)
    trap = 'raise ImportError("imported from the working directory")\n'
    (work / "storage.py").write_text(trap)
    (work / "bot" / "__init__.py").write_text(trap)
    done = subprocess.run(  # noqa: S603 - our own entry point, fixed arguments
        [str(TEAMOTP), "accounts", "add", "amazon-us", "--secret"],
        input=SECRET + "\n",
        capture_output=True,
        text=True,
        env={"TEAMOTP_DATA_DIR": str(tmp_path / "data"), "LANG": "C"},
        cwd=work,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "Added amazon-us" in done.stdout
    assert any(code in done.stdout for code in codes_now(SECRET))
    assert SECRET not in done.stdout + done.stderr


def test_list_marks_an_account_changed_outside_the_bot(teamotp: Teamotp, tmp_path: Path) -> None:
    teamotp("add", "amazon-us", "--secret", stdin=SECRET)
    teamotp("add", "shop", "--secret", stdin=OTHER_SECRET)
    change_account(tmp_path / "data", "amazon-us", "period", 60)
    lines = teamotp("list").stdout.splitlines()
    (amazon,) = [line for line in lines if "amazon-us" in line]
    (shop,) = [line for line in lines if "shop" in line]
    assert "cannot be read: changed outside the bot, re-add it" in amazon
    assert "cannot be read" not in shop
    done = teamotp("add", "third", "--secret", stdin="MFRGGZDFMZTWQ2LKNNWG23TPOBYXE43U")
    assert done.returncode == 0, done.stderr

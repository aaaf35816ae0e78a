"""`teamotp accounts ...`: the server-side way in, run as real subprocesses.

Secrets come from standard input (out of the shell history) or from an image file,
never show up in the output, and the same rules hold as in Telegram.
"""

from __future__ import annotations

import base64
import io
import subprocess
import sys
import time
from pathlib import Path

import pyotp
import pytest
import segno

from tests.migration_payloads import TYPE_HOTP, Entry, encode_migration

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
OTHER_SECRET = "KRSXG5CTMVRXEZLUKRSXG5CTMVRXEZLU"


def teamotp(tmp_path: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {"TEAMOTP_DATA_DIR": str(tmp_path / "data"), "LANG": "C"}
    return subprocess.run(  # noqa: S603 - our own entry point, fixed arguments
        [sys.executable, "-m", "teamotp", "accounts", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=60,
        check=False,
    )


def codes_now(secret: str) -> set[str]:
    """The code now and a moment ago: the subprocess may straddle a window boundary."""
    totp = pyotp.TOTP(secret)
    now = time.time()
    return {totp.at(now), totp.at(now - 5)}


def qr_file(tmp_path: Path, content: str) -> Path:
    path = tmp_path / "qr.png"
    buffer = io.BytesIO()
    segno.make(content, error="m").save(buffer, kind="png", scale=5)
    path.write_bytes(buffer.getvalue())
    return path


def test_add_reads_the_secret_from_stdin_and_prints_the_current_code(tmp_path: Path) -> None:
    done = teamotp(tmp_path, "add", "amazon-us", "--secret", stdin=SECRET.lower() + "\n")
    assert done.returncode == 0, done.stderr
    assert "Added amazon-us" in done.stdout
    assert any(code in done.stdout for code in codes_now(SECRET))
    assert SECRET not in done.stdout + done.stderr
    listed = teamotp(tmp_path, "list")
    assert "amazon-us" in listed.stdout
    assert SECRET not in listed.stdout


def test_add_from_an_otpauth_uri(tmp_path: Path) -> None:
    uri = f"otpauth://totp/Shop:me?secret={OTHER_SECRET}&issuer=Shop&digits=8&algorithm=SHA256"
    done = teamotp(tmp_path, "add", "shop", "--uri", "-", stdin=uri)
    assert done.returncode == 0, done.stderr
    expected = pyotp.TOTP(OTHER_SECRET, digits=8, digest="sha256")
    assert any(expected.at(t) in done.stdout for t in (time.time(), time.time() - 5))
    assert "8 digits, 30 s, SHA256" in teamotp(tmp_path, "list").stdout


def test_add_from_a_qr_image(tmp_path: Path) -> None:
    image = qr_file(tmp_path, f"otpauth://totp/Amazon:me?secret={SECRET}&issuer=Amazon")
    done = teamotp(tmp_path, "add", "amazon-us", "--qr", str(image))
    assert done.returncode == 0, done.stderr
    assert any(code in done.stdout for code in codes_now(SECRET))
    assert "amazon-us (Amazon)" in teamotp(tmp_path, "list").stdout


def test_import_google_authenticator_export_from_stdin(tmp_path: Path) -> None:
    export = encode_migration(
        Entry(secret=base64.b32decode(SECRET), name="a@example.com", issuer="Amazon"),
        Entry(secret=base64.b32decode(OTHER_SECRET), name="b", issuer="Bank", type=TYPE_HOTP),
    )
    done = teamotp(tmp_path, "import", "--uri", stdin=export)
    assert done.returncode == 0, done.stderr
    assert "Added amazon" in done.stdout
    assert "Bank" in done.stdout  # reported as skipped, with the reason
    assert "amazon" in teamotp(tmp_path, "list").stdout
    assert "bank" not in teamotp(tmp_path, "list").stdout


def test_bad_secret_is_refused_with_the_catalog_message_and_nothing_stored(
    tmp_path: Path,
) -> None:
    done = teamotp(tmp_path, "add", "amazon-us", "--secret", stdin="not a secret!")
    assert done.returncode == 1
    assert "not a valid secret" in done.stderr
    assert "No accounts yet" in teamotp(tmp_path, "list").stdout


def test_same_secret_under_another_name_is_reported(tmp_path: Path) -> None:
    teamotp(tmp_path, "add", "amazon-us", "--secret", stdin=SECRET)
    again = teamotp(tmp_path, "add", "amazon-copy", "--secret", stdin=SECRET)
    assert again.returncode == 1
    assert "already stored as “amazon-us”" in again.stderr


@pytest.mark.parametrize("confirm", [False, True])
def test_remove_needs_yes_when_not_interactive(tmp_path: Path, confirm: bool) -> None:
    teamotp(tmp_path, "add", "amazon-us", "--secret", stdin=SECRET)
    args = ["remove", "amazon-us", *(["--yes"] if confirm else [])]
    done = teamotp(tmp_path, *args)
    listed = teamotp(tmp_path, "list").stdout
    if confirm:
        assert done.returncode == 0
        assert "Removed amazon-us" in done.stdout
        assert "amazon-us" not in listed
    else:
        assert done.returncode == 1
        assert "--yes" in done.stdout
        assert "amazon-us" in listed


def test_chinese_locale_gets_chinese_messages(tmp_path: Path) -> None:
    env_done = subprocess.run(
        [sys.executable, "-m", "teamotp", "accounts", "list"],
        capture_output=True,
        text=True,
        env={"TEAMOTP_DATA_DIR": str(tmp_path / "data"), "LANG": "zh_CN.UTF-8"},
        cwd=tmp_path,
        timeout=60,
        check=False,
    )
    assert "还没有账号" in env_done.stdout


def test_import_google_authenticator_export_from_a_qr_image(tmp_path: Path) -> None:
    export = encode_migration(
        Entry(secret=base64.b32decode(SECRET), name="a@example.com", issuer="Amazon"),
        Entry(secret=base64.b32decode(OTHER_SECRET), name="b@example.com", issuer="eBay"),
    )
    done = teamotp(tmp_path, "import", "--qr", str(qr_file(tmp_path, export)))
    assert done.returncode == 0, done.stderr
    assert any(code in done.stdout for code in codes_now(SECRET))
    assert any(code in done.stdout for code in codes_now(OTHER_SECRET))
    listed = teamotp(tmp_path, "list").stdout
    assert "amazon (Amazon)" in listed
    assert "ebay (eBay)" in listed
    assert SECRET not in done.stdout + done.stderr + listed


def test_unreadable_image_file_is_refused_and_nothing_stored(tmp_path: Path) -> None:
    done = teamotp(tmp_path, "import", "--qr", str(tmp_path / "missing.png"))
    assert done.returncode == 1
    assert "Cannot read the file" in done.stderr
    assert "No accounts yet" in teamotp(tmp_path, "list").stdout

"""Where the master key comes from: the environment, or a key file made on first run."""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

from storage.crypto import SecretBox, decode_master_key, encode_master_key

logger = logging.getLogger(__name__)


class MasterKeyError(Exception):
    """The master key cannot be had; the message says what to do."""


def load_master_key(env_value: str | None, key_file: Path, *, may_create: bool) -> bytes:
    """Return the key from TEAMOTP_MASTER_KEY, else from the key file.

    The file is only created when the store has never held a key check value:
    making a fresh key for a store written with another one would only turn a
    clear "key file missing" into a confusing "wrong key" on every later start.
    """
    if env_value is not None:
        try:
            return decode_master_key(env_value)
        except ValueError:
            raise MasterKeyError("TEAMOTP_MASTER_KEY must be 32 bytes, base64-encoded") from None
    if key_file.exists() or key_file.is_symlink():
        return read_key_file(key_file)
    if not may_create:
        raise MasterKeyError(
            f"the master key file {key_file} is missing, but the store was written with a key: "
            "restore the file or set TEAMOTP_MASTER_KEY"
        )
    key = SecretBox.generate_key()
    try:
        key_file.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError as error:
        raise MasterKeyError(
            f"cannot create the master key file {key_file}: {error.strerror}; "
            "check TEAMOTP_MASTER_KEY_FILE and its folder's permissions"
        ) from None
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(encode_master_key(key) + "\n")
    logger.warning(
        "Created a new master key file at %s. Keep a copy somewhere other than this "
        "server: without it the stored secrets cannot be read.",
        key_file,
    )
    return key


def read_key_file(key_file: Path) -> bytes:
    """The key in the file; a one-line reason when it cannot be read (a directory, no
    permission) or does not hold a key. The reason never quotes the file's content."""
    if key_file.is_dir():
        raise MasterKeyError(
            f"the master key file {key_file} is a directory, not a file: "
            "point TEAMOTP_MASTER_KEY_FILE at the key file"
        )
    if key_file.is_symlink() and not key_file.exists():
        # Not made at the link's end either: a new key there would be one nobody kept.
        raise MasterKeyError(
            f"the master key file {key_file} is a symbolic link to {os.readlink(key_file)}, "
            "where there is no file: point TEAMOTP_MASTER_KEY_FILE at the key file"
        )
    try:
        content = key_file.read_text(encoding="ascii")
    except UnicodeDecodeError:
        content = ""
    except PermissionError as error:
        raise MasterKeyError(
            f"cannot read the master key file {key_file}: {error.strerror} "
            f"({_owner_and_mode(key_file)}); it must be readable by this user "
            f"(uid {os.getuid()})"
        ) from None
    except OSError as error:
        raise MasterKeyError(
            f"cannot read the master key file {key_file}: {error.strerror}; "
            f"it must be readable by this user (uid {os.getuid()})"
        ) from None
    try:
        return decode_master_key(content)
    except ValueError:
        raise MasterKeyError(
            f"the master key file {key_file} does not hold a base64 32-byte key"
        ) from None


def _owner_and_mode(path: Path) -> str:
    """Whose the file is and its mode: what the operator changes to let the bot read it."""
    try:
        status = path.stat()
    except OSError:
        return "its owner and mode unknown"
    return f"owned by uid {status.st_uid}, mode {stat.S_IMODE(status.st_mode):04o}"

"""Where the master key comes from: the environment, or a key file made on first run."""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

from storage.crypto import SecretBox, decode_master_key, encode_master_key
from storage.logged import keyed

logger = logging.getLogger(__name__)


class MasterKeyError(Exception):
    """The master key cannot be had; the message says what to do. `key` and `params` name
    the same words in the message catalog (see `storage.database.StoreError`)."""

    def __init__(self, message: str, key: str, **params: object) -> None:
        super().__init__(message)
        self.key = key
        self.params = params


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
            raise MasterKeyError(
                "TEAMOTP_MASTER_KEY must be 32 bytes, base64-encoded", "key.bad_env"
            ) from None
    if key_file.exists() or key_file.is_symlink():
        return read_key_file(key_file)
    if not may_create:
        raise MasterKeyError(
            f"the master key file {key_file} is missing, but the store was written with a key: "
            "restore the file or set TEAMOTP_MASTER_KEY",
            "key.file_missing",
            path=key_file,
        )
    key = SecretBox.generate_key()
    try:
        key_file.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError as error:
        raise MasterKeyError(
            f"cannot create the master key file {key_file}: {error.strerror}; "
            "check TEAMOTP_MASTER_KEY_FILE and its folder's permissions",
            "key.cannot_create",
            path=key_file,
            reason=error.strerror,
        ) from None
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(encode_master_key(key) + "\n")
    logger.warning(
        "Created a new master key file at %s. Keep a copy somewhere other than this "
        "server: without it the stored secrets cannot be read.",
        key_file,
        extra=keyed("key.created", path=key_file),
    )
    return key


def read_key_file(key_file: Path) -> bytes:
    """The key in the file; a one-line reason when it cannot be read (a directory, no
    permission) or does not hold a key. The reason never quotes the file's content."""
    if key_file.is_dir():
        raise MasterKeyError(
            f"the master key file {key_file} is a directory, not a file: "
            "point TEAMOTP_MASTER_KEY_FILE at the key file",
            "key.is_directory",
            path=key_file,
        )
    if key_file.is_symlink() and not key_file.exists():
        # Not made at the link's end either: a new key there would be one nobody kept.
        target = os.readlink(key_file)
        raise MasterKeyError(
            f"the master key file {key_file} is a symbolic link to {target}, "
            "where there is no file: point TEAMOTP_MASTER_KEY_FILE at the key file",
            "key.dangling_link",
            path=key_file,
            target=target,
        )
    try:
        content = key_file.read_text(encoding="ascii")
    except UnicodeDecodeError:
        content = ""
    except PermissionError as error:
        raise _unreadable(key_file, error.strerror) from None
    except OSError as error:
        raise MasterKeyError(
            f"cannot read the master key file {key_file}: {error.strerror}; "
            f"it must be readable by this user (uid {os.getuid()})",
            "key.cannot_read",
            path=key_file,
            reason=error.strerror,
            uid=os.getuid(),
        ) from None
    try:
        return decode_master_key(content)
    except ValueError:
        raise MasterKeyError(
            f"the master key file {key_file} does not hold a base64 32-byte key",
            "key.not_a_key",
            path=key_file,
        ) from None


def _unreadable(key_file: Path, reason: str | None) -> MasterKeyError:
    """Whose the file is and its mode, which the operator changes to let the bot read it."""
    uid = os.getuid()
    try:
        status = key_file.stat()
    except OSError:
        return MasterKeyError(
            f"cannot read the master key file {key_file}: {reason} (its owner and mode "
            f"unknown); it must be readable by this user (uid {uid})",
            "key.cannot_read_unknown_mode",
            path=key_file,
            reason=reason,
            uid=uid,
        )
    mode = f"{stat.S_IMODE(status.st_mode):04o}"
    return MasterKeyError(
        f"cannot read the master key file {key_file}: {reason} (owned by uid "
        f"{status.st_uid}, mode {mode}); it must be readable by this user (uid {uid})",
        "key.cannot_read_mode",
        path=key_file,
        reason=reason,
        owner=status.st_uid,
        mode=mode,
        uid=uid,
    )

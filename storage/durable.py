"""Files that are either there whole or not at all: a backup, a key file.

Each is written beside its final name (same folder, so the same file system), flushed to
disk, then renamed over the final name, and the folder is flushed so the rename itself
survives a power cut. A crash at any point leaves the old file or the new one, never half
of one; a leftover partial file has its own name and is never read."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

PRIVATE = 0o600


def partial_path(final: Path) -> Path:
    """A fresh name beside `final` for the file while it is being written."""
    return final.with_name(f".{final.name}.partial-{secrets.token_hex(4)}")


def create_private(path: Path) -> None:
    """An empty file only this user may read, made before anything is written into it
    (so no content is ever readable by others, whatever the umask)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE)
    os.close(fd)


def sync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def sync_folder(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def publish(partial: Path, final: Path) -> None:
    """Flush `partial` and put it in place of `final` in one step."""
    sync_file(partial)
    os.replace(partial, final)
    sync_folder(final.parent)


def write_private(final: Path, content: bytes) -> None:
    """`content` as the whole of `final` (mode 0600), written as described above."""
    partial = partial_path(final)
    create_private(partial)
    try:
        with partial.open("wb") as handle:
            handle.write(content)
        publish(partial, final)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise

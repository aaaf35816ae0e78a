"""Files the fake holds: uploads from the bot, photos and documents from users.

Telegram hands out a ``file_id`` per file and serves the bytes at
``/file/bot<token>/<file_path>`` after ``getFile``; this store does the same so the
bot's download path (``getFile`` + HTTP GET) is exercised for real.
"""

from __future__ import annotations

import hashlib
import itertools
import mimetypes
import struct
from dataclasses import dataclass, field
from typing import Any

#: Bots may download files up to this size (Bot API limit).
DOWNLOAD_LIMIT = 20 * 1024 * 1024

#: Longest side of the PhotoSize entries Telegram makes: thumbnails first, largest last.
PHOTO_SIDES = (90, 320, 800, 1280)


@dataclass(frozen=True)
class UploadedFile:
    """A file part of a multipart request (what PTB sends for ``InputFile``)."""

    filename: str
    content_type: str
    data: bytes

    def __repr__(self) -> str:  # keep request dumps short
        return f"UploadedFile({self.filename!r}, {self.content_type!r}, {len(self.data)} bytes)"


@dataclass
class StoredFile:
    """One file known to the fake, addressable by ``file_id`` and ``file_path``."""

    file_id: str
    file_unique_id: str
    file_path: str
    data: bytes
    extra: dict[str, Any] = field(default_factory=dict)

    def file_object(self) -> dict[str, Any]:
        """The Bot API ``File`` object ``getFile`` returns."""
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": len(self.data),
            "file_path": self.file_path,
        }


def image_size(data: bytes) -> tuple[int, int] | None:
    """Width and height of a PNG, GIF or JPEG from its header, without an imaging library."""
    if data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return int(width), int(height)
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        width, height = struct.unpack("<HH", data[6:10])
        return int(width), int(height)
    if data.startswith(b"\xff\xd8"):
        i = 2
        while i + 9 < len(data):
            if data[i] != 0xFF:
                i += 1
                continue
            marker = data[i + 1]
            if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
                i += 2
                continue
            (length,) = struct.unpack(">H", data[i + 2 : i + 4])
            if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
                height, width = struct.unpack(">HH", data[i + 5 : i + 9])
                return int(width), int(height)
            i += 2 + length
    return None


def _resized_jpeg(data: bytes, side: int) -> tuple[bytes, int, int] | None:
    """Re-encode like Telegram does (JPEG, longest side ``side``) when Pillow is installed."""
    try:
        import io

        from PIL import Image  # type: ignore[import-not-found, unused-ignore]
    except ImportError:
        return None
    try:
        with Image.open(io.BytesIO(data)) as img:
            rgb = img.convert("RGB")
            rgb.thumbnail((side, side))
            out = io.BytesIO()
            rgb.save(out, format="JPEG", quality=87)
            return out.getvalue(), int(rgb.width), int(rgb.height)
    except Exception:  # not an image Pillow understands: keep the original bytes
        return None


class FileStore:
    """All files by ``file_id`` and by ``file_path``; ids are deterministic per run."""

    def __init__(self) -> None:
        self._by_id: dict[str, StoredFile] = {}
        self._by_path: dict[str, StoredFile] = {}
        self._counter = itertools.count(1)

    def add(self, data: bytes, *, folder: str, suffix: str) -> StoredFile:
        """Store ``data`` and give it a fresh ``file_id`` and ``file_path``."""
        n = next(self._counter)
        digest = hashlib.sha256(data).hexdigest()[:16]
        stored = StoredFile(
            file_id=f"FAKE{folder[:3].upper()}{n:06d}{digest}",
            file_unique_id=f"U{n:06d}{digest[:8]}",
            file_path=f"{folder}/file_{n}{suffix}",
            data=data,
        )
        self._by_id[stored.file_id] = stored
        self._by_path[stored.file_path] = stored
        return stored

    def get(self, file_id: str) -> StoredFile | None:
        return self._by_id.get(file_id)

    def by_path(self, file_path: str) -> StoredFile | None:
        return self._by_path.get(file_path)

    def photo_sizes(self, data: bytes) -> list[dict[str, Any]]:
        """``PhotoSize`` entries for an image, smallest first, like Telegram's ``photo`` array.

        With Pillow installed the smaller sizes are real JPEG re-encodings; without it
        every entry carries the original bytes (the sizes are still reported scaled).
        """
        size = image_size(data) or (1280, 1280)
        longest = max(size)
        sides = [s for s in PHOTO_SIDES if s < longest] + [min(longest, PHOTO_SIDES[-1])]
        result: list[dict[str, Any]] = []
        for side in sides:
            resized = _resized_jpeg(data, side)
            if resized is not None:
                blob, width, height = resized
            else:
                scale = side / longest
                blob = data
                width = max(1, round(size[0] * scale))
                height = max(1, round(size[1] * scale))
            stored = self.add(blob, folder="photos", suffix=".jpg")
            result.append(
                {
                    "file_id": stored.file_id,
                    "file_unique_id": stored.file_unique_id,
                    "file_size": len(blob),
                    "width": width,
                    "height": height,
                }
            )
        return result

    def document(self, data: bytes, *, file_name: str, mime_type: str | None) -> dict[str, Any]:
        """A ``Document`` object for ``data`` (original bytes, as "send as file" keeps them)."""
        guessed = mime_type or mimetypes.guess_type(file_name)[0] or "application/octet-stream"
        suffix = "." + file_name.rsplit(".", 1)[1] if "." in file_name else ""
        stored = self.add(data, folder="documents", suffix=suffix)
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_name": file_name,
            "mime_type": guessed,
            "file_size": len(data),
        }

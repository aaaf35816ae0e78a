"""Google Authenticator export links built in the test, for any test that needs one.

A small protobuf writer for Google Authenticator's `MigrationPayload`, written
independently of teamotp's reader so the two check each other. The schema (as the
Aegis project publishes it in google_auth.proto):

    MigrationPayload: repeated OtpParameters otp_parameters = 1; int32 version = 2;
                      int32 batch_size = 3; int32 batch_index = 4; int32 batch_id = 5
    OtpParameters:    bytes secret = 1; string name = 2; string issuer = 3;
                      Algorithm algorithm = 4; DigitCount digits = 5; OtpType type = 6;
                      int64 counter = 7

The low-level pieces (`varint`, `field`, …) are exported too, for building broken
payloads on purpose.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from urllib.parse import quote

# OtpParameters enums, as Google Authenticator writes them.
ALGO_UNSPECIFIED, ALGO_SHA1, ALGO_SHA256, ALGO_SHA512, ALGO_MD5 = 0, 1, 2, 3, 4
DIGITS_UNSPECIFIED, DIGITS_SIX, DIGITS_EIGHT = 0, 1, 2
TYPE_UNSPECIFIED, TYPE_HOTP, TYPE_TOTP = 0, 1, 2

VARINT, I64, LEN, SGROUP, EGROUP, I32 = 0, 1, 2, 3, 4, 5


@dataclass(frozen=True)
class Entry:
    """One `OtpParameters`; zero/empty fields are left out, as protobuf writers do."""

    secret: bytes
    name: str = ""
    issuer: str = ""
    algorithm: int = ALGO_SHA1
    digits: int = DIGITS_SIX
    type: int = TYPE_TOTP
    counter: int = 0
    extra: bytes = b""  # raw fields appended as they are (unknown fields, duplicates…)

    def encode(self) -> bytes:
        return b"".join(
            [
                length_field(1, self.secret) if self.secret else b"",
                length_field(2, self.name.encode()) if self.name else b"",
                length_field(3, self.issuer.encode()) if self.issuer else b"",
                int_field(4, self.algorithm) if self.algorithm else b"",
                int_field(5, self.digits) if self.digits else b"",
                int_field(6, self.type) if self.type else b"",
                int_field(7, self.counter) if self.counter else b"",
                self.extra,
            ]
        )


def varint(value: int) -> bytes:
    """Base-128, least significant group first; negative numbers as 64-bit two's complement."""
    value &= (1 << 64) - 1
    out = bytearray()
    while True:
        low, value = value & 0x7F, value >> 7
        if not value:
            out.append(low)
            return bytes(out)
        out.append(low | 0x80)


def tag(number: int, wire: int) -> bytes:
    return varint(number << 3 | wire)


def int_field(number: int, value: int) -> bytes:
    return tag(number, VARINT) + varint(value)


def length_field(number: int, value: bytes) -> bytes:
    return tag(number, LEN) + varint(len(value)) + value


def fixed_field(number: int, value: int, size: int) -> bytes:
    """A fixed64 (size 8) or fixed32 (size 4) field."""
    return tag(number, I64 if size == 8 else I32) + value.to_bytes(size, "little")


def group_field(number: int, body: bytes) -> bytes:
    """A (deprecated) group: start tag, fields, end tag."""
    return tag(number, SGROUP) + body + tag(number, EGROUP)


def encode_payload(
    *entries: Entry | bytes,
    batch_index: int = 0,
    batch_size: int = 1,
    batch_id: int | None = None,
    version: int = 1,
    extra: bytes = b"",
) -> bytes:
    """A serialized `MigrationPayload`; a `bytes` entry is an already encoded OtpParameters."""
    parts = [length_field(1, e if isinstance(e, bytes) else e.encode()) for e in entries]
    if version:
        parts.append(int_field(2, version))
    if batch_size:
        parts.append(int_field(3, batch_size))
    if batch_index:
        parts.append(int_field(4, batch_index))
    if batch_id is not None:
        parts.append(int_field(5, batch_id))
    parts.append(extra)
    return b"".join(parts)


def migration_uri(payload: bytes, *, quoted: bool = True, padded: bool = True) -> str:
    """The link around a payload: URL-encoded as Google Authenticator writes it, or the
    raw base64 with `+` and `/` left as they are (as some QR scanners show it)."""
    data = base64.b64encode(payload).decode("ascii")
    if not padded:
        data = data.rstrip("=")
    if quoted:
        data = quote(data, safe="")
    return f"otpauth-migration://offline?data={data}"


def encode_migration(
    *entries: Entry | bytes,
    batch_index: int = 0,
    batch_size: int = 1,
    batch_id: int | None = None,
    quoted: bool = True,
) -> str:
    """An `otpauth-migration://offline?data=...` link holding `entries`."""
    payload = encode_payload(
        *entries, batch_index=batch_index, batch_size=batch_size, batch_id=batch_id
    )
    return migration_uri(payload, quoted=quoted)

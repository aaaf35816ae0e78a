"""Google Authenticator exports: `otpauth-migration://offline?data=...` links.

"Transfer accounts → Export" shows QR codes whose text carries a base64
protobuf `MigrationPayload` (several accounts, maybe split over several QR
codes: a batch). The schema is six small fields, so a hand-written reader is
smaller than generated code, needs no protobuf dependency, and every way it
can fail is a path written here, so nothing but our own error escapes.

Lenient about how people paste the link (whitespace, URL-encoded or raw base64,
either alphabet, missing padding, a `QR-Code:` prefix a scanner app adds);
strict about meaning: an entry whose codes would come out wrong (HOTP, MD5, an
unknown type) is skipped with a catalog key saying why, never imported with a
guess. No error param, text or repr ever holds the payload or a secret.
"""

from __future__ import annotations

import base64
import binascii
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import unquote

from bot.rules.errors import InvalidSecret
from bot.rules.otp import MAX_NAME_CHARS, Algorithm, TotpSpec

MIGRATION_SCHEME = "otpauth-migration://"

MAX_MIGRATION_CHARS = 64 * 1024  # bounds the work on one message; a full GA QR is ~2 KB
MAX_ENTRIES = 1000  # far beyond a real export (GA puts about ten accounts in one QR)
_MAX_GROUP_DEPTH = 32  # nested (deprecated) protobuf groups in unknown fields

# Why an entry was skipped: catalog keys, shown as "skipped NAME: reason".
SKIP_HOTP = "import.skip_hotp"
SKIP_TYPE = "import.skip_type"
SKIP_ALGORITHM = "import.skip_algorithm"
SKIP_DIGITS = "import.skip_digits"
SKIP_SECRET = "import.skip_secret"  # noqa: S105 - a catalog key, not a secret

# A scanner app's label before the link ("QR-Code:otpauth-migration://..."): a short word or two.
_PREFIXED = re.compile(r"[A-Za-z][A-Za-z0-9 _-]{0,30}:\s*(?=otpauth-migration:)", re.IGNORECASE)
_OFFLINE = re.compile(r"otpauth-migration://offline/?\?", re.IGNORECASE)
_BASE64 = re.compile(r"[A-Za-z0-9+/]*")
_UNPRINTABLE = frozenset({"Cc", "Cs", "Zl", "Zp"})  # as TotpSpec refuses them

# Protobuf wire types.
_VARINT, _I64, _LEN, _SGROUP, _EGROUP, _I32 = 0, 1, 2, 3, 4, 5
_FIXED_SIZE = {_I64: 8, _I32: 4}
_MAX_FIELD_NUMBER = (1 << 29) - 1

# MigrationPayload.OtpParameters enums, as Google Authenticator writes them.
_OTP_HOTP, _OTP_TOTP = 1, 2
_ALGORITHMS = {0: Algorithm.SHA1, 1: Algorithm.SHA1, 2: Algorithm.SHA256, 3: Algorithm.SHA512}
_DIGITS = {0: 6, 1: 6, 2: 8}
_PERIOD = 30  # the export carries no period; GA only ever used 30 s

_Field = tuple[int, int, int | bytes]  # field number, wire type, value


@dataclass(frozen=True, repr=False, slots=True)
class ImportedEntry:
    """One account of an export: a spec to add, or the reason it cannot be added.

    Issuer and label are kept for skipped entries too, so the report can name them.
    """

    spec: TotpSpec | None  # None when skipped
    issuer: str | None
    label: str | None  # the account part of the name (after "Issuer:"), else the whole name
    skipped: str | None  # a catalog key (SKIP_*) when spec is None

    def __repr__(self) -> str:
        # TotpSpec's own repr already redacts the secret.
        return (
            f"ImportedEntry(issuer={self.issuer!r}, label={self.label!r}, "
            f"skipped={self.skipped!r}, spec={self.spec!r})"
        )


@dataclass(frozen=True, slots=True)
class MigrationBatch:
    """One QR code's worth of an export; big exports come as several batches."""

    entries: tuple[ImportedEntry, ...]
    batch_index: int  # 0-based, as in the payload
    batch_size: int  # 1 when absent
    batch_id: int | None  # the same for every QR of one export; None when absent


def is_migration_uri(text: str) -> bool:
    """Whether `text` is meant as a Google Authenticator export, so `parse_migration`
    (and its clear errors) should handle it; the data itself is not checked here."""
    return _strip_prefix(text[: MAX_MIGRATION_CHARS + 1].strip()) is not None


def parse_migration(text: str) -> MigrationBatch:
    """The accounts in one export link, in payload order.

    Raises InvalidSecret with a `migration.*` key when the link as a whole cannot be
    read; entries that cannot be imported are returned with `skipped` set instead.
    """
    if len(text) > MAX_MIGRATION_CHARS:
        raise InvalidSecret("migration.too_large")
    link = _strip_prefix(text.strip())
    if link is None:
        raise InvalidSecret("migration.bad_uri")
    payload = _decode_base64(_data_param(link))
    return _read_payload(payload)


# --- the link ---------------------------------------------------------------------------


def _strip_prefix(text: str) -> str | None:
    """The link without a scanner's label in front, or None if it is not a migration link."""
    prefix = _PREFIXED.match(text)
    link = text[prefix.end() :] if prefix else text
    # "otpauth-migration:" without the slashes is still meant as one: refuse it as a bad link.
    scheme = MIGRATION_SCHEME.removesuffix("//")
    return link if link[: len(scheme)].lower() == scheme else None


def _data_param(link: str) -> str:
    offline = _OFFLINE.match(link)
    if offline is None:
        raise InvalidSecret("migration.bad_uri")
    query = link[offline.end() :].partition("#")[0]
    # Split by hand, not with parse_qsl: that turns a raw "+" of base64 into a space.
    values = [
        value
        for key, sep, value in (pair.partition("=") for pair in query.split("&"))
        if sep and key.strip().lower() == "data"
    ]
    if len(values) != 1:
        raise InvalidSecret("migration.bad_uri")
    return values[0]


def _decode_base64(raw: str) -> bytes:
    try:
        value = unquote(raw, errors="strict") if "%" in raw else raw
    except UnicodeDecodeError:
        raise InvalidSecret("migration.bad_base64") from None
    # A space is a "+" that went through form decoding; line breaks come from wrapping.
    value = "".join("+" if ch == " " else ch for ch in value if ch == " " or not ch.isspace())
    value = value.replace("-", "+").replace("_", "/").rstrip("=")
    if not _BASE64.fullmatch(value) or len(value) % 4 == 1:
        raise InvalidSecret("migration.bad_base64")
    try:
        return base64.b64decode(value + "=" * (-len(value) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise InvalidSecret("migration.bad_base64") from None


# --- the payload ------------------------------------------------------------------------


def _read_payload(payload: bytes) -> MigrationBatch:
    entries: list[ImportedEntry] = []
    batch_size = batch_index = 0
    batch_id: int | None = None
    for number, wire, value in _fields(payload):
        if number == 1:
            if len(entries) >= MAX_ENTRIES:
                raise InvalidSecret("migration.too_large")
            entries.append(_read_entry(_as_bytes(wire, value)))
        elif number == 2:
            _as_int32(wire, value)  # version: checked for shape, otherwise unused
        elif number == 3:
            batch_size = _as_int32(wire, value)
        elif number == 4:
            batch_index = _as_int32(wire, value)
        elif number == 5:
            batch_id = _as_int32(wire, value)
    batch_size = batch_size or 1
    if batch_size < 1 or not 0 <= batch_index < batch_size:
        raise InvalidSecret("migration.bad_payload")
    if not entries:
        raise InvalidSecret("migration.empty")
    return MigrationBatch(tuple(entries), batch_index, batch_size, batch_id)


def _read_entry(message: bytes) -> ImportedEntry:
    secret = b""
    name = issuer_text = ""
    algorithm = digits = kind = 0
    for number, wire, value in _fields(message):
        if number == 1:
            secret = _as_bytes(wire, value)
        elif number == 2:
            name = _as_text(wire, value)
        elif number == 3:
            issuer_text = _as_text(wire, value)
        elif number == 4:
            algorithm = _as_int32(wire, value)
        elif number == 5:
            digits = _as_int32(wire, value)
        elif number == 6:
            kind = _as_int32(wire, value)
        elif number == 7:
            _as_int(wire, value)  # the HOTP counter: checked for shape, otherwise unused

    issuer = _clean(issuer_text)
    label = _label(name, issuer)
    reason = _skip_reason(kind, algorithm, digits)
    if reason is not None:
        return ImportedEntry(None, issuer, label, reason)
    try:
        spec = TotpSpec(
            secret=base64.b32encode(secret).decode("ascii").rstrip("="),
            algorithm=_ALGORITHMS[algorithm],
            digits=_DIGITS[digits],
            period=_PERIOD,
            issuer=issuer,
            label=label,
        )
    except ValueError:  # only the secret can be wrong here: the rest was checked above
        return ImportedEntry(None, issuer, label, SKIP_SECRET)
    return ImportedEntry(spec, issuer, label, None)


def _skip_reason(kind: int, algorithm: int, digits: int) -> str | None:
    if kind == _OTP_HOTP:
        return SKIP_HOTP
    if kind != _OTP_TOTP:
        # Unspecified included: guessing TOTP would give wrong codes if it were not.
        return SKIP_TYPE
    if algorithm not in _ALGORITHMS:  # 4 is MD5, which no supported app computes
        return SKIP_ALGORITHM
    if digits not in _DIGITS:
        return SKIP_DIGITS
    return None


def _label(name: str, issuer: str | None) -> str | None:
    """The account part of "Issuer:account", as otpauth labels are written."""
    if issuer is not None:
        head, sep, account = name.partition(":")
        if sep and _clean(head) == issuer:
            return _clean(account)
    return _clean(name)


def _clean(text: str) -> str | None:
    """A name fit to show on one line: a name is presentation, so repair it rather than refuse."""
    shown = "".join(" " if unicodedata.category(ch) in _UNPRINTABLE else ch for ch in text)
    shown = " ".join(shown.split())[:MAX_NAME_CHARS].strip()
    return shown or None


# --- protobuf wire format ---------------------------------------------------------------


def _fields(message: bytes) -> Iterator[_Field]:
    """Every top-level field of `message`; unknown groups are skipped whole.

    Raises InvalidSecret("migration.bad_payload") on anything malformed.
    """
    pos, end = 0, len(message)
    open_groups: list[int] = []
    while pos < end:
        key, pos = _varint(message, pos)
        number, wire = key >> 3, key & 7
        if not 1 <= number <= _MAX_FIELD_NUMBER:
            raise InvalidSecret("migration.bad_payload")
        value: int | bytes
        if wire == _VARINT:
            value, pos = _varint(message, pos)
        elif wire in _FIXED_SIZE:
            size = _FIXED_SIZE[wire]
            if pos + size > end:
                raise InvalidSecret("migration.bad_payload")
            value, pos = int.from_bytes(message[pos : pos + size], "little"), pos + size
        elif wire == _LEN:
            length, pos = _varint(message, pos)
            if length > end - pos:
                raise InvalidSecret("migration.bad_payload")
            value, pos = message[pos : pos + length], pos + length
        elif wire == _SGROUP:
            if not open_groups:
                yield number, wire, 0  # so a known field sent as a group is refused
            if len(open_groups) >= _MAX_GROUP_DEPTH:
                raise InvalidSecret("migration.bad_payload")
            open_groups.append(number)
            continue
        elif wire == _EGROUP:
            if not open_groups or open_groups.pop() != number:
                raise InvalidSecret("migration.bad_payload")
            continue
        else:
            raise InvalidSecret("migration.bad_payload")
        if not open_groups:
            yield number, wire, value
    if open_groups:
        raise InvalidSecret("migration.bad_payload")


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    """A base-128 varint of at most 64 bits starting at `pos`, and the position after it."""
    result = 0
    for shift in range(0, 70, 7):
        if pos >= len(data):
            raise InvalidSecret("migration.bad_payload")
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            if result >= 1 << 64:
                raise InvalidSecret("migration.bad_payload")
            return result, pos
    raise InvalidSecret("migration.bad_payload")


def _as_int(wire: int, value: int | bytes) -> int:
    """An int32/int64/enum field: negative numbers are 64-bit two's complement on the wire."""
    if wire != _VARINT or not isinstance(value, int):
        raise InvalidSecret("migration.bad_payload")
    return value - (1 << 64) if value >= 1 << 63 else value


def _as_int32(wire: int, value: int | bytes) -> int:
    number = _as_int(wire, value)
    # Protobuf parsers truncate an over-long int32 to its low 32 bits.
    number &= 0xFFFFFFFF
    return number - (1 << 32) if number >= 1 << 31 else number


def _as_bytes(wire: int, value: int | bytes) -> bytes:
    if wire != _LEN or not isinstance(value, bytes):
        raise InvalidSecret("migration.bad_payload")
    return value


def _as_text(wire: int, value: int | bytes) -> str:
    try:
        return _as_bytes(wire, value).decode("utf-8")
    except UnicodeDecodeError:  # proto3 strings are UTF-8: anything else is corruption
        raise InvalidSecret("migration.bad_payload") from None

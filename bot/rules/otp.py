"""TOTP secrets as sites display them, and the codes they give at a given time.

Parsing is lenient about presentation (case, spaces, dashes, padding, a pasted
`otpauth://` URI, quotes or brackets around it, a full stop after it, invisible
zero-width characters) and strict about meaning: anything that would give wrong
codes is refused with an `InvalidSecret` whose key names the problem. No error
text or repr ever contains the secret.

The current time is always a parameter, so codes are reproducible in tests
and the caller decides which clock to trust.
"""

from __future__ import annotations

import hashlib
import math
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, ClassVar, Literal
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit

import pyotp

from bot.messages import Key
from bot.rules.errors import InvalidSecret

SHORT_SECRET_BITS = 112  # below this, pyotp (NIST SP 800-63B) refuses; we accept and warn
MIN_SECRET_BITS = 80  # 16 base32 chars: what many sites still issue

MIN_DIGITS = 6
MAX_DIGITS = 8  # the largest in RFC 6238 and in the common authenticator apps
MIN_PERIOD = 1
MAX_PERIOD = 120  # pyotp refuses longer windows (NIST SP 800-63B: a new code every 2 minutes)

MAX_INPUT_CHARS = 1024  # bounds the work done on one message; real URIs are far shorter
MAX_NAME_CHARS = 128  # issuer and label, as the store keeps them

# Stands in for a rejected value that is not echoed back; the catalog's
# messages always have the placeholder, so the param is always present.
UNSHOWN = "?"

_BASE32 = re.compile(r"[A-Za-z2-7]+")
_CANONICAL_BASE32 = re.compile(r"[A-Z2-7]+")
_SMALL_NUMBER = re.compile(r"[0-9]{1,9}")
_SHOWABLE_ALGORITHM = re.compile(r"[A-Za-z0-9]{1,16}")
_UNPRINTABLE = frozenset({"Cc", "Cs", "Zl", "Zp"})
_KNOWN_PARAMS = frozenset({"secret", "issuer", "algorithm", "digits", "period"})
# Base32 maps 5 bytes to 8 characters; these unpadded lengths mod 8 decode to nothing.
_IMPOSSIBLE_LENGTHS = frozenset({1, 3, 6})
# Symbols that wrap a pasted value like quotes do; other symbols ("=" padding) are kept.
_WRAPPING_SYMBOLS = frozenset("<>`")


class Algorithm(StrEnum):
    """The HMAC hash, spelled as otpauth URIs and the store spell it."""

    SHA1 = "SHA1"
    SHA256 = "SHA256"
    SHA512 = "SHA512"


@dataclass(frozen=True, repr=False, slots=True)
class TotpSpec:
    """Everything needed to compute an account's codes.

    Validated on construction too, not only in `parse_secret`, so a spec
    rebuilt from a stored row cannot silently give wrong codes.
    """

    secret: str  # canonical base32: upper case, no spaces/dashes/padding
    algorithm: Algorithm = Algorithm.SHA1
    digits: int = 6
    period: int = 30  # seconds; MIN_PERIOD..MAX_PERIOD
    issuer: str | None = None
    label: str | None = None  # the account part of the otpauth label (after "Issuer:"), if any

    def __post_init__(self) -> None:
        # Messages name the field only: the value may be the secret.
        if not _is_canonical(self.secret):
            raise ValueError("TotpSpec.secret must be canonical base32 of at least 80 bits")
        if self.algorithm not in Algorithm.__members__.values():
            raise ValueError("TotpSpec.algorithm must be SHA1, SHA256 or SHA512")
        # A plain "SHA256" from a database row becomes the enum member.
        object.__setattr__(self, "algorithm", Algorithm(self.algorithm))
        if not MIN_DIGITS <= self.digits <= MAX_DIGITS:
            raise ValueError(f"TotpSpec.digits must be {MIN_DIGITS}..{MAX_DIGITS}")
        if not MIN_PERIOD <= self.period <= MAX_PERIOD:
            raise ValueError(f"TotpSpec.period must be {MIN_PERIOD}..{MAX_PERIOD} seconds")
        if self.issuer is not None and _name_problem(self.issuer):
            raise ValueError("TotpSpec.issuer must be a non-empty, trimmed, printable name")
        if self.label is not None and _name_problem(self.label):
            raise ValueError("TotpSpec.label must be a non-empty, trimmed, printable name")

    def __repr__(self) -> str:
        return (
            f"TotpSpec(algorithm={self.algorithm.value}, digits={self.digits}, "
            f"period={self.period}, issuer={self.issuer!r}, label={self.label!r}, "
            "secret=<redacted>)"
        )

    @property
    def secret_bits(self) -> int:
        """Whole decoded bytes, in bits: what pyotp measures against its minimum."""
        return len(self.secret) * 5 // 8 * 8

    @property
    def is_short(self) -> bool:
        """Accepted, but weaker than NIST SP 800-63B asks: worth a warning to the admin."""
        return self.secret_bits < SHORT_SECRET_BITS


@dataclass(frozen=True, slots=True)
class Code:
    value: str  # zero-padded, `digits` long
    valid_from: int  # unix seconds, start of this window
    valid_until: int  # unix seconds, end of this window (exclusive)
    next_value: str  # the code of the following window, for when this one is about to expire

    def seconds_left(self, at: float) -> int:
        """Whole seconds until the code expires, rounded up so a live code never shows 0.

        1..period inside the window; 0 once it has expired.
        """
        return max(0, math.ceil(self.valid_until - at))


class _Totp(pyotp.TOTP):
    """pyotp with its 112-bit minimum lowered: the site chose the secret, not us,
    and refusing its 80-bit secret would only leave the team without codes."""

    min_secret_length_bits: ClassVar[int] = MIN_SECRET_BITS


def code_at(spec: TotpSpec, at: float) -> Code:
    """The code for unix time `at`, and the next one.

    Raises ValueError if `at` is before 1970 or not a finite time pyotp accepts.
    Nothing derived from the secret outlives the call.
    """
    totp = _Totp(
        spec.secret, digits=spec.digits, digest=_digest(spec.algorithm), interval=spec.period
    )
    counter = totp.timecode(at)
    valid_from = counter * spec.period
    return Code(
        value=totp.generate_otp(counter),
        valid_from=valid_from,
        valid_until=valid_from + spec.period,
        next_value=totp.generate_otp(counter + 1),
    )


def parse_secret(text: str) -> TotpSpec:
    """A spec from what a site displays: base32 text or an `otpauth://totp/` URI.

    Raises InvalidSecret; its key says what is wrong, its params never hold the secret.
    """
    if len(text) > MAX_INPUT_CHARS:
        raise InvalidSecret("secret.too_long", max_chars=MAX_INPUT_CHARS)
    stripped = unwrap(text)
    if not stripped:
        raise InvalidSecret("secret.empty")
    scheme = stripped[:20].lower()
    if scheme.startswith("otpauth-migration:"):
        raise InvalidSecret("secret.migration")
    if scheme.startswith("otpauth:"):
        return _parse_uri(stripped)
    if "://" in stripped:
        raise InvalidSecret("secret.bad_uri", reason=Key("uri.not_otpauth"))
    return TotpSpec(secret=_canonical_secret(stripped))


def unwrap(text: str) -> str:
    """`text` without what people put around a pasted value: spaces, quotes and brackets
    (also full-width and CJK ones), a full stop or comma after it, zero-width characters.

    Dashes and "=" stay: they can be part of how a secret is printed."""
    start, end = 0, len(text)
    while start < end and _wraps(text[start]):
        start += 1
    while end > start and _wraps(text[end - 1]):
        end -= 1
    return text[start:end]


def _wraps(ch: str) -> bool:
    category = unicodedata.category(ch)
    return (
        ch.isspace()
        or category == "Cf"  # zero-width space, joiners, byte order mark, soft hyphen
        or (category.startswith("P") and category not in {"Pd", "Pc"})
        or ch in _WRAPPING_SYMBOLS
    )


def to_uri(spec: TotpSpec, name: str) -> str:
    """An `otpauth://totp/` URI for `spec`, with `name` as the account; parse_secret
    reads it back as the same spec with `label=name`.

    Every parameter is written out, even defaults, so no app has to guess.
    """
    if _name_problem(name):
        raise ValueError("the account name must be a non-empty, trimmed, printable name")
    account = quote(name, safe="")
    if spec.issuer is not None:
        label = f"{quote(spec.issuer, safe='')}:{account}"
    elif ":" in name:
        # An empty issuer prefix, so the name's own colon is not read as one.
        label = f":{account}"
    else:
        label = account
    params: dict[str, str | int] = {"secret": spec.secret}
    if spec.issuer is not None:
        params["issuer"] = spec.issuer
    params |= {"algorithm": spec.algorithm.value, "digits": spec.digits, "period": spec.period}
    return f"otpauth://totp/{label}?{urlencode(params, quote_via=quote)}"


def _digest(algorithm: Algorithm) -> Callable[..., Any]:
    match algorithm:
        case Algorithm.SHA1:
            return hashlib.sha1
        case Algorithm.SHA256:
            return hashlib.sha256
        case Algorithm.SHA512:
            return hashlib.sha512


def _is_canonical(secret: str) -> bool:
    return (
        isinstance(secret, str)
        and _CANONICAL_BASE32.fullmatch(secret) is not None
        and len(secret) % 8 not in _IMPOSSIBLE_LENGTHS
        and len(secret) * 5 // 8 * 8 >= MIN_SECRET_BITS
    )


def _canonical_secret(text: str) -> str:
    # NFKC folds full-width letters and spaces (from CJK input methods) to ASCII; a
    # zero-width character pasted from a web page is invisible, so it is no part of it.
    normal = unicodedata.normalize("NFKC", text)
    compact = "".join(
        ch for ch in normal if not ch.isspace() and ch != "-" and unicodedata.category(ch) != "Cf"
    )
    unpadded = compact.rstrip("=")
    if not _BASE32.fullmatch(unpadded) or len(unpadded) % 8 in _IMPOSSIBLE_LENGTHS:
        raise InvalidSecret("secret.not_base32")
    bits = len(unpadded) * 5 // 8 * 8
    if bits < MIN_SECRET_BITS:
        raise InvalidSecret("secret.too_short", bits=bits, min_bits=MIN_SECRET_BITS)
    return unpadded.upper()


def _parse_uri(text: str) -> TotpSpec:
    try:
        parts = urlsplit(text)
        pairs = parse_qsl(parts.query, keep_blank_values=True, errors="strict", max_num_fields=64)
    except ValueError:  # also UnicodeDecodeError from bad percent-escapes
        pairs = None
    if pairs is None or not parts.netloc:
        raise InvalidSecret("secret.bad_uri", reason=Key("uri.malformed"))
    kind = parts.netloc.lower()
    if kind == "hotp":
        raise InvalidSecret("secret.hotp")
    if kind != "totp":
        raise InvalidSecret("secret.bad_uri", reason=Key("uri.unknown_type"))

    params: dict[str, str] = {}
    for raw_key, value in pairs:
        key = raw_key.lower()
        if key in _KNOWN_PARAMS and params.get(key, value) != value:
            raise InvalidSecret("secret.bad_uri", reason=Key("uri.duplicate_parameter"))
        params[key] = value

    secret_text = params.get("secret", "")
    if not secret_text.strip():
        raise InvalidSecret("secret.bad_uri", reason=Key("uri.missing_secret"))
    secret = _canonical_secret(secret_text)
    algorithm = _algorithm(params.get("algorithm", ""))
    digits = _small_int(params.get("digits", ""), 6, MIN_DIGITS, MAX_DIGITS, "digits")
    period = _small_int(params.get("period", ""), 30, MIN_PERIOD, MAX_PERIOD, "period")
    issuer, label = _names(parts.path, params.get("issuer", ""))
    return TotpSpec(
        secret=secret,
        algorithm=algorithm,
        digits=digits,
        period=period,
        issuer=issuer,
        label=label,
    )


def _algorithm(raw: str) -> Algorithm:
    value = raw.strip()
    if not value:
        return Algorithm.SHA1
    # Tolerate "sha-256" and "sha_256": same meaning, and only the value differs.
    found = Algorithm.__members__.get(value.upper().replace("-", "").replace("_", ""))
    if found is None:
        # Echo only a short plain word; anything else might be something pasted by mistake.
        shown = value if _SHOWABLE_ALGORITHM.fullmatch(value) else UNSHOWN
        raise InvalidSecret("secret.bad_algorithm", algorithm=shown)
    return found


def _small_int(raw: str, default: int, low: int, high: int, field: str) -> int:
    """A blank value means the default, as a missing one does."""
    value = raw.strip()
    if not value:
        return default
    if not _SMALL_NUMBER.fullmatch(value):
        raise InvalidSecret(f"secret.bad_{field}", **{field: UNSHOWN})
    number = int(value)
    if not low <= number <= high:
        raise InvalidSecret(f"secret.bad_{field}", **{field: number})
    return number


def _names(path: str, issuer_param: str) -> tuple[str | None, str | None]:
    """Issuer and account from the label ("Issuer:account" or "account") and the
    issuer parameter, which wins when both are present (Key Uri Format)."""
    try:
        label = unquote(path.removeprefix("/"), errors="strict")
    except UnicodeDecodeError:
        raise InvalidSecret("secret.bad_uri", reason=Key("uri.bad_label")) from None
    issuer = _clean_name(issuer_param, "issuer")
    prefix = None
    if issuer is not None and label.startswith(f"{issuer}:"):
        account = label[len(issuer) + 1 :]
    elif ":" in label:
        prefix, _, account = label.partition(":")
    else:
        account = label
    if issuer is None and prefix is not None:
        issuer = _clean_name(prefix, "label")
    return issuer, _clean_name(account, "label")


def _clean_name(raw: str, what: Literal["issuer", "label"]) -> str | None:
    name = raw.strip()
    if not name:
        return None
    problem = _name_problem(name)
    if problem:
        raise InvalidSecret("secret.bad_uri", reason=_NAME_REASONS[what, problem])
    return name


# Why an issuer or label is refused, said in the reader's language. Never "untrimmed":
# `_clean_name` strips the name before it asks.
_NAME_REASONS = {
    ("issuer", "too long"): Key("uri.issuer_too_long"),
    ("issuer", "unprintable"): Key("uri.issuer_unprintable"),
    ("label", "too long"): Key("uri.label_too_long"),
    ("label", "unprintable"): Key("uri.label_unprintable"),
}


def _name_problem(name: str) -> str | None:
    """Why `name` cannot be shown as an issuer or label, if it cannot."""
    if not name or name != name.strip():
        return "untrimmed"
    if len(name) > MAX_NAME_CHARS:
        return "too long"
    # Control characters, lone surrogates, and line/paragraph separators would
    # break a one-line display or the database encoding.
    if any(unicodedata.category(ch) in _UNPRINTABLE for ch in name):
        return "unprintable"
    return None

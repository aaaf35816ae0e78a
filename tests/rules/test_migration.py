"""Google Authenticator exports (`otpauth-migration://`) and names for imported accounts.

Payloads are built here with tests/migration_payloads.py, and exports as the app writes
them come from tests/ga_samples.py. The real-world samples in
../shared/fixtures/google-authenticator, when that folder is beside the checkout, are
decoded too and shown to be laid out byte for byte as our samples are.
"""

from __future__ import annotations

import ast
import base64
import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import quote

import pyotp
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.messages import CATALOG, CHINESE, ENGLISH
from bot.rules import migration
from bot.rules.errors import InvalidSecret
from bot.rules.migration import (
    MAX_ENTRIES,
    MAX_MIGRATION_CHARS,
    MIGRATION_SCHEME,
    SKIP_ALGORITHM,
    SKIP_DIGITS,
    SKIP_HOTP,
    SKIP_SECRET,
    SKIP_TYPE,
    ImportedEntry,
    MigrationBatch,
    is_migration_uri,
    parse_migration,
)
from bot.rules.names import (
    MAX_NAME_LENGTH,
    check_name,
    imported_name,
    looks_like_secret,
    name_key,
)
from bot.rules.otp import MAX_NAME_CHARS, Algorithm, TotpSpec, code_at
from tests import ga_samples
from tests.ga_samples import REAL_SAMPLES, Account, google_link, needs_real_samples
from tests.migration_payloads import (
    ALGO_MD5,
    ALGO_SHA1,
    ALGO_SHA256,
    ALGO_SHA512,
    ALGO_UNSPECIFIED,
    DIGITS_EIGHT,
    DIGITS_SIX,
    DIGITS_UNSPECIFIED,
    TYPE_HOTP,
    TYPE_UNSPECIFIED,
    Entry,
    encode_migration,
    encode_payload,
    fixed_field,
    group_field,
    int_field,
    length_field,
    migration_uri,
    tag,
    varint,
)

KEY_160 = b"12345678901234567890"
KEY_256 = b"12345678901234567890123456789012"
KEY_512 = b"1234567890" * 6 + b"1234"
TIMES = [59, 1111111109, 1234567890, 1767225605, 2000000000]
DIGESTS: dict[Algorithm, Callable[..., Any]] = {
    Algorithm.SHA1: hashlib.sha1,
    Algorithm.SHA256: hashlib.sha256,
    Algorithm.SHA512: hashlib.sha512,
}


def b32(raw: bytes) -> str:
    return base64.b32encode(raw).decode().rstrip("=")


def parse_one(entry: Entry | bytes) -> ImportedEntry:
    batch = parse_migration(encode_migration(entry))
    assert len(batch.entries) == 1
    return batch.entries[0]


def refused(text: str) -> InvalidSecret:
    with pytest.raises(InvalidSecret) as caught:
        parse_migration(text)
    # Nothing the user sent travels in the error: not in params, not in its text.
    assert caught.value.params == {}
    assert str(caught.value) == caught.value.key
    return caught.value


def refused_payload(payload: bytes) -> str:
    return refused(migration_uri(payload)).key


class _Pyotp80(pyotp.TOTP):
    """The reference implementation, allowed the 80-bit secrets the app exports."""

    min_secret_length_bits: ClassVar[int] = 80


def assert_codes_match_pyotp(spec: TotpSpec) -> None:
    reference = _Pyotp80(
        spec.secret, digits=spec.digits, digest=DIGESTS[spec.algorithm], interval=spec.period
    )
    for at in TIMES:
        assert code_at(spec, at).value == reference.at(at)


def only_our_error(text: str, keys: set[str] | None = None) -> MigrationBatch | None:
    """The batch, or None after checking that the error is ours and carries nothing the
    user sent; any other exception propagates and fails the test. Collects error keys."""
    result: MigrationBatch | InvalidSecret
    try:
        result = parse_migration(text)
    except InvalidSecret as error:
        result = error
    if isinstance(result, MigrationBatch):
        return result
    assert result.key.startswith("migration."), result.key
    assert result.params == {}
    if keys is not None:
        keys.add(result.key)
    return None


# --- entries ----------------------------------------------------------------------------


def test_one_totp_entry() -> None:
    batch = parse_migration(
        encode_migration(Entry(KEY_160, name="Amazon:alice@example.com", issuer="Amazon"))
    )
    assert batch == MigrationBatch(
        entries=(
            ImportedEntry(
                spec=TotpSpec(
                    secret=b32(KEY_160), issuer="Amazon", label="alice@example.com", period=30
                ),
                issuer="Amazon",
                label="alice@example.com",
                skipped=None,
            ),
        ),
        batch_index=0,
        batch_size=1,
        batch_id=None,
    )
    spec = batch.entries[0].spec
    assert spec is not None
    assert (spec.algorithm, spec.digits, spec.period) == (Algorithm.SHA1, 6, 30)
    assert_codes_match_pyotp(spec)


def test_many_entries_keep_their_order() -> None:
    keys = [bytes([n]) * 20 for n in range(1, 8)]
    batch = parse_migration(
        encode_migration(
            *(Entry(key, name=f"user{n}", issuer=f"Site{n}") for n, key in enumerate(keys))
        )
    )
    assert [e.spec.secret for e in batch.entries if e.spec] == [b32(k) for k in keys]
    assert [e.issuer for e in batch.entries] == [f"Site{n}" for n in range(7)]
    assert [e.label for e in batch.entries] == [f"user{n}" for n in range(7)]


@pytest.mark.parametrize(
    ("algorithm", "key", "expected"),
    [
        (ALGO_UNSPECIFIED, KEY_160, Algorithm.SHA1),
        (ALGO_SHA1, KEY_160, Algorithm.SHA1),
        (ALGO_SHA256, KEY_256, Algorithm.SHA256),
        (ALGO_SHA512, KEY_512, Algorithm.SHA512),
    ],
)
@pytest.mark.parametrize(
    ("digits", "expected_digits"), [(0, 6), (DIGITS_SIX, 6), (DIGITS_EIGHT, 8)]
)
def test_algorithms_and_digits_give_the_codes_pyotp_gives(
    algorithm: int, key: bytes, expected: Algorithm, digits: int, expected_digits: int
) -> None:
    spec = parse_one(Entry(key, name="x", algorithm=algorithm, digits=digits)).spec
    assert spec is not None
    assert (spec.algorithm, spec.digits, spec.period) == (expected, expected_digits, 30)
    assert spec.secret == b32(key)
    assert_codes_match_pyotp(spec)


def test_rfc_6238_codes_through_an_export() -> None:
    """Appendix B's 8-digit SHA256 codes, independent of pyotp."""
    spec = parse_one(Entry(KEY_256, algorithm=ALGO_SHA256, digits=DIGITS_EIGHT)).spec
    assert spec is not None
    assert code_at(spec, 59).value == "46119246"
    assert code_at(spec, 2000000000).value == "90698825"


@pytest.mark.parametrize(
    ("entry", "reason"),
    [
        (Entry(KEY_160, type=TYPE_HOTP, counter=4), SKIP_HOTP),
        (Entry(KEY_160, type=TYPE_UNSPECIFIED), SKIP_TYPE),
        (Entry(KEY_160, type=3), SKIP_TYPE),
        (Entry(KEY_160, type=-1), SKIP_TYPE),
        (Entry(KEY_160, algorithm=ALGO_MD5), SKIP_ALGORITHM),
        (Entry(KEY_160, algorithm=9), SKIP_ALGORITHM),
        (Entry(KEY_160, algorithm=-2), SKIP_ALGORITHM),
        (Entry(KEY_160, digits=3), SKIP_DIGITS),
        (Entry(KEY_160, digits=7), SKIP_DIGITS),
        (Entry(b"123456789"), SKIP_SECRET),  # 72 bits: below the 80 TotpSpec accepts
        (Entry(b""), SKIP_SECRET),
        # The type is checked first: an HOTP entry is reported as HOTP whatever else is wrong.
        (Entry(b"", type=TYPE_HOTP, algorithm=ALGO_MD5, digits=9), SKIP_HOTP),
    ],
)
def test_entries_that_cannot_be_imported_are_skipped_with_the_reason(
    entry: Entry, reason: str
) -> None:
    named = Entry(**{**entry.__dict__, "name": "Shop:bob", "issuer": "Shop"})
    imported = parse_one(named)
    assert imported == ImportedEntry(spec=None, issuer="Shop", label="bob", skipped=reason)


def test_an_80_bit_secret_is_enough() -> None:
    spec = parse_one(Entry(b"1234567890")).spec
    assert spec is not None
    assert spec.secret_bits == 80


def test_skipped_entries_do_not_hide_the_others() -> None:
    batch = parse_migration(
        encode_migration(
            Entry(KEY_160, name="a"),
            Entry(KEY_160, name="b", type=TYPE_HOTP),
            Entry(KEY_256, name="c"),
        )
    )
    assert [(e.label, e.skipped, e.spec is not None) for e in batch.entries] == [
        ("a", None, True),
        ("b", SKIP_HOTP, False),
        ("c", None, True),
    ]


# --- names ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "issuer", "expected_issuer", "expected_label"),
    [
        ("Amazon:alice@example.com", "Amazon", "Amazon", "alice@example.com"),
        ("Amazon: alice", "Amazon", "Amazon", "alice"),  # the space after the colon goes
        ("alice", "Amazon", "Amazon", "alice"),
        ("Other:alice", "Amazon", "Amazon", "Other:alice"),  # not this issuer's prefix
        ("Amazon:", "Amazon", "Amazon", None),
        ("", "Amazon", "Amazon", None),
        ("Amazon:alice", "", None, "Amazon:alice"),  # no issuer field: the name as it is
        ("", "", None, None),
        ("美国站:张三", "美国站", "美国站", "张三"),
        ("encoding: ¿äÄéÉ? (demo)", "", None, "encoding: ¿äÄéÉ? (demo)"),
        ("🔐 vault", "Ünïcode", "Ünïcode", "🔐 vault"),
        ("  two\tspaces \n ", " Shop ", "Shop", "two spaces"),
        ("bad\x00name\u2028here", "a\x1bb", "a b", "bad name here"),
    ],
)
def test_issuer_and_label(
    name: str, issuer: str, expected_issuer: str | None, expected_label: str | None
) -> None:
    imported = parse_one(Entry(KEY_160, name=name, issuer=issuer))
    assert (imported.issuer, imported.label) == (expected_issuer, expected_label)
    assert imported.spec is not None
    assert (imported.spec.issuer, imported.spec.label) == (expected_issuer, expected_label)


def test_overlong_names_are_shortened_not_refused() -> None:
    imported = parse_one(Entry(KEY_160, name="n" * 500, issuer="i" * 500))
    assert imported.issuer == "i" * MAX_NAME_CHARS
    assert imported.label == "n" * MAX_NAME_CHARS
    assert imported.spec is not None


# --- batches ----------------------------------------------------------------------------


def test_batch_fields() -> None:
    batch = parse_migration(
        encode_migration(Entry(KEY_160), batch_index=2, batch_size=3, batch_id=-1320898453)
    )
    assert (batch.batch_index, batch.batch_size, batch.batch_id) == (2, 3, -1320898453)


def test_absent_batch_fields() -> None:
    payload = encode_payload(Entry(KEY_160), batch_size=0, version=0)
    batch = parse_migration(migration_uri(payload))
    assert (batch.batch_index, batch.batch_size, batch.batch_id) == (0, 1, None)
    assert parse_migration(encode_migration(Entry(KEY_160), batch_id=0)).batch_id == 0


def test_an_over_long_int32_is_cut_to_32_bits_as_protobuf_does() -> None:
    payload = encode_payload(Entry(KEY_160)) + int_field(5, (1 << 40) + 7)
    assert parse_migration(migration_uri(payload)).batch_id == 7


@pytest.mark.parametrize(("index", "size"), [(1, 1), (3, 2), (-1, 2), (0, -1)])
def test_an_impossible_batch_is_refused(index: int, size: int) -> None:
    payload = encode_payload(Entry(KEY_160), batch_size=size) + int_field(4, index)
    assert refused_payload(payload) == "migration.bad_payload"


# --- unknown fields ---------------------------------------------------------------------

UNKNOWN_FIELDS = [
    int_field(9, 123456789),
    int_field(9, -1),
    fixed_field(10, 2**64 - 1, 8),
    fixed_field(11, 7, 4),
    length_field(12, b"\xff\x00 anything, even invalid protobuf \x07"),
    group_field(13, int_field(1, 5) + length_field(2, b"xy")),
    group_field(14, group_field(15, fixed_field(1, 1, 4)) + int_field(2, 1)),
    group_field(16, b""),
    int_field(2**29 - 1, 1),  # the largest field number
]


@pytest.mark.parametrize("unknown", UNKNOWN_FIELDS)
def test_unknown_fields_of_every_wire_type_are_skipped(unknown: bytes) -> None:
    plain = Entry(KEY_160, name="Shop:bob", issuer="Shop")
    entry = Entry(KEY_160, name="Shop:bob", issuer="Shop", extra=unknown)
    payload = unknown + encode_payload(entry, unknown, batch_id=5, extra=unknown) + unknown
    batch = parse_migration(migration_uri(payload))
    # An unknown-only entry is still an entry: one of unknown type.
    assert batch.entries == (
        parse_one(plain),
        ImportedEntry(spec=None, issuer=None, label=None, skipped=SKIP_TYPE),
    )
    assert batch.batch_id == 5


def test_a_known_field_number_inside_an_unknown_group_is_not_read() -> None:
    hidden = group_field(20, int_field(3, 7) + length_field(1, b"\x00"))
    batch = parse_migration(migration_uri(encode_payload(Entry(KEY_160), extra=hidden)))
    assert batch.batch_size == 1
    assert len(batch.entries) == 1


def test_the_last_value_of_a_repeated_scalar_wins() -> None:
    entry = Entry(
        KEY_160, name="first", extra=length_field(2, b"second") + int_field(5, DIGITS_EIGHT)
    )
    imported = parse_one(entry)
    assert imported.label == "second"
    assert imported.spec is not None
    assert imported.spec.digits == 8


# --- malformed payloads -----------------------------------------------------------------

GOOD_ENTRY = Entry(KEY_160, name="Shop:bob", issuer="Shop").encode()

MALFORMED = {
    "truncated varint": length_field(1, GOOD_ENTRY) + b"\x10\x80",
    "varint longer than 10 bytes": int_field(9, 0)[:1] + b"\x80" * 10 + b"\x01",
    "varint over 64 bits": tag(9, 0) + b"\xff" * 9 + b"\x02",
    "length past the end": tag(1, 2) + varint(50) + b"short",
    "huge length": tag(1, 2) + varint(2**63),
    "truncated fixed64": tag(9, 1) + b"\x00" * 7,
    "truncated fixed32": tag(9, 5) + b"\x00" * 3,
    "wire type 6": tag(9, 6) + b"\x00",
    "wire type 7": tag(9, 7) + b"\x00",
    "field number 0": tag(0, 0) + b"\x01",
    "field number too big": int_field(2**29, 1),
    "end group without start": tag(9, 4),
    "unclosed group": tag(9, 3) + int_field(1, 1),
    "mismatched end group": tag(9, 3) + tag(10, 4),
    "groups nested too deep": tag(9, 3) * 40 + tag(9, 4) * 40,
    "entry as a varint": int_field(1, 5),
    "entry as fixed32": fixed_field(1, 5, 4),
    "entry as a group": group_field(1, b""),
    "type as a group": length_field(1, GOOD_ENTRY + group_field(6, int_field(1, 2))),
    "batch_size as bytes": length_field(1, GOOD_ENTRY) + length_field(3, b"\x01"),
    "batch_id as fixed64": length_field(1, GOOD_ENTRY) + fixed_field(5, 1, 8),
    "version as bytes": length_field(1, GOOD_ENTRY) + length_field(2, b"1"),
    "secret as a varint": length_field(1, int_field(1, 5)),
    "name as a varint": length_field(1, GOOD_ENTRY + int_field(2, 5)),
    "issuer as fixed32": length_field(1, GOOD_ENTRY + fixed_field(3, 5, 4)),
    "algorithm as bytes": length_field(1, GOOD_ENTRY + length_field(4, b"\x01")),
    "digits as fixed64": length_field(1, GOOD_ENTRY + fixed_field(5, 1, 8)),
    "type as bytes": length_field(1, GOOD_ENTRY + length_field(6, b"\x02")),
    "counter as bytes": length_field(1, GOOD_ENTRY + length_field(7, b"\x02")),
    "name not UTF-8": length_field(1, GOOD_ENTRY + length_field(2, b"\xff\xfe")),
    "issuer a lone surrogate": length_field(1, GOOD_ENTRY + length_field(3, b"\xed\xa0\x80")),
    "nested garbage": length_field(1, b"\xff\xff\xff"),
    "garbage after entries": length_field(1, GOOD_ENTRY) + b"\x0a",
    "random bytes": bytes(range(256)),
}


@pytest.mark.parametrize("payload", MALFORMED.values(), ids=MALFORMED.keys())
def test_malformed_protobuf_is_refused(payload: bytes) -> None:
    assert refused_payload(payload) == "migration.bad_payload"


def valid_payload() -> bytes:
    return encode_payload(
        Entry(
            KEY_160, name="Amazon:alice@example.com", issuer="Amazon", extra=fixed_field(9, 1, 8)
        ),
        Entry(KEY_256, name="美国站", issuer="店铺", algorithm=ALGO_SHA256, digits=DIGITS_EIGHT),
        Entry(KEY_160, name="hotp", type=TYPE_HOTP, counter=2**40),
        batch_index=1,
        batch_size=2,
        batch_id=-12345,
        extra=group_field(20, fixed_field(1, 3, 4)),
    )


def test_every_truncation_of_a_valid_payload_is_refused_or_read() -> None:
    """Cut anywhere (inside a varint, a length, a name, a group): only our own error, or,
    at a field boundary, the shorter payload that is left."""
    payload = valid_payload()
    outcomes: set[str] = set()
    for cut in range(len(payload)):
        batch = only_our_error(migration_uri(payload[:cut]), outcomes)
        if batch is not None:
            assert batch.entries
            outcomes.add("read")
    assert outcomes == {"migration.bad_payload", "migration.empty", "read"}


def test_every_truncation_of_a_varint_is_refused() -> None:
    for value in (1, 300, 2**31, 2**63, -1):
        encoded = int_field(5, value)
        for cut in range(1, len(encoded)):
            payload = length_field(1, GOOD_ENTRY) + encoded[:cut]
            assert refused_payload(payload) == "migration.bad_payload", (value, cut)


def test_every_truncation_of_the_link_is_refused_or_read() -> None:
    uri = migration_uri(valid_payload())
    for cut in range(len(uri)):
        only_our_error(uri[:cut])


# --- base64 and the link ----------------------------------------------------------------

# "+/8" in base64 is 0xfb 0xff: a secret made of it puts "+" and "/" into the data.
PLUS_SLASH_KEY = b"\xfb\xff" * 10


def plus_slash_payload() -> bytes:
    payload = encode_payload(Entry(PLUS_SLASH_KEY, name="Shop:bob", issuer="Shop"))
    data = base64.b64encode(payload).decode()
    assert "+" in data
    assert "/" in data
    assert data.endswith("=")
    return payload


@pytest.mark.parametrize(
    "form",
    [
        pytest.param(lambda d: quote(d, safe=""), id="url-encoded"),
        pytest.param(lambda d: d, id="raw + and /"),
        pytest.param(lambda d: d.rstrip("="), id="unpadded"),
        pytest.param(lambda d: quote(d.rstrip("="), safe=""), id="url-encoded unpadded"),
        pytest.param(lambda d: d.replace("+", "-").replace("/", "_"), id="urlsafe"),
        pytest.param(lambda d: d.replace("+", " "), id="+ turned into a space"),
        pytest.param(lambda d: d[:20] + "\n" + d[20:], id="wrapped"),
        pytest.param(lambda d: d.replace("+", "%2b"), id="lower-case escape"),
    ],
)
def test_the_data_as_people_paste_it(form: Callable[[str], str]) -> None:
    payload = plus_slash_payload()
    data = form(base64.b64encode(payload).decode())
    batch = parse_migration(f"otpauth-migration://offline?data={data}")
    assert [e.spec.secret for e in batch.entries if e.spec] == [b32(PLUS_SLASH_KEY)]


@pytest.mark.parametrize(
    "template",
    [
        "otpauth-migration://offline?data={data}",
        "  \n otpauth-migration://offline?data={data} \n",
        "OTPAUTH-MIGRATION://OFFLINE?DATA={data}",
        "otpauth-migration://offline/?data={data}",
        "otpauth-migration://offline?data={data}#fragment",
        "otpauth-migration://offline?foo=bar&data={data}&x",
        "QR-Code:otpauth-migration://offline?data={data}",
        "QR code: otpauth-migration://offline?data={data}",
    ],
)
def test_the_link_as_people_paste_it(template: str) -> None:
    data = quote(base64.b64encode(plus_slash_payload()).decode(), safe="")
    text = template.format(data=data)
    assert is_migration_uri(text)
    assert len(parse_migration(text).entries) == 1


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "hello",
        "otpauth://totp/Shop:bob?secret=JBSWY3DPEHPK3PXP",
        "JBSWY3DPEHPK3PXP",
        "https://example.com/?data=CgA",
        "see otpauth-migration://offline?data=CgA",  # a sentence, not a scanner's label
        "a label far too long to be a scanner's: otpauth-migration://offline?data=CgA",
    ],
)
def test_other_text_is_not_a_migration_link(text: str) -> None:
    assert not is_migration_uri(text)
    assert refused(text).key == "migration.bad_uri"


@pytest.mark.parametrize(
    "text",
    [
        "otpauth-migration://",
        "otpauth-migration://offline",
        "otpauth-migration://offline?",
        "otpauth-migration://online?data=CgA",
        "otpauth-migration://offline?data",
        "otpauth-migration://offline?date=CgA",
        "otpauth-migration://offline?data=CgA&data=CgA",
        "otpauth-migration:///offline?data=CgA",
        "otpauth-migration:offline?data=CgA",
        "OTPAUTH-MIGRATION:",
    ],
)
def test_a_migration_link_without_its_data_is_refused(text: str) -> None:
    assert is_migration_uri(text)
    assert refused(text).key == "migration.bad_uri"


@pytest.mark.parametrize(
    "data",
    ["@@@@", "CgA=CgA=", "A", "AAAAA", "%FF%FE", "%zz", "Cg%00", "Cgé", "ＣｇＡ", "Cg*A", "Cg.A"],
)
def test_wrong_base64_is_refused(data: str) -> None:
    assert refused(f"otpauth-migration://offline?data={data}").key == "migration.bad_base64"


@pytest.mark.parametrize(
    "payload",
    [b"", int_field(2, 1), encode_payload(batch_id=3, batch_size=2, batch_index=1)],
)
def test_an_export_without_entries_is_refused(payload: bytes) -> None:
    assert refused_payload(payload) == "migration.empty"
    assert refused("otpauth-migration://offline?data=").key == "migration.empty"


def test_huge_input_is_refused_before_any_work() -> None:
    data = "A" * MAX_MIGRATION_CHARS
    assert refused(f"otpauth-migration://offline?data={data}").key == "migration.too_large"
    assert refused(" " * (MAX_MIGRATION_CHARS + 1)).key == "migration.too_large"
    assert refused("x" * 10**7).key == "migration.too_large"
    assert not is_migration_uri("x" * 10**7)


def test_an_export_with_too_many_entries_is_refused() -> None:
    empty_entries = [b""] * MAX_ENTRIES
    assert (
        len(parse_migration(migration_uri(encode_payload(*empty_entries))).entries) == MAX_ENTRIES
    )
    too_many = migration_uri(encode_payload(*empty_entries, b""))
    assert len(too_many) < MAX_MIGRATION_CHARS
    assert refused(too_many).key == "migration.too_large"


# --- secrecy and the catalog ------------------------------------------------------------


def test_no_repr_shows_the_secret() -> None:
    batch = parse_migration(encode_migration(Entry(KEY_160, name="Shop:bob", issuer="Shop")))
    secret = b32(KEY_160)
    for shown in (repr(batch), str(batch), repr(batch.entries[0]), str(batch.entries[0])):
        assert secret not in shown
        assert secret.lower() not in shown.lower()
        assert "bob" in shown


def catalog_keys_named_in_migration() -> set[str]:
    source = Path(migration.__file__).read_text(encoding="utf-8")
    return {
        node.value
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and node.value.startswith(("migration.", "import."))
    }


def test_every_key_migration_names_is_in_the_catalog_in_both_languages() -> None:
    keys = catalog_keys_named_in_migration()
    assert keys >= {SKIP_HOTP, SKIP_TYPE, SKIP_ALGORITHM, SKIP_DIGITS, SKIP_SECRET}
    assert keys >= {f"migration.{k}" for k in ("bad_uri", "bad_base64", "bad_payload", "empty")}
    for key in keys:
        assert key in CATALOG, key
        assert CATALOG[key][ENGLISH] != CATALOG[key][CHINESE], key
        # Skip reasons fill "skipped NAME: reason", errors stand alone: neither takes params.
        assert "{" not in CATALOG[key][ENGLISH] + CATALOG[key][CHINESE], key


# --- properties -------------------------------------------------------------------------


@given(st.text(max_size=300))
def test_any_text_gives_a_batch_or_our_error(text: str) -> None:
    only_our_error(text)
    only_our_error(MIGRATION_SCHEME + "offline?data=" + text)


@given(st.binary(max_size=400))
def test_any_payload_gives_a_batch_or_our_error(payload: bytes) -> None:
    batch = only_our_error(migration_uri(payload))
    if batch is not None:
        for entry in batch.entries:
            assert (entry.spec is None) != (entry.skipped is None)


@given(st.binary(max_size=200))
def test_any_entry_bytes_give_a_batch_or_our_error(body: bytes) -> None:
    only_our_error(migration_uri(encode_payload(body, GOOD_ENTRY)))


entries = st.builds(
    Entry,
    secret=st.binary(min_size=0, max_size=80),
    name=st.text(max_size=60),
    issuer=st.text(max_size=60),
    algorithm=st.integers(-(2**31), 2**31 - 1),
    digits=st.integers(-(2**31), 2**31 - 1),
    type=st.integers(-(2**31), 2**31 - 1),
    counter=st.integers(-(2**63), 2**63 - 1),
)


@given(st.lists(entries, min_size=1, max_size=5))
def test_any_fields_give_entries_or_our_error(generated: list[Entry]) -> None:
    batch = only_our_error(encode_migration(*generated))
    assert batch is not None
    assert len(batch.entries) == len(generated)
    for entry in batch.entries:
        assert (entry.spec is None) != (entry.skipped is None)
        assert entry.skipped in {
            None,
            SKIP_HOTP,
            SKIP_TYPE,
            SKIP_ALGORITHM,
            SKIP_DIGITS,
            SKIP_SECRET,
        }


plain_names = st.text(
    alphabet=st.characters(categories=["L", "N"]) | st.sampled_from("@._-()"),
    min_size=1,
    max_size=40,
)


@settings(deadline=None)
@given(
    st.lists(
        st.tuples(
            st.binary(min_size=10, max_size=64),
            st.none() | plain_names,
            st.none() | plain_names,
            st.sampled_from(
                [
                    (ALGO_SHA1, Algorithm.SHA1),
                    (ALGO_SHA256, Algorithm.SHA256),
                    (ALGO_SHA512, Algorithm.SHA512),
                ]
            ),
            st.sampled_from([(DIGITS_UNSPECIFIED, 6), (DIGITS_SIX, 6), (DIGITS_EIGHT, 8)]),
        ),
        min_size=1,
        max_size=6,
    ),
    st.integers(1, 10).flatmap(lambda size: st.tuples(st.integers(0, size - 1), st.just(size))),
    st.none() | st.integers(-(2**31), 2**31 - 1),
    st.booleans(),
)
def test_encode_then_parse_round_trips(
    accounts: list[tuple[bytes, str | None, str | None, tuple[int, Algorithm], tuple[int, int]]],
    batch: tuple[int, int],
    batch_id: int | None,
    quoted: bool,
) -> None:
    encoded = [
        Entry(
            key,
            name=f"{issuer}:{label}" if issuer and label else label or "",
            issuer=issuer or "",
            algorithm=algorithm[0],
            digits=digits[0],
        )
        for key, issuer, label, algorithm, digits in accounts
    ]
    index, size = batch
    result = parse_migration(
        encode_migration(
            *encoded, batch_index=index, batch_size=size, batch_id=batch_id, quoted=quoted
        )
    )
    assert (result.batch_index, result.batch_size, result.batch_id) == (index, size, batch_id)
    expected = tuple(
        ImportedEntry(
            TotpSpec(b32(key), algorithm[1], digits[1], 30, issuer, label), issuer, label, None
        )
        for key, issuer, label, algorithm, digits in accounts
    )
    assert result.entries == expected


# --- exports as the app writes them -----------------------------------------------------


def assert_imported(entries: tuple[ImportedEntry, ...], accounts: tuple[Account, ...]) -> None:
    assert [(e.issuer, e.label) for e in entries] == [(a.issuer or None, a.label) for a in accounts]
    for entry, account in zip(entries, accounts, strict=True):
        if account.hotp_counter is not None:
            assert (entry.spec, entry.skipped) == (None, SKIP_HOTP)
            continue
        assert entry.spec is not None
        assert entry.spec.secret == account.secret.rstrip("=")
        assert (entry.spec.algorithm, entry.spec.digits, entry.spec.period) == (
            Algorithm.SHA1,
            6,
            30,
        )
        assert_codes_match_pyotp(entry.spec)


@pytest.mark.parametrize(
    ("link", "accounts"),
    ga_samples.EXPORT_LINKS,
    ids=["with issuer", "without issuer", "two accounts", "hotp", "non-ascii name"],
)
def test_an_export_as_the_app_writes_it_gives_its_accounts(
    link: str, accounts: tuple[Account, ...]
) -> None:
    batch = parse_migration(link)
    assert batch.batch_id is not None
    assert batch.batch_id < 0  # the app's batch ids are int32, often negative
    assert_imported(batch.entries, accounts)


def test_the_export_in_the_screenshot_gives_its_three_accounts() -> None:
    assert_imported(
        parse_migration(ga_samples.SCREENSHOT_LINK).entries, ga_samples.SCREENSHOT_ACCOUNTS
    )


def test_an_export_with_unescaped_plus_and_slash_gives_its_four_accounts() -> None:
    link = ga_samples.PLUS_SLASH_LINK
    assert "+" in link
    assert "/" in link.removeprefix("otpauth-migration://")
    assert_imported(parse_migration(link).entries, ga_samples.PLUS_SLASH_ACCOUNTS)


def test_an_export_with_wrong_data_is_a_clear_error() -> None:
    assert is_migration_uri(ga_samples.WRONG_DATA_LINK)
    assert refused(ga_samples.WRONG_DATA_LINK).key == "migration.bad_payload"


def test_an_export_with_a_scanner_label_in_front_is_read() -> None:
    prefixed = ga_samples.PREFIXED_LINK
    assert prefixed.startswith("QR-Code:otpauth-migration://")
    assert is_migration_uri(prefixed)
    assert parse_migration(prefixed) == parse_migration(ga_samples.EXPORT_LINKS[0][0])


# --- the real-world samples, when they are beside the checkout --------------------------


def links_in(name: str) -> list[str]:
    lines = (REAL_SAMPLES / name).read_text(encoding="utf-8").splitlines()
    return [line for line in lines if line.strip() and not line.startswith("#")]


@needs_real_samples
def test_our_samples_are_laid_out_byte_for_byte_as_the_real_exports() -> None:
    """What the real links hold, written by ga_samples, gives the very same links: so the
    self-contained samples stand for the real ones."""
    expected = json.loads((REAL_SAMPLES / "example_output.json").read_text(encoding="utf-8"))
    accounts = iter(
        Account(want["secret"], want["name"], want["issuer"], hotp_counter=want["counter"])
        for want in expected
    )
    for link in links_in("example_export.txt"):
        batch = parse_migration(link)
        rebuilt = [next(accounts) for _ in batch.entries]
        assert batch.batch_id is not None
        assert google_link(*rebuilt, batch_id=batch.batch_id) == link
    (plus,) = links_in("test_plus_problem_export.txt")
    batch = parse_migration(plus)
    rebuilt = [
        Account(e.spec.secret, f"{e.issuer}:{e.label}", e.issuer or "")
        for e in batch.entries
        if e.spec is not None
    ]
    assert batch.batch_id is not None
    assert google_link(*rebuilt, batch_id=batch.batch_id, quoted=False) == plus


@needs_real_samples
def test_real_example_export_matches_the_expected_output() -> None:
    expected = json.loads((REAL_SAMPLES / "example_output.json").read_text(encoding="utf-8"))
    imported = [
        entry for link in links_in("example_export.txt") for entry in parse_migration(link).entries
    ]
    assert len(imported) == len(expected)
    for entry, want in zip(imported, expected, strict=True):
        assert entry.label == want["name"]
        assert entry.issuer == (want["issuer"] or None)
        if want["type"] == "totp":
            assert entry.spec is not None
            assert entry.spec.secret == want["secret"]
            assert (entry.spec.algorithm, entry.spec.digits, entry.spec.period) == (
                Algorithm.SHA1,
                6,
                30,
            )
            assert_codes_match_pyotp(entry.spec)
        else:
            assert entry.skipped == SKIP_HOTP


@needs_real_samples
def test_real_plus_problem_export_has_four_serenity_labs_accounts() -> None:
    (link,) = links_in("test_plus_problem_export.txt")
    assert "+" in link
    assert "/" in link
    batch = parse_migration(link)
    assert [(e.issuer, e.label) for e in batch.entries] == [
        ("SerenityLabs", f"test{n}@serenitylabs.co.uk") for n in range(1, 5)
    ]
    for entry in batch.entries:
        assert entry.spec is not None
        assert_codes_match_pyotp(entry.spec)


@needs_real_samples
def test_real_export_with_wrong_data_is_a_clear_error() -> None:
    (link,) = links_in("test_export_wrong_data.txt")
    assert is_migration_uri(link)
    assert refused(link).key == "migration.bad_payload"


@needs_real_samples
def test_real_export_with_a_scanner_prefix_is_read() -> None:
    (prefixed,) = links_in("test_export_wrong_prefix.txt")
    assert prefixed.startswith("QR-Code:")
    assert is_migration_uri(prefixed)
    first = links_in("example_export.txt")[0]
    assert parse_migration(prefixed) == parse_migration(first)


# --- names for imported accounts --------------------------------------------------------


@pytest.mark.parametrize(
    ("issuer", "label", "expected"),
    [
        ("Amazon Seller Central", "bob", "amazon-seller-central"),
        (None, "test1@example1.com", "test1-example1-com"),
        ("", "test1@example1.com", "test1-example1-com"),
        ("美国站", None, "美国站"),
        ("Shop 美国站", None, "shop-美国站"),
        (None, None, "account"),
        ("", "", "account"),
        ("!!!", "...", "account"),
        ("!!!", "bob", "bob"),  # an issuer that folds to nothing gives way to the label
        ("  --Amazon..US--  ", None, "amazon-us"),
        ("snake_case_ok", None, "snake_case_ok"),
        ("Ａｍａｚｏｎ", None, "amazon"),  # full-width, from CJK input methods
        ("encoding: ¿äÄéÉ? (demo)", None, "encoding-ääéé-demo"),
        ("İstanbul", None, "istanbul"),  # the dot lower() leaves is a mark: dropped
        ("Ünïcode Straße", None, "ünïcode-straße"),
        ("a" * 40, None, "a" * 32),
        ("a" * 31 + " b", None, "a" * 31),  # cut at 32, then no trailing dash
        ("JBSWY3DPEHPK3PXP", None, "account"),  # reads as a secret: never a name
        ("JBSW-Y3DP-EHPK-3PXP", "bob", "bob"),
        ("JBSWY3DPEHPK3PXP", "JBSWY3DPEHPK3PXQ", "account"),
    ],
)
def test_imported_name_folds(issuer: str | None, label: str | None, expected: str) -> None:
    name = imported_name(issuer, label, set())
    assert name == expected
    assert check_name(name) == name


def test_imported_name_is_made_unique_without_regard_to_case() -> None:
    taken = {name_key("Amazon")}
    assert imported_name("Amazon", None, taken) == "amazon-2"
    taken |= {"amazon-2"}
    assert imported_name("AMAZON", None, taken) == "amazon-3"
    assert imported_name(None, None, {"account", "account-2"}) == "account-3"
    assert imported_name("美国站", None, ["美国站"]) == "美国站-2"


def test_the_suffix_stays_within_32_characters() -> None:
    long = "a" * 32
    assert imported_name(long, None, {long}) == "a" * 30 + "-2"
    taken = {long} | {"a" * 30 + f"-{n}" for n in range(2, 10)}
    assert imported_name(long, None, taken) == "a" * 29 + "-10"
    # Cutting for the suffix leaves no dash before it.
    dashed = "a" * 29 + "-bc"
    assert imported_name(dashed, None, {dashed}) == "a" * 29 + "-2"


def test_a_suffix_that_would_make_a_secret_is_passed_over() -> None:
    base = "abcd-efgh-ijkl-mnop-qrst"  # no digit: a name; with "-2" it reads as a secret
    assert not looks_like_secret(base)
    assert looks_like_secret(base + "-2")
    assert imported_name("ABCD EFGH IJKL MNOP QRST", None, {base}) == base + "-8"


@given(
    st.none() | st.text(max_size=80),
    st.none() | st.text(max_size=80),
    st.sets(
        st.sampled_from(["account", "account-2", "amazon", "amazon-2", "a", "美国站"])
        | st.text(max_size=10)
    ),
)
def test_imported_name_is_always_a_free_valid_name(
    issuer: str | None, label: str | None, taken: set[str]
) -> None:
    keys = {name_key(name) for name in taken}
    name = imported_name(issuer, label, keys)
    assert check_name(name) == name
    assert len(name) <= MAX_NAME_LENGTH
    assert name == name.lower()
    assert name_key(name) not in keys
    assert not looks_like_secret(name)

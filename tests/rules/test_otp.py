import base64
import dataclasses
import hashlib
import hmac
import struct

import pyotp
import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot import messages
from bot.messages import CHINESE, ENGLISH
from bot.rules.errors import InvalidSecret, TeamOtpError
from bot.rules.otp import (
    MAX_INPUT_CHARS,
    MIN_SECRET_BITS,
    SHORT_SECRET_BITS,
    UNSHOWN,
    Algorithm,
    Code,
    TotpSpec,
    code_at,
    parse_secret,
    to_uri,
)


def b32(raw: bytes) -> str:
    return base64.b32encode(raw).decode().rstrip("=")


# RFC 6238 Appendix B: the ASCII seed "1234567890..." repeated to the digest's size.
RFC_SEEDS = {
    Algorithm.SHA1: b"12345678901234567890",
    Algorithm.SHA256: b"12345678901234567890123456789012",
    Algorithm.SHA512: b"1234567890" * 6 + b"1234",
}
RFC_TIMES = [59, 1111111109, 1111111111, 1234567890, 2000000000, 20000000000]
RFC_CODES = {
    Algorithm.SHA1: ["94287082", "07081804", "14050471", "89005924", "69279037", "65353130"],
    Algorithm.SHA256: ["46119246", "68084774", "67062674", "91819424", "90698825", "77737706"],
    Algorithm.SHA512: ["90693936", "25091201", "99943326", "93441116", "38618901", "47863826"],
}

SECRET_160 = b32(b"12345678901234567890")  # "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
SECRET_80 = "JBSWY3DPEHPK3PXP"  # 16 characters: 80 bits, as many sites issue


def hotp(key: bytes, counter: int, digits: int = 6, digest: str = "sha1") -> str:
    """RFC 4226 section 5.3, written out independently of pyotp."""
    mac = hmac.new(key, struct.pack(">Q", counter), digest).digest()
    offset = mac[-1] & 0x0F
    binary = struct.unpack(">I", mac[offset : offset + 4])[0] & 0x7FFFFFFF
    return str(binary % 10**digits).zfill(digits)


# --- codes -------------------------------------------------------------------------------


@pytest.mark.parametrize("algorithm", list(Algorithm))
@pytest.mark.parametrize("index", range(len(RFC_TIMES)))
def test_rfc6238_appendix_b_vectors(algorithm: Algorithm, index: int) -> None:
    spec = TotpSpec(secret=b32(RFC_SEEDS[algorithm]), algorithm=algorithm, digits=8, period=30)
    assert code_at(spec, RFC_TIMES[index]).value == RFC_CODES[algorithm][index]


def test_the_independent_hotp_agrees_with_the_rfc() -> None:
    assert hotp(RFC_SEEDS[Algorithm.SHA1], 59 // 30, digits=8) == "94287082"
    assert hotp(RFC_SEEDS[Algorithm.SHA512], 59 // 30, digits=8, digest="sha512") == "90693936"


@pytest.mark.parametrize("at", [0, 1, 29, 30, 59.999, 1_700_000_000, 1_700_000_029.5, 4102444800])
def test_codes_equal_pyotp_for_a_normal_secret(at: float) -> None:
    spec = parse_secret(SECRET_160)
    assert spec.secret_bits == 160
    assert not spec.is_short
    assert code_at(spec, at).value == pyotp.TOTP(SECRET_160).at(at)


@given(at=st.integers(min_value=0, max_value=2**34))
def test_codes_equal_pyotp_property(at: int) -> None:
    spec = TotpSpec(secret=SECRET_160, algorithm=Algorithm.SHA256, digits=7, period=45)
    expected = pyotp.TOTP(SECRET_160, digits=7, digest=hashlib.sha256, interval=45).at(at)
    assert code_at(spec, at).value == expected


def test_80_bit_secret_is_accepted_and_flagged_short() -> None:
    spec = parse_secret(SECRET_80)
    assert spec.secret == SECRET_80
    assert spec.secret_bits == MIN_SECRET_BITS == 80
    assert spec.is_short
    at = 1_700_000_000
    key = base64.b32decode(SECRET_80)
    assert len(key) == 10
    assert code_at(spec, at).value == hotp(key, at // 30)
    assert code_at(spec, at).next_value == hotp(key, at // 30 + 1)


def test_pyotp_itself_refuses_80_bits_and_is_left_unchanged() -> None:
    code_at(parse_secret(SECRET_80), 0)
    assert pyotp.TOTP.min_secret_length_bits == 112
    with pytest.raises(ValueError, match="at least 112 bits"):
        pyotp.TOTP(SECRET_80)


def test_short_threshold() -> None:
    just_enough = b32(b"x" * (SHORT_SECRET_BITS // 8))  # 23 characters
    assert len(just_enough) == 23
    assert not parse_secret(just_enough).is_short
    assert parse_secret(b32(b"x" * 13)).is_short


@pytest.mark.parametrize("period", [30, 60])
def test_window_boundaries(period: int) -> None:
    spec = TotpSpec(secret=SECRET_160, period=period)
    start = 1_700_000_000 // period * period
    key = base64.b32decode(SECRET_160)
    for at in (start, start + 0.5, start + period - 1, start + period - 0.001):
        code = code_at(spec, at)
        assert code == Code(
            value=hotp(key, start // period),
            valid_from=start,
            valid_until=start + period,
            next_value=hotp(key, start // period + 1),
        )
    after = code_at(spec, start + period)
    assert after.valid_from == start + period
    assert after.value == code_at(spec, start).next_value


def test_seconds_left() -> None:
    code = code_at(TotpSpec(secret=SECRET_160), 1_700_000_000)
    assert code.valid_from == 1_700_000_000 - 20  # 1_700_000_000 % 30 == 20
    assert code.seconds_left(code.valid_from) == 30
    assert code.seconds_left(code.valid_from + 0.2) == 30
    assert code.seconds_left(code.valid_until - 1) == 1
    assert code.seconds_left(code.valid_until - 0.01) == 1
    assert code.seconds_left(code.valid_until) == 0
    assert code.seconds_left(code.valid_until + 100) == 0


@pytest.mark.parametrize("digits", [6, 7, 8])
def test_codes_are_zero_padded(digits: int) -> None:
    spec = TotpSpec(secret=SECRET_160, digits=digits)
    for counter in range(200):
        value = code_at(spec, counter * 30).value
        assert len(value) == digits
        assert value.isdigit()


@pytest.mark.parametrize("at", [-1, float("nan"), float("inf"), 1e12])
def test_times_pyotp_cannot_represent_are_refused(at: float) -> None:
    with pytest.raises(ValueError, match="Unix epoch"):
        code_at(TotpSpec(secret=SECRET_160), at)


# --- parsing base32 ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "JBSWY3DPEHPK3PXP",
        "jbswy3dpehpk3pxp",
        "jbsw y3dp ehpk 3pxp",
        "JBSW-Y3DP-EHPK-3PXP",
        "JBSWY3DPEHPK3PXP======",
        "JBSWY3DPEHPK3PXP=",
        "  jbsw\ty3dp\nehpk\r\n3pxp \n",
        "Jbsw Y3dp-Ehpk 3PXP",
        "ＪＢＳＷ　Ｙ３ＤＰ　ＥＨＰＫ　３ＰＸＰ",  # full-width, from a CJK input method
        "JBSW\u00a0Y3DP\u00a0EHPK\u00a03PXP",  # non-breaking spaces from a web page
        '"JBSWY3DPEHPK3PXP"',  # quoted, or with a full stop after it
        "JBSWY3DPEHPK3PXP.",
        "「jbsw y3dp ehpk 3pxp」。",
        "(JBSW-Y3DP-EHPK-3PXP),",
        "JBSWY3DP\u200bEHPK3PXP\u200b",  # zero-width spaces are invisible, so no part of it
        "\ufeffJBSWY3DPEHPK3PXP",
    ],
)
def test_display_forms_parse_to_the_canonical_secret(text: str) -> None:
    assert parse_secret(text) == TotpSpec(secret="JBSWY3DPEHPK3PXP")


def test_padding_is_dropped_for_lengths_that_need_it() -> None:
    secret = b32(b"0123456789abcdef")  # 16 bytes: 26 characters, padded to 32
    assert parse_secret(base64.b32encode(b"0123456789abcdef").decode()).secret == secret
    assert parse_secret(secret.lower()).secret == secret


def test_a_secret_of_only_digits_is_canonical() -> None:
    assert parse_secret("2345 6723 4567 2345").secret == "2345672345672345"


def test_plain_secret_defaults() -> None:
    spec = parse_secret(SECRET_160)
    assert (spec.algorithm, spec.digits, spec.period, spec.issuer, spec.label) == (
        Algorithm.SHA1,
        6,
        30,
        None,
        None,
    )


# --- parsing otpauth URIs ----------------------------------------------------------------


def test_full_uri() -> None:
    spec = parse_secret(
        "otpauth://totp/ACME%20Co:john.doe@email.com?secret=HXDMVJECJJWSRB3HWIZR4IFUGFTMXBOZ"
        "&issuer=ACME%20Co&algorithm=SHA256&digits=8&period=60"
    )
    assert spec == TotpSpec(
        secret="HXDMVJECJJWSRB3HWIZR4IFUGFTMXBOZ",
        algorithm=Algorithm.SHA256,
        digits=8,
        period=60,
        issuer="ACME Co",
        label="john.doe@email.com",
    )


def test_minimal_uri() -> None:
    spec = parse_secret(f"otpauth://totp/alice?secret={SECRET_160}")
    assert spec == TotpSpec(secret=SECRET_160, label="alice")


@pytest.mark.parametrize(
    ("label", "issuer_param", "issuer", "account"),
    [
        ("Example:alice%40example.com", None, "Example", "alice@example.com"),
        ("Example%3Aalice", None, "Example", "alice"),
        ("Example:%20alice", None, "Example", "alice"),
        ("Label%20Prefix:alice", "Param%20Issuer", "Param Issuer", "alice"),
        ("alice", "Example", "Example", "alice"),
        ("A%3AB:alice", "A%3AB", "A:B", "alice"),
        (":a:b", None, None, "a:b"),
        ("Example:", None, "Example", None),
        ("", "Example", "Example", None),
        ("%E5%BE%AE%E4%BF%A1:%E5%BC%A0%E4%B8%89", None, "微信", "张三"),
        ("Example:alice", "", "Example", "alice"),
    ],
)
def test_label_and_issuer(
    label: str, issuer_param: str | None, issuer: str | None, account: str | None
) -> None:
    query = f"secret={SECRET_160}" + (f"&issuer={issuer_param}" if issuer_param is not None else "")
    spec = parse_secret(f"otpauth://totp/{label}?{query}")
    assert (spec.issuer, spec.label) == (issuer, account)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("SHA1", Algorithm.SHA1),
        ("sha256", Algorithm.SHA256),
        ("Sha512", Algorithm.SHA512),
        ("SHA-256", Algorithm.SHA256),
        ("", Algorithm.SHA1),
    ],
)
def test_algorithm_is_case_insensitive(value: str, expected: Algorithm) -> None:
    spec = parse_secret(f"otpauth://totp/x?secret={SECRET_160}&algorithm={value}")
    assert spec.algorithm is expected


def test_uri_tolerances() -> None:
    spec = parse_secret(
        f"  OTPAUTH://TOTP/x?SECRET={SECRET_80.lower()}%3D%3D%3D%3D%3D%3D&Digits=7"
        "&image=https%3A%2F%2Fexample.com%2Flogo.png&counter=5&color=red\n"
    )
    assert (spec.secret, spec.digits, spec.label) == (SECRET_80, 7, "x")


def test_uri_secret_in_groups() -> None:
    spec = parse_secret("otpauth://totp/x?secret=jbsw+y3dp%20ehpk-3pxp")
    assert spec.secret == SECRET_80


def test_repeated_parameter_with_the_same_value_is_fine() -> None:
    spec = parse_secret(f"otpauth://totp/x?secret={SECRET_160}&digits=8&digits=8")
    assert spec.digits == 8


# --- errors ------------------------------------------------------------------------------


def _error(text: str) -> InvalidSecret:
    with pytest.raises(InvalidSecret) as caught:
        parse_secret(text)
    return caught.value


U = f"otpauth://totp/x?secret={SECRET_160}"


@pytest.mark.parametrize(
    ("text", "key", "params"),
    [
        ("", "secret.empty", {}),
        (" \n\t ", "secret.empty", {}),
        ("JBSWY3DPEHPK3PX1", "secret.not_base32", {}),  # 1 is not base32
        ("JBSWY3DP EHPK 3PX0 8888", "secret.not_base32", {}),
        ("JBSWY3DPEHPK3PXPA", "secret.not_base32", {}),  # 17 characters decode to nothing
        ("JBSW=Y3DPEHPK3PXP", "secret.not_base32", {}),
        ("-- ==", "secret.not_base32", {}),
        ("Amazon: JBSWY3DPEHPK3PXP", "secret.not_base32", {}),
        ("JBSWY3DPEHPK3PXı", "secret.not_base32", {}),  # upper-cases to "I"
        ("JBSWY3DPEHPK3Pß", "secret.not_base32", {}),  # upper-cases to "SS"
        ("JBSWY3DPEHPK3PX", "secret.too_short", {"bits": 72, "min_bits": 80}),
        ("JBSW Y3DP", "secret.too_short", {"bits": 40, "min_bits": 80}),
        ("A" * (MAX_INPUT_CHARS + 1), "secret.too_long", {"max_chars": MAX_INPUT_CHARS}),
        ("otpauth-migration://offline?data=CjEKCkhlbGxvId6tvu8", "secret.migration", {}),
        ("OTPAUTH-MIGRATION://offline?data=x", "secret.migration", {}),
        (f"otpauth://hotp/x?secret={SECRET_160}&counter=0", "secret.hotp", {}),
        (
            f"https://example.com/?secret={SECRET_160}",
            "secret.bad_uri",
            {"reason": "uri.not_otpauth"},
        ),
        ("otpauth://totp/x?issuer=Example", "secret.bad_uri", {"reason": "uri.missing_secret"}),
        (
            "otpauth://totp/x?secret=&issuer=Example",
            "secret.bad_uri",
            {"reason": "uri.missing_secret"},
        ),
        (
            f"otpauth://steam/x?secret={SECRET_160}",
            "secret.bad_uri",
            {"reason": "uri.unknown_type"},
        ),
        (f"otpauth:totp/x?secret={SECRET_160}", "secret.bad_uri", {"reason": "uri.malformed"}),
        (f"otpauth://[totp/x?secret={SECRET_160}", "secret.bad_uri", {"reason": "uri.malformed"}),
        (f"{U}&issuer=%FF", "secret.bad_uri", {"reason": "uri.malformed"}),
        ("otpauth://totp/%FF?secret=" + SECRET_160, "secret.bad_uri", {"reason": "uri.bad_label"}),
        (
            "otpauth://totp/a%0Ab?secret=" + SECRET_160,
            "secret.bad_uri",
            {"reason": "uri.label_unprintable"},
        ),
        (f"{U}&issuer=a%07b", "secret.bad_uri", {"reason": "uri.issuer_unprintable"}),
        (
            f"otpauth://totp/{'a' * 129}?secret={SECRET_160}",
            "secret.bad_uri",
            {"reason": "uri.label_too_long"},
        ),
        (f"{U}&issuer={'a' * 129}", "secret.bad_uri", {"reason": "uri.issuer_too_long"}),
        (f"{U}&secret=GEZDGNBVGY3TQOJQ", "secret.bad_uri", {"reason": "uri.duplicate_parameter"}),
        (f"{U}&digits=6&digits=8", "secret.bad_uri", {"reason": "uri.duplicate_parameter"}),
        ("otpauth://totp/x?secret=JBSWY3DPEHPK3PX1", "secret.not_base32", {}),
        ("otpauth://totp/x?secret=JBSWY3DP", "secret.too_short", {"bits": 40, "min_bits": 80}),
        (f"{U}&algorithm=MD5", "secret.bad_algorithm", {"algorithm": "MD5"}),
        (f"{U}&algorithm=JBSWY3DPEHPK3PXPA", "secret.bad_algorithm", {"algorithm": UNSHOWN}),
        (f"{U}&algorithm=SHA3-256", "secret.bad_algorithm", {"algorithm": UNSHOWN}),
        (f"{U}&algorithm={'X' * 17}", "secret.bad_algorithm", {"algorithm": UNSHOWN}),
        (f"{U}&algorithm=%E2%80%8B", "secret.bad_algorithm", {"algorithm": UNSHOWN}),
        (f"{U}&digits=9", "secret.bad_digits", {"digits": 9}),
        (f"{U}&digits=5", "secret.bad_digits", {"digits": 5}),
        (f"{U}&digits=0", "secret.bad_digits", {"digits": 0}),
        (f"{U}&digits=six", "secret.bad_digits", {"digits": UNSHOWN}),
        (f"{U}&digits=-6", "secret.bad_digits", {"digits": UNSHOWN}),
        (f"{U}&digits={'9' * 40}", "secret.bad_digits", {"digits": UNSHOWN}),
        (f"{U}&period=0", "secret.bad_period", {"period": 0}),
        (f"{U}&period=-30", "secret.bad_period", {"period": UNSHOWN}),
        (f"{U}&period=121", "secret.bad_period", {"period": 121}),
        (f"{U}&period=30.5", "secret.bad_period", {"period": UNSHOWN}),
    ],
)
def test_each_error_key(text: str, key: str, params: dict[str, object]) -> None:
    error = _error(text)
    assert (error.key, error.params) == (key, params)
    assert str(error) == key
    assert isinstance(error, TeamOtpError)
    # The catalog has a message for the key, and its placeholders are all filled.
    for lang in (ENGLISH, CHINESE):
        assert messages.text(lang, error.key, **error.params)


@pytest.mark.parametrize(
    ("text", "english", "chinese"),
    [
        (f"https://example.com/?secret={SECRET_160}", "(not otpauth)", "（不是 otpauth 链接）"),
        (f"otpauth://steam/x?secret={SECRET_160}", "(unknown type)", "（类型未知）"),
        (f"{U}&issuer={'a' * 129}", "(issuer too long)", "（发行方名称太长）"),
        ("otpauth://totp/a%0Ab?secret=" + SECRET_160, "(label unprintable)", "（账号部分含有"),
    ],
)
def test_why_a_link_is_refused_is_said_in_the_readers_language(
    text: str, english: str, chinese: str
) -> None:
    error = _error(text)
    assert english in messages.text(ENGLISH, error.key, **error.params)
    assert chinese in messages.text(CHINESE, error.key, **error.params)


SECRETS_THAT_MUST_NOT_LEAK = [
    "JBSWY3DPEHPK3PX1",
    "JBSWY3DPEHPK3PX",
    "JBSWY3DPEHPK3PXPA",
    "otpauth://totp/x?secret=JBSWY3DPEHPK3PX1",
    "otpauth://totp/x?secret=JBSWY3DP",
    "otpauth://hotp/x?secret=JBSWY3DPEHPK3PXP",
    "otpauth://totp/x?secret=JBSWY3DPEHPK3PXP&algorithm=MD5",
    "otpauth://totp/x?secret=JBSWY3DPEHPK3PXP&digits=9",
    "otpauth://totp/x?secret=JBSWY3DPEHPK3PXP&period=0",
    "otpauth://totp/x?secret=JBSWY3DPEHPK3PXP&secret=GEZDGNBVGY3TQOJQ",
    "https://example.com/?secret=JBSWY3DPEHPK3PXP",
]


@pytest.mark.parametrize("text", SECRETS_THAT_MUST_NOT_LEAK)
def test_errors_never_contain_the_secret(text: str) -> None:
    error = _error(text)
    shown = f"{error} {error!r} {error.args} {error.params}"
    for fragment in ("JBSWY3DP", "jbswy3dp", "GEZDGNBV"):
        assert fragment not in shown
    assert error.__cause__ is None
    assert error.__context__ is None


def test_spec_repr_and_str_hide_the_secret() -> None:
    spec = parse_secret(
        f"otpauth://totp/Amazon:bob?secret={SECRET_160}&issuer=Amazon&algorithm=SHA512"
    )
    for text in (repr(spec), str(spec), f"{spec}", repr([spec]), repr(code_at(spec, 0))):
        assert SECRET_160 not in text
        assert SECRET_160[:8] not in text
    assert repr(spec) == (
        "TotpSpec(algorithm=SHA512, digits=6, period=30, issuer='Amazon', label='bob', "
        "secret=<redacted>)"
    )


@pytest.mark.parametrize(
    "changes",
    [
        {"secret": "jbswy3dpehpk3pxp"},
        {"secret": "JBSW Y3DP EHPK 3PXP"},
        {"secret": "JBSWY3DPEHPK3PXP===="},
        {"secret": "JBSWY3DPEHPK3PX"},
        {"secret": "JBSWY3DPEHPK3PXPA"},
        {"algorithm": "MD5"},
        {"digits": 5},
        {"digits": 9},
        {"period": 0},
        {"period": 121},
        {"issuer": ""},
        {"issuer": " Amazon"},
        {"label": "a\nb"},
        {"label": "a\u2028b"},
        {"label": "x" * 129},
    ],
)
def test_spec_validates_itself_without_showing_the_secret(changes: dict[str, object]) -> None:
    fields: dict[str, object] = {"secret": SECRET_80} | changes
    with pytest.raises(ValueError, match=r"^TotpSpec\.") as caught:
        TotpSpec(**fields)  # type: ignore[arg-type]
    assert "JBSW" not in str(caught.value).upper()


def test_spec_accepts_the_algorithm_as_stored_text() -> None:
    spec = TotpSpec(secret=SECRET_160, algorithm="SHA256")  # type: ignore[arg-type]
    assert spec.algorithm is Algorithm.SHA256
    assert spec == TotpSpec(secret=SECRET_160, algorithm=Algorithm.SHA256)


def test_spec_is_frozen() -> None:
    spec = TotpSpec(secret=SECRET_160)
    with pytest.raises(dataclasses.FrozenInstanceError):
        spec.secret = SECRET_80  # type: ignore[misc]
    assert not hasattr(spec, "__dict__")


# --- to_uri ------------------------------------------------------------------------------


def test_to_uri_layout() -> None:
    spec = TotpSpec(secret=SECRET_160, issuer="ACME Co", algorithm=Algorithm.SHA256, period=60)
    assert to_uri(spec, "john doe") == (
        f"otpauth://totp/ACME%20Co:john%20doe?secret={SECRET_160}&issuer=ACME%20Co"
        "&algorithm=SHA256&digits=6&period=60"
    )
    assert to_uri(TotpSpec(secret=SECRET_80), "bob") == (
        f"otpauth://totp/bob?secret={SECRET_80}&algorithm=SHA1&digits=6&period=30"
    )


def test_to_uri_is_readable_by_pyotp() -> None:
    spec = TotpSpec(secret=SECRET_160, issuer="Example", digits=8, algorithm=Algorithm.SHA512)
    totp = pyotp.parse_uri(to_uri(spec, "alice@example.com"))
    assert isinstance(totp, pyotp.TOTP)
    assert totp.at(1_700_000_000) == code_at(spec, 1_700_000_000).value
    assert (totp.name, totp.issuer) == ("alice@example.com", "Example")


@pytest.mark.parametrize("name", ["", " bob", "a\nb", "x" * 129])
def test_to_uri_refuses_names_it_cannot_round_trip(name: str) -> None:
    with pytest.raises(ValueError, match="account name"):
        to_uri(TotpSpec(secret=SECRET_160), name)


# --- properties --------------------------------------------------------------------------

_uri_like = st.builds(
    lambda prefix, rest: prefix + rest,
    st.sampled_from(
        ["otpauth://totp/", "otpauth://hotp/", "otpauth://", "otpauth:", "otpauth-migration://", ""]
    ),
    st.text(max_size=200),
)
_query_like = st.builds(
    lambda pairs: "otpauth://totp/x?" + "&".join(f"{k}={v}" for k, v in pairs),
    st.lists(
        st.tuples(
            st.sampled_from(["secret", "issuer", "algorithm", "digits", "period", "Secret", "x"]),
            st.one_of(st.text(max_size=40), st.from_regex(r"[A-Za-z2-7%=\- ]{0,40}")),
        ),
        max_size=6,
    ),
)


_base32_like = st.from_regex(r"[A-Za-z2-7 \-=\t]{0,80}", fullmatch=True)


@given(text=st.one_of(st.text(max_size=2000), _base32_like, _uri_like, _query_like))
def test_parse_secret_only_ever_raises_invalid_secret(text: str) -> None:
    outcome: TotpSpec | InvalidSecret
    try:
        outcome = parse_secret(text)
    except InvalidSecret as error:
        outcome = error
    if isinstance(outcome, InvalidSecret):
        assert outcome.key.startswith("secret.")
        assert str(outcome) == outcome.key
    else:
        assert outcome.secret_bits >= MIN_SECRET_BITS


_names = (
    st.text(
        st.characters(exclude_categories=("Cc", "Cs", "Zl", "Zp")),
        min_size=1,
        max_size=40,
    )
    .map(str.strip)
    .filter(bool)
)
_specs = st.builds(
    TotpSpec,
    secret=st.binary(min_size=10, max_size=64).map(b32),
    algorithm=st.sampled_from(Algorithm),
    digits=st.integers(6, 8),
    period=st.integers(1, 120),
    issuer=st.none() | _names,
)


@given(spec=_specs, name=_names)
def test_to_uri_round_trips_through_parse_secret(spec: TotpSpec, name: str) -> None:
    parsed = parse_secret(to_uri(spec, name))
    assert parsed == dataclasses.replace(spec, label=name)

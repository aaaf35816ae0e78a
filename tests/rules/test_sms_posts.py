"""Reading the phone's POSTs: SmsForwarder's JSON template and form body, and generic JSON
with a bearer token, each into one `SmsPost`; anything else into an `Unreadable`."""

from __future__ import annotations

import json
from urllib.parse import quote, quote_plus, urlencode

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from bot.rules.smsposts import (
    MAX_BODY,
    MAX_CREDENTIAL_CHARS,
    MAX_DEVICE_CHARS,
    MAX_SENDER_CHARS,
    MAX_TEXT_CHARS,
    Problem,
    SmsPost,
    Unreadable,
    read_post,
)

JSON = "application/json; charset=utf-8"  # what SmsForwarder's upJson sends
FORM = "application/x-www-form-urlencoded"
SMS = "Amazon: Your code is 228438. Don't share it."
SIGN = "sSFWELbV2YwjdDQhWZwTcWlX5BWUx5J6TPpsZmuPii0%3D"  # the test vector's sign
TS = 1700000000000


def template(**values: str) -> bytes:
    """SmsForwarder's JSON template with `values` in place of its tags, as the app fills it."""
    fields = {"from": "Amazon", "text": SMS, "ts": str(TS), "sign": SIGN, "device": "drawer"}
    return json.dumps(fields | values, ensure_ascii=False).encode()


def post(result: SmsPost | Unreadable) -> SmsPost:
    assert isinstance(result, SmsPost), result
    return result


def refused(result: SmsPost | Unreadable) -> Problem:
    assert isinstance(result, Unreadable), result
    return result.problem


# --- the three formats --------------------------------------------------------------------


def test_smsforwarders_json_template_is_read() -> None:
    got = post(read_post(JSON, template(), None))
    assert got == SmsPost(
        sender="Amazon", text=SMS, ts_ms=TS, sign=SIGN, bearer=None, device="drawer"
    )


def test_the_json_templates_time_may_be_a_number_or_a_string() -> None:
    as_number = json.dumps({"from": "Amazon", "text": SMS, "ts": TS}).encode()
    as_string = json.dumps({"from": "Amazon", "text": SMS, "ts": f" {TS} "}).encode()
    assert post(read_post(JSON, as_number, None)).ts_ms == TS
    assert post(read_post(JSON, as_string, None)).ts_ms == TS


def test_smsforwarders_default_form_body_is_read_with_its_encoding() -> None:
    # The app form-encodes values once more, so the already URL-encoded sign arrives as
    # %253D and decodes to %3D; its text's spaces arrive as "+".
    body = (
        f"from=%2B8613800138000&content={quote_plus('【亚马逊】您的验证码是123456 ok')}"
        f"&timestamp={TS}&sign=sSFWELbV2YwjdDQhWZwTcWlX5BWUx5J6TPpsZmuPii0%253D"
    ).encode()
    assert b"+ok&" in body
    got = post(read_post(FORM, body, None))
    assert got.sender == "+8613800138000"
    assert got.text == "【亚马逊】您的验证码是123456 ok"
    assert got.ts_ms == TS
    assert got.sign == SIGN
    assert got.device is None


def test_the_forms_device_mark_is_the_device() -> None:
    body = urlencode({"from": "Amazon", "content": SMS, "device_mark": "spare phone"})
    assert post(read_post(FORM, body.encode(), None)).device == "spare phone"


def test_a_generic_json_body_carries_its_bearer_token() -> None:
    body = json.dumps({"from": "Amazon", "text": SMS, "ts": TS}).encode()
    got = post(read_post("application/json", body, "Bearer s3cret-token"))
    assert (got.bearer, got.sign, got.ts_ms) == ("s3cret-token", None, TS)


@pytest.mark.parametrize(
    ("header", "bearer"),
    [
        ("bearer  tok ", "tok"),
        ("BEARER tok", "tok"),
        ("Basic dXNlcjpwYXNz", None),
        ("Bearer", None),
        ("Bearer a b", None),
        ("", None),
        (None, None),
    ],
)
def test_only_a_bearer_authorization_gives_a_token(header: str | None, bearer: str | None) -> None:
    assert post(read_post(JSON, template(), header)).bearer == bearer


@pytest.mark.parametrize(
    "content_type",
    [
        "application/json",
        "Application/JSON;charset=UTF-8",
        "application/json; charset=gbk",  # always read as UTF-8, as the app sends it
        "text/json",
        "application/vnd.sms+json",
        None,
        "text/plain",
    ],
)
def test_json_is_read_whatever_its_content_type_parameters(content_type: str | None) -> None:
    assert post(read_post(content_type, template(), None)).text == SMS


@pytest.mark.parametrize("content_type", [None, "text/plain", f"{FORM}; charset=UTF-8"])
def test_a_form_is_read_without_its_content_type_too(content_type: str | None) -> None:
    body = urlencode({"from": "Amazon", "content": SMS}).encode()
    assert post(read_post(content_type, body, None)).text == SMS


def test_a_byte_order_mark_before_the_json_is_no_obstacle() -> None:
    assert post(read_post(JSON, b"\xef\xbb\xbf" + template(), None)).sender == "Amazon"


def test_blank_device_and_sign_are_none() -> None:
    got = post(read_post(JSON, template(sign="", device="  "), None))
    assert (got.sign, got.device) == (None, None)


def test_a_blank_time_is_no_time() -> None:
    assert post(read_post(JSON, template(ts=""), None)).ts_ms is None


def test_null_fields_are_absent_fields() -> None:
    body = json.dumps({"from": "Amazon", "text": SMS, "ts": None, "sign": None}).encode()
    got = post(read_post(JSON, body, None))
    assert (got.ts_ms, got.sign) == (None, None)


def test_a_sign_whose_plus_became_a_space_keeps_its_spaces() -> None:
    """A form decoder turns a sign's "+" into a space; verification puts it back, so the
    space must survive, even at the start."""
    body = f"from=Amazon&content=code+1234&timestamp={TS}&sign=+ab+cd%3D".encode()
    assert post(read_post(FORM, body, None)).sign == " ab cd="


# --- refusals -----------------------------------------------------------------------------


def test_a_body_over_the_cap_is_refused_before_it_is_read() -> None:
    at_cap = template(text=SMS + " " * (MAX_BODY - len(template())))
    assert len(at_cap) == MAX_BODY
    assert isinstance(read_post(JSON, at_cap, None), SmsPost)
    assert refused(read_post(JSON, at_cap + b" ", None)) is Problem.TOO_LARGE
    assert refused(read_post(JSON, b"\xff" * (MAX_BODY + 1), None)) is Problem.TOO_LARGE


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        (JSON, b'{"from":"Amazon","text":"\xff"}'),
        (FORM, b"from=Amazon&content=\xc3"),
        (FORM, b"from=Amazon&content=%FF%FE"),  # percent-escapes of no UTF-8
        (None, b"\xfe\xff\x00{"),
    ],
)
def test_a_body_that_is_not_utf8_is_refused(content_type: str | None, body: bytes) -> None:
    assert refused(read_post(content_type, body, None)) is Problem.NOT_UTF8


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        (JSON, b""),
        (JSON, b"from=Amazon&content=1234"),  # a form labelled JSON is not guessed at
        (JSON, b'["Amazon", "code 1234"]'),
        (JSON, b'{"from": "Amazon", "text": "code 1234"'),
        (JSON, b'{"from": "Amazon", "text": "code 1234", "ts": NaN}'),
        (JSON, b'{"from": "Amazon", "from": "Bank", "text": "code 1234"}'),
        (FORM, b"from=Amazon&from=Bank&content=code+1234"),
        (FORM, b"&".join(b"k%d=v" % i for i in range(40)) + b"&from=A&content=1234"),
        (JSON, b'{"from": 12345, "text": "code 1234"}'),
        (JSON, b'{"from": "Amazon", "text": ["code 1234"]}'),
        (JSON, b'{"from": "Amazon", "text": "code 1234", "sign": 7}'),
        (JSON, b"[" * 3000 + b"]" * 3000),
        ("multipart/form-data; boundary=x", b"--x\r\n"),
        (None, b"just some words"),
        ("text/plain", b""),
    ],
)
def test_a_body_that_is_neither_our_json_nor_a_form_is_refused(
    content_type: str | None, body: bytes
) -> None:
    assert refused(read_post(content_type, body[:MAX_BODY], None)) is Problem.NOT_JSON_OR_FORM


@pytest.mark.parametrize("sender", ["", "   ", "\x00\x07\u202e\u200b", None])
def test_a_post_without_a_sender_is_refused(sender: str | None) -> None:
    fields = {"text": SMS} | ({} if sender is None else {"from": sender})
    assert refused(read_post(JSON, json.dumps(fields).encode(), None)) is Problem.NO_SENDER


@pytest.mark.parametrize("body", [b'{"from": "Amazon", "text": " \\n "}', b"from=Amazon"])
def test_a_post_without_a_text_is_refused(body: bytes) -> None:
    assert refused(read_post(None, body, None)) is Problem.NO_TEXT


@pytest.mark.parametrize(
    "ts", ["abc", "[timestamp]", "-1", "1.7e12", "1700000000000.5", "1" * 16, -1, 10**15, True]
)
def test_a_time_that_is_no_whole_number_of_milliseconds_is_refused(ts: object) -> None:
    body = json.dumps({"from": "Amazon", "text": SMS, "ts": ts}).encode()
    assert refused(read_post(JSON, body, None)) is Problem.BAD_TS


def test_a_time_given_as_a_fraction_is_refused() -> None:
    body = json.dumps({"from": "Amazon", "text": SMS, "ts": 1700000000000.0}).encode()
    assert refused(read_post(JSON, body, None)) is Problem.BAD_TS


def test_credentials_longer_than_any_real_one_are_refused_not_cut() -> None:
    long = "a" * (MAX_CREDENTIAL_CHARS + 1)
    assert refused(read_post(JSON, template(sign=long), None)) is Problem.TOO_LARGE
    assert refused(read_post(JSON, template(), f"Bearer {long}")) is Problem.TOO_LARGE
    at_limit = "a" * MAX_CREDENTIAL_CHARS
    assert post(read_post(JSON, template(), f"Bearer {at_limit}")).bearer == at_limit


# --- bounds and what is shown -------------------------------------------------------------


def test_control_and_formatting_characters_are_stripped_from_the_sender() -> None:
    got = post(read_post(JSON, template(**{"from": "\u202eAma\x00zon\u200b\n Bank\x1b"}), None))
    assert got.sender == "Amazon Bank"


def test_the_sender_and_device_are_cut_to_their_bounds() -> None:
    got = post(read_post(JSON, template(**{"from": "S" * 500, "device": "D" * 500}), None))
    assert got.sender == "S" * MAX_SENDER_CHARS
    assert got.device == "D" * MAX_DEVICE_CHARS


def test_a_long_text_is_cut_without_cutting_a_number_in_two() -> None:
    text = "x" * (MAX_TEXT_CHARS - 3) + " 123456 end"
    got = post(read_post(JSON, template(text=text), None))
    assert got.text == "x" * (MAX_TEXT_CHARS - 3) + " "
    assert len(post(read_post(JSON, template(text="y" * 3000), None)).text) == MAX_TEXT_CHARS


def test_a_lone_surrogate_in_a_field_becomes_a_replacement_character() -> None:
    body = b'{"from": "Amazon", "text": "code 1234 \\ud83d", "sign": "\\udc00x"}'
    got = post(read_post(JSON, body, None))
    got.text.encode()
    assert got.text.startswith("code 1234 ")
    assert got.sign is not None
    got.sign.encode()


def test_the_repr_shows_neither_the_text_nor_the_credentials() -> None:
    got = post(read_post(JSON, template(), "Bearer hunter2-token"))
    shown = repr(got)
    assert "Amazon" in shown
    assert "228438" not in shown
    assert "sSFWEL" not in shown
    assert "hunter2" not in shown
    assert "Unreadable(problem=<Problem.NO_TEXT" in repr(Unreadable(Problem.NO_TEXT))


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("sender", ""),
        ("sender", "s" * (MAX_SENDER_CHARS + 1)),
        ("text", ""),
        ("text", "t" * (MAX_TEXT_CHARS + 1)),
        ("ts_ms", -1),
        ("sign", ""),
        ("bearer", "b" * (MAX_CREDENTIAL_CHARS + 1)),
        ("device", ""),
    ],
)
def test_a_post_built_elsewhere_keeps_the_bounds_too(field: str, value: object) -> None:
    fields: dict[str, object] = {
        "sender": "Amazon",
        "text": SMS,
        "ts_ms": TS,
        "sign": None,
        "bearer": None,
        "device": None,
    }
    with pytest.raises(ValueError, match=f"SmsPost.{field}") as raised:
        SmsPost(**(fields | {field: value}))  # type: ignore[arg-type]
    if isinstance(value, str) and value:
        assert value not in str(raised.value)


# --- properties ---------------------------------------------------------------------------

CONTENT_TYPES = st.sampled_from([None, JSON, FORM, "text/plain", "application/json;x", ""])


@given(
    content_type=CONTENT_TYPES | st.text(max_size=40),
    body=st.binary(max_size=MAX_BODY + 64),
    authorization=st.none() | st.text(max_size=300),
)
def test_any_bytes_give_a_post_or_a_refusal_never_an_error(
    content_type: str | None, body: bytes, authorization: str | None
) -> None:
    assert isinstance(read_post(content_type, body, authorization), SmsPost | Unreadable)


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=80),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=12,
)


@given(
    fields=st.dictionaries(
        st.sampled_from(["from", "text", "content", "ts", "timestamp", "sign", "device"])
        | st.text(max_size=8),
        JSON_VALUES,
        max_size=8,
    )
)
def test_any_json_object_gives_a_post_or_a_refusal_never_an_error(
    fields: dict[str, object],
) -> None:
    body = json.dumps(fields).encode()[:MAX_BODY]
    assert isinstance(read_post(JSON, body, None), SmsPost | Unreadable)


SENDERS = st.text(
    st.characters(blacklist_categories=("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp", "Zs")),
    min_size=1,
    max_size=MAX_SENDER_CHARS,
)
TEXTS = st.text(st.characters(codec="utf-8"), min_size=1, max_size=150).filter(str.strip)


@given(sender=SENDERS, text=TEXTS, ts=st.integers(0, 10**15 - 1))
def test_what_the_phone_sends_is_what_is_read_in_either_format(
    sender: str, text: str, ts: int
) -> None:
    as_json = json.dumps({"from": sender, "text": text, "ts": str(ts)}).encode()
    as_form = urlencode({"from": sender, "content": text, "timestamp": ts}).encode()
    for content_type, body in ((JSON, as_json), (FORM, as_form)):
        got = post(read_post(content_type, body, None))
        assert (got.sender, got.text, got.ts_ms) == (sender, text, ts)


@given(sign=st.text(st.characters(codec="utf-8"), min_size=1, max_size=60))
def test_a_forms_sign_arrives_as_the_app_put_it(sign: str) -> None:
    assume(sign.strip())
    body = f"from=Amazon&content=code&timestamp={TS}&sign={quote(sign, safe='')}".encode()
    assert post(read_post(FORM, body, None)).sign == sign

import base64
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from storage.crypto import DecryptionError, SecretBox, decode_master_key, encode_master_key

KEY = bytes(range(32))
OTHER_KEY = bytes(range(1, 33))
AD = b"account/3f2a9c"
PLAINTEXT = b"JBSWY3DPEHPK3PXP"


@pytest.fixture
def box() -> SecretBox:
    return SecretBox(KEY)


def test_round_trip(box: SecretBox) -> None:
    assert box.open(box.seal(PLAINTEXT, AD), AD) == PLAINTEXT


def test_round_trip_empty_plaintext_and_associated_data(box: SecretBox) -> None:
    assert box.open(box.seal(b"", b""), b"") == b""


def test_layout_is_version_nonce_body_tag(box: SecretBox) -> None:
    sealed = box.seal(PLAINTEXT, AD)
    assert sealed[0] == 1
    assert len(sealed) == 1 + 12 + len(PLAINTEXT) + 16


def test_fresh_nonce_each_seal(box: SecretBox) -> None:
    first, second = box.seal(PLAINTEXT, AD), box.seal(PLAINTEXT, AD)
    assert first != second
    assert first[1:13] != second[1:13]


def test_a_new_box_with_the_same_key_opens(box: SecretBox) -> None:
    assert SecretBox(KEY).open(box.seal(PLAINTEXT, AD), AD) == PLAINTEXT


@pytest.mark.parametrize(
    "position",
    [
        pytest.param(0, id="version"),
        pytest.param(1, id="nonce-first"),
        pytest.param(12, id="nonce-last"),
        pytest.param(13, id="body-first"),
        pytest.param(13 + len(PLAINTEXT) - 1, id="body-last"),
        pytest.param(13 + len(PLAINTEXT), id="tag-first"),
        pytest.param(-1, id="tag-last"),
    ],
)
def test_tampering_is_detected(box: SecretBox, position: int) -> None:
    sealed = bytearray(box.seal(PLAINTEXT, AD))
    sealed[position] ^= 0x01
    with pytest.raises(DecryptionError):
        box.open(bytes(sealed), AD)


def test_every_single_bit_flip_is_detected(box: SecretBox) -> None:
    sealed = box.seal(PLAINTEXT, AD)
    for index in range(len(sealed)):
        for bit in range(8):
            tampered = bytearray(sealed)
            tampered[index] ^= 1 << bit
            with pytest.raises(DecryptionError):
                box.open(bytes(tampered), AD)


def test_ciphertext_moved_to_another_row_does_not_open(box: SecretBox) -> None:
    sealed = box.seal(PLAINTEXT, b"account/3f2a9c")
    with pytest.raises(DecryptionError):
        box.open(sealed, b"account/77b0e1")


def test_wrong_key_does_not_open(box: SecretBox) -> None:
    sealed = box.seal(PLAINTEXT, AD)
    with pytest.raises(DecryptionError):
        SecretBox(OTHER_KEY).open(sealed, AD)


@pytest.mark.parametrize("length", [0, 1, 12, 13, 28])
def test_truncated_input(box: SecretBox, length: int) -> None:
    sealed = box.seal(PLAINTEXT, AD)
    with pytest.raises(DecryptionError):
        box.open(sealed[:length], AD)


def test_dropping_the_last_byte_is_detected(box: SecretBox) -> None:
    with pytest.raises(DecryptionError):
        box.open(box.seal(PLAINTEXT, AD)[:-1], AD)


def test_unknown_version(box: SecretBox) -> None:
    sealed = box.seal(PLAINTEXT, AD)
    with pytest.raises(DecryptionError):
        box.open(b"\x02" + sealed[1:], AD)


def test_decryption_error_message_never_includes_the_data(box: SecretBox) -> None:
    sealed = box.seal(PLAINTEXT, AD)
    tampered = sealed[:-1] + bytes([sealed[-1] ^ 1])
    with pytest.raises(DecryptionError) as caught:
        box.open(tampered, AD)
    text = str(caught.value) + repr(caught.value)
    for secret in (PLAINTEXT, tampered, AD):
        assert secret.decode("latin-1") not in text
        assert secret.hex() not in text
    assert caught.value.__cause__ is None
    assert caught.value.__suppress_context__


def test_key_check_matches_only_its_key(box: SecretBox) -> None:
    check = box.key_check()
    assert box.matches(check)
    assert SecretBox(KEY).matches(check)
    assert not SecretBox(OTHER_KEY).matches(check)


def test_key_check_rejects_garbage_and_other_sealed_values(box: SecretBox) -> None:
    assert not box.matches(b"")
    assert not box.matches(b"not a key check")
    assert not box.matches(box.seal(b"teamotp key check v1", b"something else"))
    assert not box.matches(box.seal(b"another plaintext", b"teamotp/key-check"))


@pytest.mark.parametrize("size", [0, 16, 24, 31, 33, 64])
def test_key_must_be_32_bytes(size: int) -> None:
    with pytest.raises(ValueError, match="master key must be 32 bytes"):
        SecretBox(b"k" * size)


def test_generate_key() -> None:
    first, second = SecretBox.generate_key(), SecretBox.generate_key()
    assert len(first) == SecretBox.KEY_SIZE == 32
    assert first != second


def test_repr_and_str_hide_the_key(box: SecretBox) -> None:
    for text in (repr(box), str(box), f"{box!r} {box}"):
        assert text.startswith("SecretBox(<redacted>)")
        assert KEY.hex() not in text
        assert repr(KEY) not in text
        assert encode_master_key(KEY) not in text
    assert not hasattr(box, "__dict__")
    assert not any(isinstance(getattr(box, name), bytes) for name in SecretBox.__slots__)


def test_encode_decode_master_key() -> None:
    text = encode_master_key(KEY)
    assert text == base64.b64encode(KEY).decode()
    assert decode_master_key(text) == KEY


def _keys() -> list[bytes]:
    # Keys whose base64 forms contain '+' and '/' (standard) and '-' and '_' (url-safe).
    return [KEY, bytes([0xFB, 0xFF, 0xBF] * 10 + [0xFE, 0xFF])]


@pytest.mark.parametrize("key", _keys())
@pytest.mark.parametrize(
    "encode",
    [
        pytest.param(lambda k: base64.b64encode(k).decode(), id="standard"),
        pytest.param(lambda k: base64.urlsafe_b64encode(k).decode(), id="urlsafe"),
        pytest.param(lambda k: base64.b64encode(k).decode().rstrip("="), id="unpadded"),
        pytest.param(lambda k: base64.urlsafe_b64encode(k).decode().rstrip("="), id="url-unpadded"),
        pytest.param(lambda k: f"  {base64.b64encode(k).decode()}\n", id="surrounding-space"),
        pytest.param(
            lambda k: "\n".join(base64.b64encode(k).decode()[i : i + 10] for i in range(0, 44, 10)),
            id="wrapped",
        ),
    ],
)
def test_decode_master_key_accepts_common_forms(key: bytes, encode: Callable[[bytes], str]) -> None:
    assert decode_master_key(encode(key)) == key


def test_the_test_keys_exercise_both_alphabets() -> None:
    special = _keys()[1]
    assert set("+/") <= set(base64.b64encode(special).decode())
    assert set("-_") <= set(base64.urlsafe_b64encode(special).decode())


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("", id="empty"),
        pytest.param("   \n", id="blank"),
        pytest.param(base64.b64encode(b"k" * 31).decode(), id="31-bytes"),
        pytest.param(base64.b64encode(b"k" * 33).decode(), id="33-bytes"),
        pytest.param(base64.b64encode(b"k" * 16).decode(), id="16-bytes"),
        pytest.param(KEY.hex(), id="hex"),
        pytest.param("not base64 at all! not base64 at all! not base64", id="garbage"),
        pytest.param(base64.b64encode(KEY).decode()[:-2] + "é=", id="non-ascii"),
        pytest.param(base64.b64encode(KEY).decode() + "==", id="extra-padding"),
        pytest.param("=" + base64.b64encode(KEY).decode(), id="leading-padding"),
        pytest.param(base64.b64encode(KEY).decode()[:-2], id="truncated"),
        pytest.param("A" * 45, id="impossible-length"),
    ],
)
def test_decode_master_key_rejects_without_echoing(text: str) -> None:
    with pytest.raises(ValueError, match="32 bytes, base64") as caught:
        decode_master_key(text)
    message = str(caught.value)
    compact = "".join(text.split())
    if compact:
        assert compact not in message
    assert caught.value.__cause__ is None
    assert caught.value.__context__ is None


def test_encode_master_key_rejects_wrong_length() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        encode_master_key(b"short")


@given(plaintext=st.binary(max_size=512), associated_data=st.binary(max_size=64))
def test_round_trip_property(plaintext: bytes, associated_data: bytes) -> None:
    box = SecretBox(KEY)
    sealed = box.seal(plaintext, associated_data)
    assert len(sealed) == 1 + 12 + len(plaintext) + 16
    assert box.open(sealed, associated_data) == plaintext


@given(key=st.binary(min_size=32, max_size=32))
def test_master_key_text_round_trip_property(key: bytes) -> None:
    assert decode_master_key(encode_master_key(key)) == key

"""Authenticated encryption of the stored secrets, and the master key's text form.

This is the only module that touches `cryptography.hazmat`: the rest of the
project sees one safe API (`SecretBox.seal` / `SecretBox.open`) and one error
(`DecryptionError`), as in cryptography's Fernet recipe.

Sealed format, version 1::

    b"\\x01" || nonce (12 random bytes) || AES-256-GCM ciphertext || tag (16 bytes)

The version byte is authenticated too (it is part of the associated data), so
a future format can be told apart from tampering, and a v1 body cannot be
passed off as another version.
"""

from __future__ import annotations

import base64
import binascii
import os
import re

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

_VERSION = b"\x01"
_NONCE_SIZE = 12
_TAG_SIZE = 16
_MIN_SEALED_SIZE = len(_VERSION) + _NONCE_SIZE + _TAG_SIZE

_KEY_CHECK_PLAINTEXT = b"teamotp key check v1"
_KEY_CHECK_AD = b"teamotp/key-check"

# Standard and URL-safe alphabets together, with optional padding: the key is
# usually pasted into an .env file, and either variant is what tools print.
_BASE64_TEXT = re.compile(r"[A-Za-z0-9+/\-_]+={0,2}")


class DecryptionError(Exception):
    """Sealed data could not be opened.

    Deliberately one error for every cause (wrong key, tampering, data moved to
    another row, truncation, unknown version): telling them apart would help an
    attacker more than an operator, and the message never includes the data.
    """


class SecretBox:
    """AES-256-GCM with a random nonce per message and caller-chosen associated data.

    The associated data binds a ciphertext to where it belongs (e.g. an
    account's uid), so a ciphertext copied to another row does not open there.
    A random 96-bit nonce is safe for far more messages than a team will ever seal.
    """

    __slots__ = ("_aead",)

    KEY_SIZE = 32

    def __init__(self, key: bytes) -> None:
        if not isinstance(key, bytes) or len(key) != self.KEY_SIZE:
            raise ValueError("master key must be 32 bytes")
        # Only the cipher object is kept: there is no attribute holding the raw
        # key for a repr, a debugger or a careless log line to show.
        self._aead = AESGCM(key)

    def __repr__(self) -> str:
        return "SecretBox(<redacted>)"

    @staticmethod
    def generate_key() -> bytes:
        """A fresh random master key, from the OS's CSPRNG."""
        return AESGCM.generate_key(bit_length=256)

    def seal(self, plaintext: bytes, associated_data: bytes) -> bytes:
        """Encrypt and authenticate; a fresh nonce each call, so equal plaintexts differ."""
        nonce = os.urandom(_NONCE_SIZE)
        body = self._aead.encrypt(nonce, plaintext, _VERSION + associated_data)
        return _VERSION + nonce + body

    def open(self, sealed: bytes, associated_data: bytes) -> bytes:
        """Decrypt what `seal` made with the same key and associated data, or raise."""
        if len(sealed) < _MIN_SEALED_SIZE:
            raise DecryptionError("sealed data is truncated")
        version = sealed[:1]
        if version != _VERSION:
            raise DecryptionError("sealed data has an unknown format version")
        nonce = sealed[1 : 1 + _NONCE_SIZE]
        body = sealed[1 + _NONCE_SIZE :]
        try:
            return self._aead.decrypt(nonce, body, version + associated_data)
        except InvalidTag:
            raise DecryptionError(
                "sealed data cannot be opened: wrong key, or it was altered or moved"
            ) from None

    def key_check(self) -> bytes:
        """A value to store beside the data, so a wrong key is caught at start-up
        with a clear message instead of as a decryption error on the first request."""
        return self.seal(_KEY_CHECK_PLAINTEXT, _KEY_CHECK_AD)

    def matches(self, key_check: bytes) -> bool:
        """True iff `key_check` was made by this key."""
        try:
            return self.open(key_check, _KEY_CHECK_AD) == _KEY_CHECK_PLAINTEXT
        except DecryptionError:
            return False


def decode_master_key(text: str) -> bytes:
    """The key from its text form (base64, standard or URL-safe, padding optional).

    Whitespace anywhere is ignored, since keys get wrapped or get a trailing
    newline in files. The error never repeats the text: it is the key, or close to it.
    """
    compact = "".join(text.split())
    if not _BASE64_TEXT.fullmatch(compact):
        raise ValueError("TEAMOTP_MASTER_KEY must be 32 bytes, base64-encoded")
    standard = compact.rstrip("=").replace("-", "+").replace("_", "/")
    standard += "=" * (-len(standard) % 4)
    try:
        key = base64.b64decode(standard, validate=True)
    except binascii.Error:
        key = b""  # not raised from here, so no chained exception carries the text
    if len(key) != SecretBox.KEY_SIZE:
        raise ValueError("TEAMOTP_MASTER_KEY must be 32 bytes, base64-encoded")
    return key


def encode_master_key(key: bytes) -> str:
    """The key's text form: standard base64, as `openssl rand -base64 32` prints it."""
    if len(key) != SecretBox.KEY_SIZE:
        raise ValueError("master key must be 32 bytes")
    return base64.b64encode(key).decode("ascii")

"""Every value the store keeps sealed, what each is bound to, and re-sealing them all under
another key (`teamotp rotate-key`, `teamotp restore --key-file`).

The bindings live here, not in the repositories, so that re-sealing a whole store binds
each value exactly as the repositories do when they write it: a value re-sealed any other
way would no longer open where it is read.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import quote

from storage.crypto import DecryptionError, SecretBox

# The setting that holds the key check value (`SecretBox.key_check`): sealed with the key
# itself, so it is re-made, not re-sealed, under a new key.
KEY_CHECK = "key_check"

# The associated data a stored secret is sealed with. v1 (the first version) bound only the
# account's uid, so editing the digits, period or algorithm in the database gave wrong codes
# with no error; v2 binds the account's name and everything that makes the code, so that
# neither an edit nor a swap of secrets, uids or names between rows goes unnoticed.
# `Accounts.rebind_v1` upgrades old rows; a rename re-seals.
_AD_V1 = b"teamotp/account-secret/v1/"
_AD_V2 = b"teamotp/account-secret/v2/"
# A custody note is bound to its account's uid only: a rename or a new key leaves it as it
# is, and a note copied to another row no longer opens.
_NOTE_AD = b"teamotp/account-note/v1/"
# A new secret waiting for confirmation is bound to the account's uid and to the settings
# it will have once confirmed: moved to another account, or edited, it no longer opens.
_ROTATION_AD = b"teamotp/rotation/v1/"
# A relay's secret is bound to the id in its URL; an SMS code held for the team, to its
# account's uid and the ticket of its arrival.
_RELAY_AD = b"teamotp/sms-relay/v1/"
_HELD_SMS_AD = b"teamotp/sms-code/v1/"


def secret_binding_v1(account_uid: str) -> bytes:
    return _AD_V1 + account_uid.encode("utf-8")


def secret_binding(
    account_uid: str, name_key: str, algorithm: str, digits: int, period: int
) -> bytes:
    """`v2/uid/name/algorithm/digits/period`, each part percent-encoded so that no part
    holds a `/`: one byte string can only ever be read back as one set of values, also
    from a row whose text columns were edited to hold separators."""
    parts = (account_uid, name_key, algorithm, str(digits), str(period))
    return _AD_V2 + "/".join(quote(part, safe="") for part in parts).encode("ascii")


class _AccountLike(Protocol):
    @property
    def uid(self) -> str: ...
    @property
    def name_key(self) -> str: ...
    @property
    def algorithm(self) -> str: ...
    @property
    def digits(self) -> int: ...
    @property
    def period(self) -> int: ...


def account_binding(account: _AccountLike) -> bytes:
    return secret_binding(
        account.uid, account.name_key, account.algorithm, account.digits, account.period
    )


def note_binding(account_uid: str) -> bytes:
    return _NOTE_AD + quote(account_uid, safe="").encode("ascii")


def rotation_binding(account_uid: str, algorithm: str, digits: int, period: int) -> bytes:
    parts = (account_uid, algorithm, str(digits), str(period))
    return _ROTATION_AD + "/".join(quote(part, safe="") for part in parts).encode("ascii")


def relay_binding(path_id: str) -> bytes:
    return _RELAY_AD + quote(path_id, safe="").encode("ascii")


def held_sms_binding(account_uid: str, ticket: str) -> bytes:
    parts = (account_uid, ticket)
    return _HELD_SMS_AD + "/".join(quote(part, safe="") for part in parts).encode("ascii")


# Every sealed column, by table: a column added to the models that holds sealed data must be
# added here, or a new key would leave it unreadable (tests/storage/test_sealed.py checks
# the models for columns that look sealed).
SEALED_COLUMNS: Mapping[str, tuple[str, ...]] = {
    "accounts": ("secret_sealed", "note_sealed"),
    "pending_rotations": ("secret_sealed",),
    "sms_relays": ("secret_sealed",),
    "sms_held_codes": ("code_sealed",),
}


class UnreadableSecrets(Exception):
    """Some sealed values do not open with the key they should have been sealed with (the
    rows were changed outside the bot): re-sealing them is impossible, and leaving them
    under the old key would lose them for good once it is gone. The message names the
    accounts, never a value."""

    def __init__(self, accounts: list[str]) -> None:
        self.accounts = accounts
        super().__init__(
            "the stored secrets of these accounts do not open with the old key (they were "
            f"changed outside the bot): {', '.join(accounts)}; remove them first "
            "(teamotp accounts remove NAME) and add them again afterwards"
        )
        # The same words in the message catalog (see `storage.database.StoreError`).
        self.key = "store.unreadable_secrets"
        self.params: dict[str, object] = {"accounts": tuple(accounts)}


@dataclass
class Resealer:
    """Opens each sealed value of a row with one key and seals it again with another, bound
    as before. Rows come table by table in the order of their foreign keys (an account
    before the pending rotation that refers to it), as `Base.metadata.sorted_tables`
    gives them. `unreadable` names the accounts whose values did not open; callers raise
    `UnreadableSecrets` (see `check`) before they commit."""

    old: SecretBox
    new: SecretBox
    resealed: int = 0
    unreadable: list[str] = field(default_factory=list)
    _accounts: dict[int, tuple[str, str]] = field(default_factory=dict)  # id: (uid, name)

    def row(self, table: str, values: Mapping[str, Any]) -> dict[str, Any]:
        """The row's values, its sealed ones under the new key."""
        row = dict(values)
        if table == "accounts":
            self._accounts[row["id"]] = (row["uid"], row["name"])
            self._reseal(row, "secret_sealed", row["name"], account_binding(_Values(row)))
            self._reseal(row, "note_sealed", row["name"], note_binding(row["uid"]))
        elif table == "pending_rotations":
            uid, name = self._accounts.get(row["account_id"], ("", f"#{row['account_id']}"))
            bound = rotation_binding(uid, row["algorithm"], row["digits"], row["period"])
            self._reseal(row, "secret_sealed", name, bound)
        elif table == "sms_relays":
            name = self._accounts.get(row["account_id"], ("", f"#{row['account_id']}"))[1]
            self._reseal(row, "secret_sealed", name, relay_binding(row["path_id"]))
        elif table == "sms_held_codes":
            uid, name = self._accounts.get(row["account_id"], ("", f"#{row['account_id']}"))
            self._reseal(row, "code_sealed", name, held_sms_binding(uid, row["ticket"]))
        return row

    def check(self) -> None:
        if self.unreadable:
            raise UnreadableSecrets(sorted(set(self.unreadable)))

    def _reseal(self, row: dict[str, Any], column: str, name: str, bound: bytes) -> None:
        sealed = row[column]
        if sealed is None:
            return
        try:
            plain = self.old.open(bytes(sealed), bound)
        except DecryptionError:
            self.unreadable.append(name)
            return
        row[column] = self.new.seal(plain, bound)
        self.resealed += 1


class _Values:
    """A row's values read as attributes, so a plain row binds exactly as a model does."""

    def __init__(self, row: Mapping[str, Any]) -> None:
        self.uid: str = row["uid"]
        self.name_key: str = row["name_key"]
        self.algorithm: str = row["algorithm"]
        self.digits: int = row["digits"]
        self.period: int = row["period"]

"""Looking accounts up, and the one place a stored secret is opened."""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from typing import TypeVar

from bot.rules.errors import InvalidInput, UnreadableSecret
from bot.rules.model import AccountInfo, Approval, Delivery, PlainAdd, Policy
from bot.rules.names import name_key, shown
from bot.rules.otp import Algorithm, TotpSpec
from storage.crypto import DecryptionError
from storage.models import Account
from storage.repositories import Repositories


def account_info(account: Account, *, readable: bool = True) -> AccountInfo:
    return AccountInfo(
        id=account.id,
        name=account.name,
        issuer=account.issuer,
        algorithm=account.algorithm,
        digits=account.digits,
        period=account.period,
        readable=readable,
        policy=policy_of(account),
        relayed=account.sms_relay is not None,
    )


def policy_of(account: Account) -> Policy:
    """The stored policy; a value this version does not know counts as the strictest
    choice, so an edited row never loosens what an admin set."""
    return Policy(
        approval=_read(Approval, account.approval, Approval.NONE, strict=Approval.ADMIN),
        delivery=_read(Delivery, account.delivery, Delivery.HERE, strict=Delivery.PRIVATE),
        members=_read(PlainAdd, account.plain_add, PlainAdd.ALL, strict=PlainAdd.LISTED),
    )


E = TypeVar("E", bound=StrEnum)


def _read(kind: type[E], stored: str | None, default: E, *, strict: E) -> E:
    if stored is None:
        return default
    try:
        return kind(stored)
    except ValueError:
        return strict


def spec_of(tx: Repositories, account: Account) -> TotpSpec:
    """Everything that makes the account's codes, its secret included. The only caller of
    `reveal`: the plain secret lives in the returned spec, which callers use and drop.

    A secret that no longer opens (its row was changed outside the bot) is reported by
    the account's name, never turned into a code."""
    try:
        secret = tx.accounts.reveal(account)
    except DecryptionError:
        raise UnreadableSecret(account.name) from None
    return TotpSpec(
        secret=secret,
        algorithm=Algorithm(account.algorithm),
        digits=account.digits,
        period=account.period,
        issuer=account.issuer,
        label=account.label,
    )


def holder_of(tx: Repositories, secret: str) -> str | None:
    """The account that already holds this secret, if any (reported, never duplicated).

    An account whose secret cannot be read is skipped: it must not stop every later
    account from being added (it is reported by name where it is used)."""
    for other in tx.accounts.all():
        try:
            held = spec_of(tx, other).secret
        except UnreadableSecret:
            continue
        if held == secret:
            return other.name
    return None


def named(tx: Repositories, name: str) -> Account:
    account = tx.accounts.by_key(name_key(name))
    if account is None:
        raise InvalidInput("account.unknown", names=(shown(name),))
    return account


def all_named(tx: Repositories, names: Sequence[str]) -> list[Account]:
    """All named accounts, or an error listing every name that does not exist."""
    found: list[Account] = []
    missing: list[str] = []
    for name in names:
        account = tx.accounts.by_key(name_key(name))
        if account is None:
            missing.append(shown(name))
        elif account not in found:
            found.append(account)
    if missing:
        raise InvalidInput("account.unknown", names=tuple(missing))
    return found


def existing(tx: Repositories, account_id: int) -> Account:
    """The account a button was made for; it may have been removed since."""
    account = tx.accounts.by_id(account_id)
    if account is None:
        raise InvalidInput("account.already_removed")
    return account

"""Looking accounts up, and the one place a stored secret is opened."""

from __future__ import annotations

from collections.abc import Sequence

from bot.rules.errors import InvalidInput
from bot.rules.model import AccountInfo
from bot.rules.names import name_key, shown
from bot.rules.otp import Algorithm, TotpSpec
from storage.models import Account
from storage.repositories import Repositories


def account_info(account: Account) -> AccountInfo:
    return AccountInfo(
        id=account.id,
        name=account.name,
        issuer=account.issuer,
        algorithm=account.algorithm,
        digits=account.digits,
        period=account.period,
    )


def spec_of(tx: Repositories, account: Account) -> TotpSpec:
    """Everything that makes the account's codes, its secret included. The only caller of
    `reveal`: the plain secret lives in the returned spec, which callers use and drop."""
    return TotpSpec(
        secret=tx.accounts.reveal(account),
        algorithm=Algorithm(account.algorithm),
        digits=account.digits,
        period=account.period,
        issuer=account.issuer,
        label=account.label,
    )


def holder_of(tx: Repositories, secret: str) -> str | None:
    """The account that already holds this secret, if any (reported, never duplicated)."""
    for other in tx.accounts.all():
        if spec_of(tx, other).secret == secret:
            return other.name
    return None


def named(tx: Repositories, name: str) -> Account:
    account = tx.accounts.by_key(name_key(name))
    if account is None:
        raise InvalidInput("account.unknown", names=shown(name))
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
        raise InvalidInput("account.unknown", names=", ".join(missing))
    return found


def existing(tx: Repositories, account_id: int) -> Account:
    """The account a button was made for; it may have been removed since."""
    account = tx.accounts.by_id(account_id)
    if account is None:
        raise InvalidInput("account.already_removed")
    return account

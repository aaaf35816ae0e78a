"""The team's accounts and their secrets: adding, renaming, removing, listing.

Secrets go in sealed and come out only inside `codes.issue`; nothing here
returns or logs one.
"""

from __future__ import annotations

from teamotp.domain.codes import account_info, issue
from teamotp.domain.core import Core
from teamotp.domain.errors import InvalidInput
from teamotp.domain.model import AccountInfo, AddedAccount, Person, Role
from teamotp.domain.names import check_name, name_key
from teamotp.domain.otp import parse_secret
from teamotp.storage.models import Account
from teamotp.storage.repositories import Repositories


class Vault:
    def __init__(self, core: Core) -> None:
        self._core = core

    def add(self, actor: Person, name: str, secret_text: str) -> AddedAccount:
        """Store a new account and return its current code, for the site's "verify" step."""
        core = self._core
        shown = check_name(name)
        spec = parse_secret(secret_text)
        with core.store.transaction() as tx:
            core.require(tx, actor.id, Role.ADMIN)
            if tx.accounts.by_key(name_key(shown)) is not None:
                raise InvalidInput("account.exists", name=shown)
            for other in tx.accounts.all():
                if tx.accounts.reveal(other) == spec.secret:
                    raise InvalidInput("account.duplicate_secret", name=other.name)
            account = tx.accounts.add(
                name=shown,
                name_key=name_key(shown),
                secret=spec.secret,
                issuer=spec.issuer,
                label=spec.label,
                algorithm=spec.algorithm.value,
                digits=spec.digits,
                period=spec.period,
                created_at=core.now(),
                created_by=actor.id,
            )
            core.audit(tx, actor_id=actor.id, action="account.add", account=shown)
            return AddedAccount(
                issued=issue(tx, account, core.clock()),
                secret_bits=spec.secret_bits,
                short_secret=spec.is_short,
            )

    def prepare(self, actor: Person, name: str) -> str:
        """Check that an account may be added under this name, before asking for its secret."""
        core = self._core
        shown = check_name(name)
        with core.store.transaction() as tx:
            core.require(tx, actor.id, Role.ADMIN)
            if tx.accounts.by_key(name_key(shown)) is not None:
                raise InvalidInput("account.exists", name=shown)
        return shown

    def check_removable(self, actor: Person, name: str) -> AccountInfo:
        """The account a confirm button would remove (nothing changes yet)."""
        core = self._core
        with core.store.transaction() as tx:
            core.require(tx, actor.id, Role.ADMIN)
            account = tx.accounts.by_key(name_key(name))
            if account is None:
                raise InvalidInput("account.unknown", names=name[:40])
            return account_info(account)

    def keep(self, actor: Person, account_id: int) -> AccountInfo:
        """The account a "Keep" press leaves as it is (nothing changes)."""
        core = self._core
        with core.store.transaction() as tx:
            core.require(tx, actor.id, Role.ADMIN)
            return account_info(_existing(tx, account_id))

    def remove(self, actor: Person, account_id: int) -> AccountInfo:
        core = self._core
        with core.store.transaction() as tx:
            core.require(tx, actor.id, Role.ADMIN)
            account = _existing(tx, account_id)
            info = account_info(account)
            tx.accounts.remove(account)
            core.audit(tx, actor_id=actor.id, action="account.remove", account=info.name)
            return info

    def rename(self, actor: Person, old: str, new: str) -> AccountInfo:
        core = self._core
        shown = check_name(new)
        with core.store.transaction() as tx:
            core.require(tx, actor.id, Role.ADMIN)
            account = tx.accounts.by_key(name_key(old))
            if account is None:
                raise InvalidInput("account.unknown", names=old[:40])
            clash = tx.accounts.by_key(name_key(shown))
            if clash is not None and clash.id != account.id:
                raise InvalidInput("account.exists", name=shown)
            previous = account.name
            account.name, account.name_key = shown, name_key(shown)
            core.audit(
                tx,
                actor_id=actor.id,
                action="account.rename",
                account=shown,
                detail=f"from {previous}",
            )
            return account_info(account)

    def list(self, actor: Person) -> list[AccountInfo]:
        core = self._core
        with core.store.transaction() as tx:
            core.require(tx, actor.id, Role.ADMIN)
            return [account_info(a) for a in tx.accounts.all()]


def _existing(tx: Repositories, account_id: int) -> Account:
    """The account a button was made for; it may have been removed since."""
    account = tx.accounts.by_id(account_id)
    if account is None:
        raise InvalidInput("account.already_removed")
    return account

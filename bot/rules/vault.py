"""The team's accounts and their secrets: adding, renaming, removing, listing.

Secrets go in sealed and come out only through `accounts.spec_of`, to make a code or
an owner's export; nothing here logs one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

from bot.rules.access import Access
from bot.rules.accounts import account_info, existing, holder_of, named, spec_of
from bot.rules.auditlog import record
from bot.rules.clock import Clock, utc
from bot.rules.codes import issue
from bot.rules.errors import InvalidInput, TeamOtpError
from bot.rules.migration import is_migration_uri, parse_migration
from bot.rules.model import (
    OPERATOR,
    AccountInfo,
    AddedAccount,
    Exported,
    ExportNotice,
    ImportReport,
    Person,
    Role,
    Seen,
    Skipped,
)
from bot.rules.names import check_name, imported_name, name_key
from bot.rules.notes import note_of
from bot.rules.notices import Notifier
from bot.rules.otp import TotpSpec, parse_secret, to_uri
from storage.models import Account
from storage.repositories import Repositories
from storage.store import Store


class Vault:
    def __init__(self, store: Store, access: Access, clock: Clock, notifier: Notifier) -> None:
        self._store = store
        self._access = access
        self._clock = clock
        self._notifier = notifier

    def add(self, actor: Person, name: str, secret_text: str) -> AddedAccount:
        """Store a new account and return its current code, for the site's "verify" step."""
        shown = check_name(name)
        spec = parse_secret(secret_text)
        with self._store.transaction() as tx:
            self._access.require(tx, actor.id, Role.ADMIN)
            if tx.accounts.by_key(name_key(shown)) is not None:
                raise InvalidInput("account.exists", name=shown)
            duplicate = holder_of(tx, spec.secret)
            if duplicate is not None:
                raise InvalidInput("account.duplicate_secret", name=duplicate)
            return self._save(tx, actor, shown, spec, action="account.add")

    def import_texts(
        self,
        actor: Person,
        texts: Sequence[str],
        name: str | None = None,
        *,
        progress: Callable[[int, int], None] | None = None,
    ) -> ImportReport:
        """Add every TOTP account found in these texts (QR contents or pasted links).

        `otpauth://totp` links and Google Authenticator exports may be mixed; what cannot
        be added is reported, not silently dropped. `name` (a photo's caption) names the
        account when exactly one is found; otherwise names come from issuer or label.
        When nothing at all can be added, the one clear reason is raised instead.
        """
        shown = check_name(name) if name else None
        found, skipped, batch = _collect(texts)
        with self._store.transaction() as tx:
            self._access.require(tx, actor.id, Role.ADMIN)
            named = shown if len(found) == 1 else None
            if named is not None and tx.accounts.by_key(name_key(named)) is not None:
                raise InvalidInput("account.exists", name=named)
            taken = {account.name_key for account in tx.accounts.all()}
            seen: dict[str, str] = {}
            added: list[AddedAccount] = []
            for done, (label, spec) in enumerate(found):
                if progress is not None:
                    progress(done, len(found))
                holder = seen.get(spec.secret) or holder_of(tx, spec.secret)
                if holder is not None:
                    skipped.append(Skipped(label, "import.duplicate", (("name", holder),)))
                    continue
                account_name = named or imported_name(spec.issuer, spec.label, taken)
                taken.add(name_key(account_name))
                seen[spec.secret] = account_name
                added.append(self._save(tx, actor, account_name, spec, action="account.import"))
            if progress is not None and found:
                progress(len(found), len(found))
            if not added and len(skipped) == 1 and batch is None:
                only = skipped[0]
                raise InvalidInput(only.reason, **dict(only.params))
            if not added and not skipped:
                raise InvalidInput("import.nothing")
            return ImportReport(
                added=tuple(added),
                skipped=tuple(skipped),
                batch=batch,
                renamable=len(added) == 1 and named is None,
            )

    def check_exportable(self, actor: Person, name: str) -> AccountInfo:
        """The account a confirm button would export; only owners get this far."""
        with self._store.transaction() as tx:
            self._access.require(tx, actor.id, Role.OWNER)
            return account_info(named(tx, name))

    def export(self, actor: Person, account_id: int) -> Exported:
        """The account's setup link, for moving it to a phone. Audited, and every admin is
        told: an exported secret is one more copy the team must trust."""
        with self._store.transaction() as tx:
            self._access.require(tx, actor.id, Role.OWNER)
            account = existing(tx, account_id)
            now = self._clock()
            record(tx, now, actor_id=actor.id, action="account.export", account=account.name)
            _saw(tx, actor, account, Seen.EXPORTED, now)
            notice = ExportNotice(
                owner=actor,
                account=account.name,
                at=utc(now),
                recipients=self._access.admins(tx, exclude=actor.id),
            )
            exported = Exported(account_info(account), to_uri(spec_of(tx, account), account.name))
        if notice.recipients:
            self._notifier.publish(notice)
        return exported

    def check_new_name(self, actor: Person, name: str) -> str:
        """Check that an account may be added under this name, before asking for its secret."""
        shown = check_name(name)
        with self._store.transaction() as tx:
            self._access.require(tx, actor.id, Role.ADMIN)
            if tx.accounts.by_key(name_key(shown)) is not None:
                raise InvalidInput("account.exists", name=shown)
        return shown

    def check_removable(self, actor: Person, name: str) -> AccountInfo:
        """The account a confirm button would remove (nothing changes yet)."""
        with self._store.transaction() as tx:
            self._access.require(tx, actor.id, Role.ADMIN)
            return account_info(named(tx, name))

    def find(self, actor: Person, account_id: int) -> AccountInfo:
        """The account a button was made for, if it still exists (nothing changes)."""
        with self._store.transaction() as tx:
            self._access.require(tx, actor.id, Role.ADMIN)
            return account_info(existing(tx, account_id))

    def remove(self, actor: Person, account_id: int) -> AccountInfo:
        with self._store.transaction() as tx:
            self._access.require(tx, actor.id, Role.ADMIN)
            account = existing(tx, account_id)
            info = account_info(account)
            tx.accounts.remove(account)
            record(tx, self._clock(), actor_id=actor.id, action="account.remove", account=info.name)
            return info

    def rename(self, actor: Person, old: str, new: str) -> AccountInfo:
        with self._store.transaction() as tx:
            self._access.require(tx, actor.id, Role.ADMIN)
            return self._rename(tx, actor, named(tx, old), new)

    def rename_by_id(self, actor: Person, account_id: int, new: str) -> AccountInfo:
        """The rename offered right after an import named an account by itself."""
        with self._store.transaction() as tx:
            self._access.require(tx, actor.id, Role.ADMIN)
            return self._rename(tx, actor, existing(tx, account_id), new)

    def _rename(self, tx: Repositories, actor: Person, account: Account, new: str) -> AccountInfo:
        shown = check_name(new)
        clash = tx.accounts.by_key(name_key(shown))
        if clash is not None and clash.id != account.id:
            raise InvalidInput("account.exists", name=shown)
        previous = account.name
        tx.accounts.rename(account, shown, name_key(shown))
        record(
            tx,
            self._clock(),
            actor_id=actor.id,
            action="account.rename",
            account=shown,
            params={"from_name": previous},
        )
        return account_info(account)

    def _save(
        self, tx: Repositories, actor: Person, name: str, spec: TotpSpec, *, action: str
    ) -> AddedAccount:
        now = self._clock()
        account = tx.accounts.add(
            name=name,
            name_key=name_key(name),
            secret=spec.secret,
            issuer=spec.issuer,
            label=spec.label,
            algorithm=spec.algorithm.value,
            digits=spec.digits,
            period=spec.period,
            created_at=utc(now),
            created_by=actor.id,
        )
        record(tx, now, actor_id=actor.id, action=action, account=name)
        _saw(tx, actor, account, Seen.ADDED if action == "account.add" else Seen.IMPORTED, now)
        return AddedAccount(
            issued=issue(tx, account, now),
            secret_bits=spec.secret_bits,
            short_secret=spec.is_short,
        )

    def list(self, actor: Person) -> list[AccountInfo]:
        """For admins: every account, whether its secret opens, its custody note, and
        whether a new key waits for confirmation."""
        with self._store.transaction() as tx:
            self._access.require(tx, actor.id, Role.ADMIN)
            rotating = tx.rotations.waiting(utc(self._clock()))
            listed: list[AccountInfo] = []
            for account in tx.accounts.all():
                note, note_readable = note_of(tx, account)
                listed.append(
                    replace(
                        account_info(account, readable=tx.accounts.opens(account)),
                        note=note,
                        note_readable=note_readable,
                        rotating=account.id in rotating,
                    )
                )
            return listed


def _saw(tx: Repositories, actor: Person, account: Account, how: Seen, at: float) -> None:
    """`actor` had the seed in hand: told of when they lose access (bot.rules.departures).
    The operator holds the store and its key anyway."""
    if actor.id != OPERATOR.id:
        tx.exposures.record(user_id=actor.id, account_id=account.id, how=how.value, at=utc(at))


def _collect(
    texts: Sequence[str],
) -> tuple[list[tuple[str, TotpSpec]], list[Skipped], tuple[int, int] | None]:
    """Sort what the texts hold into specs to add and things to report."""
    found: list[tuple[str, TotpSpec]] = []
    skipped: list[Skipped] = []
    batch: tuple[int, int] | None = None
    for number, raw in enumerate(texts, start=1):
        text = raw.strip()
        fallback = f"#{number}"
        if is_migration_uri(text):
            try:
                export = parse_migration(text)
            except TeamOtpError as refused:
                skipped.append(Skipped(fallback, refused.key, _shown(refused)))
                continue
            if export.batch_size > 1:
                batch = (export.batch_index + 1, export.batch_size)
            for entry in export.entries:
                label = entry.issuer or entry.label or fallback
                if entry.spec is None:
                    skipped.append(Skipped(label, entry.skipped or "import.skip_type"))
                else:
                    found.append((label, entry.spec))
        elif text.lower().startswith("otpauth://"):
            try:
                spec = parse_secret(text)
            except TeamOtpError as refused:
                skipped.append(Skipped(fallback, refused.key, _shown(refused)))
                continue
            found.append((spec.issuer or spec.label or fallback, spec))
        else:
            skipped.append(Skipped(fallback, "import.not_otp"))
    return found, skipped, batch


def _shown(error: TeamOtpError) -> tuple[tuple[str, str], ...]:
    """The error's values as text; a `Key` stays one, so the reason in it is still said
    in the reader's language."""
    return tuple(
        (key, value if isinstance(value, str) else str(value))
        for key, value in error.params.items()
    )

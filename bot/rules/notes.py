"""Recovery custody: a short note per account on who holds the backup phone, which number,
where the recovery steps are.

Amazon requires a phone (SMS or voice) as the backup when an authenticator app is the main
method; when the bot's key is lost, that phone is the way back in, and the team must know
whose it is. The note is sealed in the store, shown to admins only, and never audited
with its text.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.rules.access import Access
from bot.rules.accounts import account_info, named
from bot.rules.auditlog import record
from bot.rules.clock import Clock
from bot.rules.detector import carries_secret
from bot.rules.errors import InvalidInput
from bot.rules.model import AccountInfo, Person, Role
from storage.crypto import DecryptionError
from storage.models import Account
from storage.repositories import Repositories
from storage.store import Store

# Room for a name, a number and where the steps are; not a place for documents.
MAX_NOTE_CHARS = 500
# What `/secret note NAME -` means: no note any more.
REMOVE = "-"


@dataclass(frozen=True)
class AccountNote:
    """An account's note as an admin reads it."""

    account: AccountInfo
    text: str | None  # None: no note
    readable: bool = True  # False: a note is stored that no longer opens


class Notes:
    def __init__(self, store: Store, access: Access, clock: Clock) -> None:
        self._store = store
        self._access = access
        self._clock = clock

    def write(self, actor: Person, name: str, text: str) -> AccountNote:
        """Keep `text` as the account's note, replacing any; `-` removes it."""
        note = text.strip()
        removing = note == REMOVE
        if not note:
            raise InvalidInput("note.empty")
        if len(note) > MAX_NOTE_CHARS:
            raise InvalidInput("note.too_long", max=MAX_NOTE_CHARS, length=len(note))
        if not removing and carries_secret(note):
            # Notes are shown in `/secret list`: a secret there would be one more copy.
            raise InvalidInput("note.holds_secret")
        with self._store.transaction() as tx:
            self._access.require(tx, actor.id, Role.ADMIN)
            account = named(tx, name)
            tx.accounts.set_note(account, None if removing else note)
            record(
                tx,
                self._clock(),
                actor_id=actor.id,
                action="account.note",
                outcome="note_removed" if removing else "ok",
                account=account.name,
            )
            return AccountNote(account_info(account), None if removing else note)

    def read(self, actor: Person, name: str) -> AccountNote:
        with self._store.transaction() as tx:
            self._access.require(tx, actor.id, Role.ADMIN)
            account = named(tx, name)
            text, readable = note_of(tx, account)
            return AccountNote(account_info(account), text, readable)


def note_of(tx: Repositories, account: Account) -> tuple[str | None, bool]:
    """The account's note and whether it opens: one changed outside the bot is marked where
    it is shown, never an error that would hide every other account's."""
    try:
        return tx.accounts.note(account), True
    except DecryptionError:
        return None, False

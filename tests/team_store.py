"""A team's store with something in every sealed column, and what it holds read back as
plain values: for the tests of backup, restore and rotate-key, which must keep all of it.

`contents` opens every sealed value, so it also proves that the store's key opens them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from storage.crypto import DecryptionError, SecretBox
from storage.models import Account, PendingRotation, Setting
from storage.sealed import account_binding, note_binding, rotation_binding
from storage.store import Store

SECRETS = {
    "amazon-us": "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP",
    "ebay": "KRSXG5CTMVRXEZLUKRSXG5CTMVRXEZLU",
}
NEW_KEY = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
NOTE = "Li Wei holds the backup phone, +86 138 0013 8000"
MEMBER = 4242
GROUP = -100123
NOW = datetime(2026, 1, 1, tzinfo=UTC)


def fill(store: Store, *, audit_entries: int = 5) -> None:
    """Two accounts (one with a custody note, one with a new key waiting to be confirmed),
    a member granted one of them, an approved group, and a few audit entries."""
    with store.transaction() as tx:
        ids = {}
        for name, secret in SECRETS.items():
            account = tx.accounts.add(
                name=name,
                name_key=name,
                secret=secret,
                issuer="Shop",
                label=None,
                algorithm="SHA1",
                digits=6,
                period=30,
                created_at=NOW,
                created_by=None,
            )
            ids[name] = account.id
        amazon = tx.accounts.by_id(ids["amazon-us"])
        ebay = tx.accounts.by_id(ids["ebay"])
        assert amazon is not None
        assert ebay is not None
        tx.accounts.set_note(amazon, NOTE)
        tx.rotations.put(
            ebay,
            ticket=7,
            secret=NEW_KEY,
            algorithm="SHA256",
            digits=8,
            period=60,
            issuer=None,
            label=None,
            started_by=1,
            started_at=NOW,
            deadline=NOW + timedelta(hours=1),
        )
        member = tx.members.add(
            user_id=MEMBER, role="member", all_accounts=False, notify=True, added_by=1, added_at=NOW
        )
        tx.members.set_grants(member, {ids["ebay"]})
        tx.chats.add(chat_id=GROUP, title="Team", approved_by=1, approved_at=NOW)
    for n in range(audit_entries):
        add_audit_entry(store, n)


def add_audit_entry(store: Store, n: int) -> None:
    with store.transaction() as tx:
        tx.audit.record(
            at=NOW + timedelta(seconds=n),
            actor_id=MEMBER,
            action="code",
            outcome="ok",
            account="ebay",
            chat_id=GROUP,
            target_id=None,
            params={"n": n, "via": "group"},
        )


@dataclass(frozen=True)
class Contents:
    accounts: dict[str, tuple[str, str | None, str | None]]  # name: (secret, note, new key)
    members: dict[int, tuple[str, frozenset[int]]]
    chats: dict[int, str | None]
    audit: tuple[int, int | None, str | None, bool]  # rows, head id, head hash, intact
    settings: dict[str, str]


def contents(store: Store) -> Contents:
    """Everything that matters in the store, the sealed values opened with its key."""
    with store.transaction() as tx:
        accounts: dict[str, tuple[str, str | None, str | None]] = {}
        for account in tx.accounts.all():
            rotation = tx.rotations.get(account.id)
            new = None if rotation is None else tx.rotations.reveal(rotation, account)
            accounts[account.name] = (tx.accounts.reveal(account), tx.accounts.note(account), new)
        members = {m.user_id: (m.role, frozenset(tx.members.granted(m))) for m in tx.members.all()}
        chat = tx.chats.get(GROUP)
        chats = {} if chat is None else {chat.chat_id: chat.title}
        chain = tx.audit.verify()
        settings = {
            key: value
            for key in ("secret_binding", "audit_chain_start")
            if (value := tx.settings.get(key)) is not None
        }
    return Contents(
        accounts,
        members,
        chats,
        (chain.rows, chain.head_id, chain.head_hash, chain.intact),
        settings,
    )


def sealed_values(database_url: str) -> list[tuple[bytes, bytes]]:
    """Every sealed value in the database with what it is bound to, read as the rows are,
    without opening the store (which needs its key)."""
    engine = create_engine(database_url)
    found: list[tuple[bytes, bytes]] = []
    try:
        with Session(engine) as session:
            for account in session.scalars(select(Account)).all():
                found.append((account.secret_sealed, account_binding(account)))
                if account.note_sealed is not None:
                    found.append((account.note_sealed, note_binding(account.uid)))
            for rotation in session.scalars(select(PendingRotation)).all():
                owner = session.get(Account, rotation.account_id)
                assert owner is not None
                bound = rotation_binding(
                    owner.uid, rotation.algorithm, rotation.digits, rotation.period
                )
                found.append((rotation.secret_sealed, bound))
            check = session.get(Setting, "key_check")
            assert check is not None
            key_check = bytes.fromhex(check.value)
    finally:
        engine.dispose()
    return [(key_check, b""), *found]


def opens_with(database_url: str, box: SecretBox) -> bool:
    """Whether `box` opens the key check value and every sealed value in the database."""
    (key_check, _), *values = sealed_values(database_url)
    if not box.matches(key_check):
        return False
    try:
        for sealed, bound in values:
            box.open(sealed, bound)
    except DecryptionError:
        return False
    return True

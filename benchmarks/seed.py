"""Filling a store with a team before the bot starts, as fast as honesty allows.

The store is opened as the bot opens it (the migrations make the schema, the key check is
written), and every secret is sealed by `storage.crypto` bound to its row exactly as
`storage.repositories` binds it: the bot reads these rows as its own. Only the rows go in
by bulk inserts, one statement per table, instead of one transaction per account or
member: 10,000 accounts and 100,000 members then take seconds, not an hour.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, insert, text

from benchmarks.team import (
    ALGORITHM,
    DIGITS,
    OWNER_ID,
    PERIOD,
    Team,
    account_name,
    group_id,
    group_title,
    secret_of,
)
from bot.rules.names import name_key
from storage.database import open_store
from storage.models import Account, ApprovedChat, Grant, KnownUser, Member
from storage.sealed import secret_binding

BATCH = 5_000


def empty_postgres(url: str) -> None:
    """The benchmark's own database, emptied: every run starts from the same store."""
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
    finally:
        engine.dispose()


def fill(database_url: str, master_key: str, key_file: Path, team: Team) -> float:
    """Make the store and put the team in it; the seconds it took."""
    started = time.monotonic()
    if database_url.startswith("postgresql"):
        empty_postgres(database_url)
    store = open_store(database_url, master_key, key_file)
    box = store.box
    joined = datetime.now(UTC) - timedelta(days=30)
    try:
        with store.engine.begin() as connection:
            accounts = []
            for index in range(1, team.size.accounts + 1):
                name = account_name(index)
                key, uid = name_key(name), secrets.token_hex(16)
                bound = secret_binding(uid, key, ALGORITHM, DIGITS, PERIOD)
                accounts.append(
                    {
                        "id": index,
                        "uid": uid,
                        "name": name,
                        "name_key": key,
                        "issuer": "Seller Central",
                        "label": f"shop{index}@example.com",
                        "algorithm": ALGORITHM,
                        "digits": DIGITS,
                        "period": PERIOD,
                        "secret_sealed": box.seal(secret_of(index).encode("ascii"), bound),
                        "created_at": joined,
                        "created_by": OWNER_ID,
                    }
                )
            _insert(connection, Account, accounts)
            members: list[dict[str, Any]] = [
                {
                    "user_id": admin,
                    "role": "admin",
                    "all_accounts": True,
                    "notify": admin in team.notified_ids,
                    "added_by": OWNER_ID,
                    "added_at": joined,
                    "until": None,
                }
                for admin in team.admin_ids
            ]
            grants: list[dict[str, Any]] = []
            for user_id in team.member_ids():
                every = team.has_all_accounts(user_id)
                members.append(
                    {
                        "user_id": user_id,
                        "role": "member",
                        "all_accounts": every,
                        "notify": True,
                        "added_by": OWNER_ID,
                        "added_at": joined,
                        "until": None,
                    }
                )
                if not every:
                    grants += [
                        {"user_id": user_id, "account_id": account, "until": None}
                        for account in team.granted(user_id)
                    ]
            _insert(connection, Member, members)
            _insert(connection, Grant, grants)
            people = [OWNER_ID, *team.admin_ids, *team.member_ids()]
            _insert(
                connection,
                KnownUser,
                [
                    {
                        "user_id": user_id,
                        "username": f"user{user_id}",
                        "username_key": f"user{user_id}",
                        "first_name": f"User {user_id}",
                        "last_name": None,
                        "language_code": team.person(user_id).language_code,
                        "last_seen": joined,
                        "language": None,
                    }
                    for user_id in people
                ],
            )
            _insert(
                connection,
                ApprovedChat,
                [
                    {
                        "chat_id": group_id(index),
                        "title": group_title(index),
                        "approved_by": OWNER_ID,
                        "approved_at": joined,
                        "roster": False,
                    }
                    for index in range(team.size.groups)
                ],
            )
        if store.dialect == "postgresql":
            # The ids were given, so the sequence never moved: the bot's next account would
            # collide with the first.
            with store.engine.begin() as connection:
                connection.execute(
                    text("SELECT setval('accounts_id_seq', (SELECT max(id) FROM accounts))")
                )
                connection.execute(text("ANALYZE"))
    finally:
        store.close()
    return time.monotonic() - started


def _insert(connection: Any, model: type[Any], rows: Sequence[dict[str, Any]]) -> None:
    for batch in _batches(rows):
        connection.execute(insert(model), batch)


def _batches(rows: Sequence[dict[str, Any]]) -> Iterator[Sequence[dict[str, Any]]]:
    for start in range(0, len(rows), BATCH):
        yield rows[start : start + BATCH]

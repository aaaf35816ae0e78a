"""The SMS relays' rows: the phones, what they sent lately, who waits for a code and the
codes held for the team. Sealing and the conditional deletes that let exactly one replica
hand a code out live here; who may do what is decided in `bot.rules.relays`."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import cast

from sqlalchemy import CursorResult, delete, select
from sqlalchemy.orm import Session

from storage.crypto import SecretBox
from storage.models import Account, SmsHeldCode, SmsReceipt, SmsRelay, SmsWait
from storage.sealed import held_sms_binding, relay_binding


class SmsRelays:
    """The phones that forward SMS, one per account."""

    def __init__(self, session: Session, box: SecretBox) -> None:
        self._session = session
        self._box = box

    def by_path(self, path_id: str) -> SmsRelay | None:
        return self._session.scalars(select(SmsRelay).where(SmsRelay.path_id == path_id)).first()

    def of(self, account_id: int) -> SmsRelay | None:
        return self._session.scalars(
            select(SmsRelay).where(SmsRelay.account_id == account_id)
        ).first()

    def all(self) -> Sequence[tuple[SmsRelay, Account]]:
        """Every relay with its account, by the account's name."""
        rows = self._session.execute(
            select(SmsRelay, Account)
            .join(Account, Account.id == SmsRelay.account_id)
            .order_by(Account.name_key)
        ).all()
        return [(relay, account) for relay, account in rows]

    def add(
        self, account: Account, *, path_id: str, secret: str, by: int | None, at: datetime
    ) -> SmsRelay:
        relay = SmsRelay(
            account_id=account.id,
            path_id=path_id,
            secret_sealed=self._box.seal(secret.encode("utf-8"), relay_binding(path_id)),
            changes=False,
            created_by=by,
            created_at=at,
        )
        self._session.add(relay)
        self._session.flush()
        return relay

    def reveal(self, relay: SmsRelay) -> str:
        """The relay's plain secret, to check one post; callers must not keep it. Raises
        `DecryptionError` when the row was changed outside the bot."""
        return self._box.open(relay.secret_sealed, relay_binding(relay.path_id)).decode("utf-8")

    def replace(self, relay: SmsRelay, *, path_id: str, secret: str, at: datetime) -> None:
        """A new URL id and secret: the old ones stop working at once, and what the old
        secret keyed (the receipts) is forgotten with them."""
        self._session.execute(delete(SmsReceipt).where(SmsReceipt.relay_id == relay.id))
        relay.path_id = path_id
        relay.secret_sealed = self._box.seal(secret.encode("utf-8"), relay_binding(path_id))
        relay.rotated_at = at
        self._session.flush()

    def set_changes(self, relay: SmsRelay, on: bool) -> None:
        relay.changes = on
        self._session.flush()

    def received(self, relay: SmsRelay, at: datetime) -> None:
        relay.last_received_at = at
        self._session.flush()

    def remove(self, relay: SmsRelay) -> None:
        self._session.delete(relay)
        self._session.flush()


class SmsReceipts:
    """Keyed digests of recent posts (see `SmsReceipt`)."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def by_signature(self, relay_id: int, signature: str, since: datetime) -> SmsReceipt | None:
        return self._session.scalars(
            select(SmsReceipt).where(
                SmsReceipt.relay_id == relay_id,
                SmsReceipt.signature == signature,
                SmsReceipt.at >= since,
            )
        ).first()

    def by_content(self, relay_id: int, content: str, since: datetime) -> SmsReceipt | None:
        return self._session.scalars(
            select(SmsReceipt).where(
                SmsReceipt.relay_id == relay_id,
                SmsReceipt.content == content,
                SmsReceipt.at >= since,
            )
        ).first()

    def add(
        self, relay_id: int, *, signature: str | None, body: str, content: str, at: datetime
    ) -> None:
        self._session.add(
            SmsReceipt(relay_id=relay_id, signature=signature, body=body, content=content, at=at)
        )
        self._session.flush()

    def forget_before(self, at: datetime) -> None:
        self._session.execute(delete(SmsReceipt).where(SmsReceipt.at < at))


class SmsWaits:
    """Members expecting an SMS code, one per account."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def of(self, account_id: int, now: datetime) -> SmsWait | None:
        """The wait still running at `now` for the account."""
        return self._session.scalars(
            select(SmsWait).where(SmsWait.account_id == account_id, SmsWait.until > now)
        ).first()

    def put(self, account_id: int, user_id: int, *, at: datetime, until: datetime) -> None:
        """Start (or extend) a wait; an ended one of anyone is replaced."""
        self._session.execute(delete(SmsWait).where(SmsWait.account_id == account_id))
        self._session.add(
            SmsWait(account_id=account_id, user_id=user_id, started_at=at, until=until)
        )
        self._session.flush()

    def take(self, wait: SmsWait) -> bool:
        """End the wait for the code that arrived; False when another replica took it."""
        result = cast(
            "CursorResult[tuple[()]]",
            self._session.execute(
                delete(SmsWait).where(
                    SmsWait.account_id == wait.account_id,
                    SmsWait.user_id == wait.user_id,
                    SmsWait.until == wait.until,
                )
            ),
        )
        self._session.expunge(wait)
        return result.rowcount == 1

    def end(self, account_id: int, user_id: int) -> bool:
        """`/sms stop`: the person's wait for the account ends; False when there was none."""
        result = cast(
            "CursorResult[tuple[()]]",
            self._session.execute(
                delete(SmsWait).where(SmsWait.account_id == account_id, SmsWait.user_id == user_id)
            ),
        )
        return result.rowcount == 1

    def ended(self, now: datetime) -> Sequence[SmsWait]:
        return self._session.scalars(select(SmsWait).where(SmsWait.until <= now)).all()

    def remove_ended(self, now: datetime) -> None:
        self._session.execute(delete(SmsWait).where(SmsWait.until <= now))


class SmsHeldCodes:
    """SMS codes kept for the first member who asks, one per account (the newest)."""

    def __init__(self, session: Session, box: SecretBox) -> None:
        self._session = session
        self._box = box

    def of(self, account_id: int, now: datetime) -> SmsHeldCode | None:
        return self._session.scalars(
            select(SmsHeldCode).where(SmsHeldCode.account_id == account_id, SmsHeldCode.until > now)
        ).first()

    def put(
        self,
        account: Account,
        *,
        ticket: str,
        code: str,
        for_change: bool,
        at: datetime,
        until: datetime,
    ) -> None:
        """Hold the code, sealed; an earlier one held for the account is replaced (the site
        accepts only its newest code)."""
        self._session.execute(delete(SmsHeldCode).where(SmsHeldCode.account_id == account.id))
        sealed = self._box.seal(code.encode("ascii"), held_sms_binding(account.uid, ticket))
        self._session.add(
            SmsHeldCode(
                account_id=account.id,
                ticket=ticket,
                code_sealed=sealed,
                for_change=for_change,
                received_at=at,
                until=until,
            )
        )
        self._session.flush()

    def take(self, held: SmsHeldCode, account: Account) -> str | None:
        """The held code, removed so that nobody else gets it; None when another request
        took it first. Raises `DecryptionError` when the row was changed outside the bot."""
        code = self._box.open(held.code_sealed, held_sms_binding(account.uid, held.ticket))
        result = cast(
            "CursorResult[tuple[()]]",
            self._session.execute(
                delete(SmsHeldCode).where(
                    SmsHeldCode.account_id == held.account_id, SmsHeldCode.ticket == held.ticket
                )
            ),
        )
        self._session.expunge(held)
        return code.decode("ascii") if result.rowcount == 1 else None

    def ended(self, now: datetime) -> Sequence[SmsHeldCode]:
        return self._session.scalars(select(SmsHeldCode).where(SmsHeldCode.until <= now)).all()

    def drop(self, held: SmsHeldCode) -> bool:
        """Drop a code nobody asked for in time; False when it was taken or dropped already."""
        result = cast(
            "CursorResult[tuple[()]]",
            self._session.execute(
                delete(SmsHeldCode).where(
                    SmsHeldCode.account_id == held.account_id, SmsHeldCode.ticket == held.ticket
                )
            ),
        )
        return result.rowcount == 1

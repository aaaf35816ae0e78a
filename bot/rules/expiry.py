"""Ending grants on time: what a repeating job calls to tidy away the grants whose end has
passed, audit it, and tell the admins.

Access already refuses an ended grant at every decision (bot.rules.terms); this writes
the ending down, once, for each grant: the member row goes when nothing is left, the
audit log says what ended, and the admins hear of it. The ends live in the store, so a
grant that ended while the bot was down is ended at the first sweep after the start.
"""

from __future__ import annotations

from datetime import datetime

from bot.rules.access import Access
from bot.rules.auditlog import record
from bot.rules.clock import Clock, utc
from bot.rules.codes import recipients
from bot.rules.departures import seen_seeds
from bot.rules.model import OPERATOR, Ended, GrantsEndedNotice, Recipient, Role
from bot.rules.notices import Notifier
from bot.rules.roster import display_name, member_view
from bot.rules.terms import has_account, holds, shown
from storage.models import Member
from storage.repositories import Repositories
from storage.store import Store

# Members ended in one sweep (the next sweep takes the rest): one notice to each admin
# stays short, and one transaction stays quick.
BATCH = 20


class Expiry:
    def __init__(
        self,
        store: Store,
        access: Access,
        clock: Clock,
        notifier: Notifier,
        *,
        audit_chat_id: int | None,
    ) -> None:
        self._store = store
        self._access = access
        self._clock = clock
        self._notifier = notifier
        self._audit_chat_id = audit_chat_id

    def end_expired(self) -> list[Ended]:
        """End every grant whose end has passed, in one transaction with its audit rows;
        returns who lost what, for the chat layer to tell them. Admins are told here."""
        at = self._clock()
        now = utc(at)
        with self._store.looking() as tx:
            if not tx.members.ending(now, 1):
                return []
        with self._store.transaction() as tx:
            ended: list[Ended] = []
            for member in tx.members.ending(now, BATCH):
                done = self._end(tx, member, at, now)
                if done is not None:
                    ended.append(done)
            recipients = self._recipients(tx) if ended else ()
        if recipients:
            self._notifier.publish(GrantsEndedNotice(tuple(ended), now, recipients))
        return ended

    def _end(self, tx: Repositories, member: Member, at: float, now: datetime) -> Ended | None:
        user_id = member.user_id
        ends = tx.members.grant_ends(member)
        if Role(member.role) is not Role.MEMBER or user_id in self._access.owner_ids:
            # Admins and owners are never temporary (an /add on them is refused): an end
            # left on one is dropped, and nothing they have ends.
            tx.members.set_until(member, None)
            tx.members.set_grants(member, set(ends), until=dict.fromkeys(ends))
            return None
        stopped = {i: end for i, end in ends.items() if end is not None and not holds(end, now)}
        lost_at: list[datetime] = []
        everything = False
        if member.all_accounts and member.until is not None and not holds(member.until, now):
            everything = True
            lost_at.append(member.until)
            tx.members.update(member, all_accounts=False)
        if not member.all_accounts:
            tx.members.set_until(member, None)  # an end with no all-accounts grant: moot
        tx.members.set_grants(member, set(ends) - set(stopped))
        # A named grant that ended under an all-accounts grant that still holds took
        # nothing away: it goes without a word.
        accounts = {a.id: a for a in tx.accounts.all()}
        lost = {
            i: end
            for i, end in stopped.items()
            if i in accounts and not has_account(member, accounts[i], now)
        }
        lost_at += lost.values()
        if not lost_at:
            return None
        names = tuple(a.name for a in accounts.values() if a.id in lost)
        known = tx.users.get(user_id)
        gone = not member.all_accounts and not member.grants
        params: dict[str, str] = {"until": shown(max(lost_at))}
        if not everything:
            params["accounts"] = ", ".join(names)
        record(
            tx,
            at,
            actor_id=None,
            action="member.expire",
            outcome="removed" if gone else "ok",
            target_id=user_id,
            params=params,
        )
        left = None if gone else member_view(tx, member, self._access.owner_ids, now)
        if gone:
            tx.members.remove(member)
        return Ended(
            user_id=user_id,
            name=display_name(known, user_id),
            username=known.username if known else None,
            language_code=known.spoken if known else None,
            everything=everything,
            accounts=() if everything else names,
            at=max(lost_at),
            left=left,
            # Gone from the team: what they saw of the seeds, as for anyone who loses access.
            seen=seen_seeds(tx, user_id) if gone else (),
        )

    def _recipients(self, tx: Repositories) -> tuple[Recipient, ...]:
        """Whom code requests are told to: a routine event the admins asked for when they
        set the end."""
        return recipients(self._access, tx, self._audit_chat_id, exclude=OPERATOR.id)

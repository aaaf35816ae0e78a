"""People who leave: what they saw of the seeds, and leaving the team's roster group.

Members only ever see codes, which die within a minute; a seed stays known to whoever
saw it (the admin who pasted it, the owner who exported it). When someone loses access
the admins are told which accounts to re-key at the site, so that what that person
still knows stops working.
"""

from __future__ import annotations

from datetime import timedelta

from bot.rules.access import Access
from bot.rules.auditlog import record
from bot.rules.clock import Clock, utc
from bot.rules.model import (
    OPERATOR,
    Loss,
    LostAccess,
    LostAccessNotice,
    Person,
    Place,
    Role,
    RosterUnwatchedNotice,
    Seen,
    SeenSeed,
)
from bot.rules.notices import Notifier
from storage.repositories import Repositories
from storage.store import Store

# Rows that say where an account's current seed came from. An account with none of them
# was added before seeds seen were recorded: its `created_by` is who pasted it.
_ORIGINS = (Seen.ADDED, Seen.IMPORTED, Seen.ROTATED)

# Telegram tells of one leave twice (a `chat_member` update and a service message): an
# owner's leave told again this soon after is that same leave, told once already.
LEAVE_ECHO = timedelta(seconds=60)


def seen_seeds(tx: Repositories, user_id: int) -> tuple[SeenSeed, ...]:
    """The accounts whose current seed `user_id` has seen, by name, each with how.

    From the recorded exposures, and for accounts from before they were recorded, from
    who added the account. The server's operator holds the store and its key already:
    nothing they saw is worth telling."""
    if user_id == OPERATOR.id:
        return ()
    hows: dict[str, list[Seen]] = {}
    for account, how in tx.exposures.of(user_id):
        _note(hows, account.name, Seen(how))
    tracked = tx.exposures.origins(tuple(_ORIGINS))
    for account in tx.accounts.all():
        if account.created_by == user_id and account.id not in tracked:
            _note(hows, account.name, Seen.ADDED)
    return tuple(SeenSeed(name, tuple(seen)) for name, seen in sorted(hows.items(), key=_by_name))


def _note(hows: dict[str, list[Seen]], name: str, how: Seen) -> None:
    seen = hows.setdefault(name, [])
    if how not in seen:
        seen.append(how)


def _by_name(item: tuple[str, list[Seen]]) -> str:
    return item[0].casefold()


def known_person(tx: Repositories, user_id: int) -> Person:
    """Someone as the directory last saw them (their id alone when never seen)."""
    known = tx.users.get(user_id)
    if known is None:
        return Person(user_id)
    return Person(
        user_id,
        first_name=known.first_name,
        last_name=known.last_name,
        username=known.username,
        language_code=known.spoken,
    )


def tell_admins(
    tx: Repositories, access: Access, clock: Clock, lost: LostAccess, *, exclude: int
) -> LostAccessNotice:
    """The notice of `lost` for every admin and owner but `exclude` (the one who acted,
    who reads it in their reply, or the one who left): publish it after the commit."""
    return LostAccessNotice(
        lost=lost,
        at=utc(clock()),
        recipients=access.admins(tx, exclude=exclude),
    )


class Departures:
    """Leaving a roster group (`/roster on`) ends a person's access at once."""

    def __init__(
        self,
        store: Store,
        access: Access,
        clock: Clock,
        notifier: Notifier,
        *,
        bot_ids: frozenset[int] = frozenset(),
    ) -> None:
        self._store = store
        self._access = access
        self._clock = clock
        self._notifier = notifier
        self._bots = bot_ids | {OPERATOR.id}

    def left(self, who: Person, place: Place, *, by: Person | None = None) -> Loss | None:
        """`who` is no longer in the group (left, or removed by `by`).

        In a roster group, a member or an admin loses every grant and role; an owner keeps
        access (owners are set on the server, or claimed there). The admins are told. What
        it did, or None: not a roster group, not on the team, or told already."""
        if who.is_bot or who.id in self._bots or place.private:
            return None
        if by is not None and by.id == who.id:
            by = None
        # An anonymous admin removes people as GroupAnonymousBot: removed, by nobody known.
        remover = by if by is not None and not by.is_bot else None
        with self._store.transaction() as tx:
            chat = tx.chats.get(place.chat_id)
            if chat is None or not chat.roster:
                return None
            role = self._access.role(tx, who.id)
            if role is None:
                return None  # never on the team, or this leave was handled already
            actor_id = remover.id if remover is not None else (None if by else who.id)
            group = place.title or chat.title
            seen: tuple[SeenSeed, ...] = ()
            if role is Role.OWNER:
                if self._told_already(tx, actor_id, who.id, place.chat_id):
                    return None
                loss, outcome = Loss.OWNER_LEFT, "kept_owner"
            else:
                seen = seen_seeds(tx, who.id)
                member = tx.members.get(who.id)
                if member is not None:
                    tx.members.remove(member)
                loss, outcome = (Loss.REMOVED if by is not None else Loss.LEFT), "access_ended"
            record(
                tx,
                self._clock(),
                actor_id=actor_id,
                action="member.left_roster",
                outcome=outcome,
                chat_id=place.chat_id,
                target_id=who.id,
                params={"how": "removed" if by is not None else "left", "role": role.value},
            )
            lost = LostAccess(person=who, loss=loss, seen=seen, by=remover, group=group)
            notice = tell_admins(tx, self._access, self._clock, lost, exclude=who.id)
        if notice.recipients:
            self._notifier.publish(notice)
        return loss

    def bot_demoted(self, place: Place, *, by: Person | None = None) -> bool:
        """The bot became a plain member of a group. In the roster group, Telegram stops
        sending `chat_member` updates (groups that hide join and leave messages then say
        nothing of leaves): every admin is told. True when they were."""
        with self._store.transaction() as tx:
            chat = tx.chats.get(place.chat_id)
            if chat is None or not chat.roster:
                return False
            who = by if by is not None and not by.is_bot else None
            record(
                tx,
                self._clock(),
                actor_id=who.id if who is not None else None,
                action="chat.bot_demoted",
                chat_id=place.chat_id,
            )
            notice = RosterUnwatchedNotice(
                group=place.title or chat.title,
                by=who,
                at=utc(self._clock()),
                recipients=self._access.admins(tx, exclude=OPERATOR.id),
            )
        if notice.recipients:
            self._notifier.publish(notice)
        return True

    def _told_already(
        self, tx: Repositories, actor_id: int | None, user_id: int, chat_id: int
    ) -> bool:
        since = utc(self._clock()) - LEAVE_ECHO
        return any(
            row.target_id == user_id and row.chat_id == chat_id
            for row in tx.audit.since(
                since, actor_id=actor_id, action="member.left_roster", outcome="kept_owner"
            )
        )

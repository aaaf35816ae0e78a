"""Who is on the team: adding, revoking, promoting and listing members."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from bot.rules.access import Access
from bot.rules.accounts import all_named, existing
from bot.rules.auditlog import record
from bot.rules.clock import Clock, utc
from bot.rules.departures import known_person, seen_seeds, tell_admins
from bot.rules.directory import Directory
from bot.rules.errors import InvalidInput, NotAllowed
from bot.rules.model import (
    Added,
    Change,
    Demoted,
    Loss,
    LostAccess,
    MemberView,
    Person,
    Revoked,
    Role,
    Sighting,
    Target,
)
from bot.rules.notices import Notifier
from bot.rules.terms import (
    end_of,
    ends_at,
    has_account,
    has_all,
    in_plain_add,
    live_grants,
    shown,
)
from storage.models import Account, KnownUser, Member
from storage.repositories import Repositories
from storage.store import Store

# Telegram's own accounts that post in chats: never a person to whitelist.
# 777000: service notifications; 1087968824: GroupAnonymousBot (anonymous group admins);
# 136817688: Channel_Bot (posts as a channel); 1271266957: the Replies bot.
TELEGRAM_SERVICE_IDS = frozenset({777000, 1087968824, 136817688, 1271266957})

# An @username last seen longer ago than this may belong to someone else by now: adding
# by it asks for a confirmation first (the Bot API cannot look usernames up).
STALE_USERNAME = timedelta(days=7)
# Seen more recently than this, the username is taken as it is, without comment.
RECENT_USERNAME = timedelta(days=1)

MAX_ACCOUNT_NAMES = 20  # on one command: more is a paste gone wrong, not a grant


class Roster:
    def __init__(
        self,
        store: Store,
        access: Access,
        clock: Clock,
        directory: Directory,
        *,
        notifier: Notifier,
        bot_ids: frozenset[int] = frozenset(),
    ) -> None:
        self._store = store
        self._access = access
        self._clock = clock
        self._directory = directory
        self._notifier = notifier
        self._bots = TELEGRAM_SERVICE_IDS | bot_ids

    def sighting(self, actor: Person, username: str, account_names: Sequence[str] = ()) -> Sighting:
        """Whom an @username stands for, as far as this bot has seen, and how long ago;
        with the ids of the accounts an `/add` by it would grant (checked to exist)."""
        _check_count(account_names)
        with self._store.transaction() as tx:
            self._access.require(tx, actor.id, Role.ADMIN)
            known = tx.users.by_username(username.lstrip("@"))
            if known is None or known.username is None:
                raise _unknown(username)
            accounts = tuple(a.id for a in all_named(tx, account_names))
            age = utc(self._clock()) - known.last_seen
            return Sighting(
                user_id=known.user_id,
                username=known.username,
                last_seen=known.last_seen,
                days=max(0, age.days),
                recent=age < RECENT_USERNAME,
                stale=age > STALE_USERNAME,
                account_ids=accounts,
            )

    def add(
        self,
        actor: Person,
        target: Target,
        account_names: Sequence[str],
        *,
        lasting: timedelta | None = None,
    ) -> Added:
        """Whitelist someone: all accounts, or only the named ones (added to what they
        have); for `lasting` from now, or with no end. What the /add names gets the end
        it gives, longer or shorter than before: the latest /add counts."""
        _check_count(account_names)
        with self._store.transaction() as tx:
            self._access.require(tx, actor.id, Role.ADMIN)
            user_id = self._resolve(tx, target)
            return self._add(tx, actor, user_id, all_named(tx, account_names), lasting)

    def add_confirmed(
        self,
        actor: Person,
        user_id: int,
        account_ids: Sequence[int],
        *,
        lasting: timedelta | None = None,
    ) -> Added:
        """The confirm button after `/add @name`: the id, accounts and duration it was
        shown with (its data may be forged: all of it is checked again)."""
        _check_count(account_ids)
        with self._store.transaction() as tx:
            self._access.require(tx, actor.id, Role.ADMIN)
            user_id = self._resolve(tx, Target(user_id=user_id))
            wanted: list[Account] = []
            for account_id in account_ids:
                account = existing(tx, account_id)
                if account not in wanted:
                    wanted.append(account)
            return self._add(tx, actor, user_id, wanted, lasting)

    def _add(
        self,
        tx: Repositories,
        actor: Person,
        user_id: int,
        wanted: list[Account],
        lasting: timedelta | None,
    ) -> Added:
        at = self._clock()
        now = utc(at)
        until = None if lasting is None else ends_at(at, lasting)
        role = self._access.role(tx, user_id)
        member = tx.members.get(user_id)
        if role is not None and role is not Role.MEMBER:
            raise InvalidInput("members.already_admin", name=self._name(tx, user_id))
        before = {} if member is None or role is None else _touched(member, wanted, now)
        if member is None:
            member = self._new_member(tx, actor, user_id, Role.MEMBER, not wanted)
        if not wanted:
            tx.members.update(member, all_accounts=True)
            tx.members.set_until(member, until)
            # Named grants of accounts a plain /add leaves out stay; others that outlast a
            # temporary all-accounts grant are what is left after it; with no end, all
            # accounts make them moot.
            listed = {a.id for a in tx.accounts.all() if not in_plain_add(a)}
            live = live_grants(member, now)
            kept = {i: end for i, end in live.items() if i in listed}
            if until is not None:
                kept |= _outlasting(live, until)
            tx.members.set_grants(member, set(kept))
        else:
            if not has_all(member, now):  # an all-accounts grant that ended: gone
                tx.members.update(member, all_accounts=False)
                tx.members.set_until(member, None)
            granted = live_grants(member, now) | {a.id: until for a in wanted}
            tx.members.set_grants(member, set(granted), until=granted)
        params: dict[str, str] = {"accounts": ", ".join(a.name for a in wanted)} if wanted else {}
        if until is not None:
            params["until"] = shown(until)
        record(tx, at, actor_id=actor.id, action="member.add", target_id=user_id, params=params)
        known = tx.users.get(user_id)
        return Added(
            member=self._view(tx, member),
            at=now,
            change=_change(before, _touched(member, wanted, now)),
            language_code=known.spoken if known else None,
        )

    def revoke(self, actor: Person, target: Target, account_names: Sequence[str]) -> Revoked:
        """Remove someone entirely (no names), or only the named grants.

        Removed entirely, what they saw of the seeds is in the reply, and every other
        admin and owner is told of it."""
        _check_count(account_names)
        with self._store.transaction() as tx:
            actor_role = self._access.require(tx, actor.id, Role.ADMIN)
            user_id = self._resolve(tx, target)
            name = self._name(tx, user_id)
            role = self._access.role(tx, user_id)
            member = tx.members.get(user_id)
            if role is Role.OWNER:
                # Those set on the server are removed there; one who claimed the bot stays.
                configured = user_id in self._access.owner_ids
                raise InvalidInput(
                    "members.cannot_revoke_owner"
                    if configured
                    else "members.cannot_revoke_claimed_owner",
                    name=name,
                )
            if member is None or role is None:
                raise InvalidInput("members.not_a_member", name=name)
            if role is Role.ADMIN and actor_role is not Role.OWNER:
                raise NotAllowed("members.revoke_admin_needs_owner", name=name)
            if not account_names:
                lost = LostAccess(
                    person=known_person(tx, user_id),
                    loss=Loss.REVOKED,
                    seen=seen_seeds(tx, user_id),
                    by=actor,
                )
                tx.members.remove(member)
                record(
                    tx, self._clock(), actor_id=actor.id, action="member.revoke", target_id=user_id
                )
                notice = tell_admins(tx, self._access, self._clock, lost, exclude=actor.id)
            else:
                if role is Role.ADMIN:
                    raise InvalidInput("members.admin_has_all", name=name)
                taken = all_named(tx, account_names)
                unwanted = {a.id for a in taken}
                now = utc(self._clock())
                # What remains keeps the end it had, also what all accounts gave.
                kept = {
                    a.id: end_of(member, a, now)
                    for a in tx.accounts.all()
                    if a.id not in unwanted and has_account(member, a, now)
                }
                tx.members.update(member, all_accounts=False)
                tx.members.set_until(member, None)
                tx.members.set_grants(member, set(kept), until=kept)
                record(
                    tx,
                    self._clock(),
                    actor_id=actor.id,
                    action="member.revoke",
                    target_id=user_id,
                    params={"accounts": ", ".join(a.name for a in taken)},
                )
                return Revoked(name, self._view(tx, member))
        if notice.recipients:
            self._notifier.publish(notice)
        return Revoked(name, None, lost)

    def promote(self, actor: Person, target: Target) -> MemberView:
        with self._store.transaction() as tx:
            self._access.require(tx, actor.id, Role.OWNER)
            user_id = self._resolve(tx, target)
            role = self._access.role(tx, user_id)
            if role is Role.OWNER or role is Role.ADMIN:
                raise InvalidInput("members.already_admin", name=self._name(tx, user_id))
            member = tx.members.get(user_id)
            if member is None:
                member = self._new_member(tx, actor, user_id, Role.ADMIN, True)
            tx.members.update(member, role=Role.ADMIN, all_accounts=True)
            tx.members.set_until(member, None)  # admins are never temporary
            tx.members.set_grants(member, set())
            record(tx, self._clock(), actor_id=actor.id, action="member.promote", target_id=user_id)
            return self._view(tx, member)

    def demote(self, actor: Person, target: Target) -> Demoted:
        """An admin back to a member: they keep their codes, and what they saw of the seeds
        as an admin stays known to them (in the reply; every other admin is told)."""
        with self._store.transaction() as tx:
            self._access.require(tx, actor.id, Role.OWNER)
            user_id = self._resolve(tx, target)
            role = self._access.role(tx, user_id)
            member = tx.members.get(user_id)
            if role is Role.OWNER:
                configured = user_id in self._access.owner_ids
                raise InvalidInput(
                    "members.cannot_demote_owner"
                    if configured
                    else "members.cannot_demote_claimed_owner",
                    name=self._name(tx, user_id),
                )
            if role is not Role.ADMIN or member is None:
                raise InvalidInput("members.not_admin", name=self._name(tx, user_id))
            tx.members.update(member, role=Role.MEMBER)
            record(tx, self._clock(), actor_id=actor.id, action="member.demote", target_id=user_id)
            lost = LostAccess(
                person=known_person(tx, user_id),
                loss=Loss.DEMOTED,
                seen=seen_seeds(tx, user_id),
                by=actor,
            )
            notice = tell_admins(tx, self._access, self._clock, lost, exclude=actor.id)
            view = self._view(tx, member)
        if notice.recipients:
            self._notifier.publish(notice)
        return Demoted(view, lost)

    def members(self, actor: Person) -> list[MemberView]:
        owner_ids = self._access.owner_ids
        with self._store.transaction() as tx:
            self._access.require(tx, actor.id, Role.ADMIN)
            rows = {member.user_id: member for member in tx.members.all()}
            views = [self._owner_view(tx, uid) for uid in sorted(owner_ids)]
            # A member whose grants all ended is no member, also before the sweep.
            views += [
                self._view(tx, m)
                for uid, m in rows.items()
                if uid not in owner_ids and self._access.role(tx, uid) is not None
            ]
            return sorted(views, key=lambda v: (-v.role.rank, v.name.casefold()))

    def set_notify(self, actor: Person, on: bool) -> None:
        with self._store.transaction() as tx:
            role = self._access.require(tx, actor.id, Role.ADMIN)
            member = tx.members.get(actor.id)
            if member is None:  # a configured owner with no row yet
                member = self._new_member(tx, None, actor.id, role, True)
            tx.members.update(member, notify=on)
            record(tx, self._clock(), actor_id=actor.id, action="notify.on" if on else "notify.off")

    def _new_member(
        self, tx: Repositories, actor: Person | None, user_id: int, role: Role, everything: bool
    ) -> Member:
        return tx.members.add(
            user_id=user_id,
            role=role,
            all_accounts=everything,
            notify=True,
            added_by=actor.id if actor is not None else None,
            added_at=utc(self._clock()),
        )

    def _resolve(self, tx: Repositories, target: Target) -> int:
        if target.person is not None:
            if target.person.is_bot:
                raise InvalidInput("members.target_is_bot")
            self._remember(tx, target.person)
            return target.person.id
        if target.user_id is not None:
            if target.user_id in self._bots:
                raise InvalidInput("members.target_is_bot")
            return target.user_id
        if target.username is not None:
            known = tx.users.by_username(target.username.lstrip("@"))
            if known is None:
                raise _unknown(target.username)
            return known.user_id
        raise InvalidInput("members.no_target")

    def _remember(self, tx: Repositories, person: Person) -> None:
        """Someone named by a reply or a text mention: Telegram just told us who they are,
        so replies and /members can show their name and /add @username finds them later."""
        known = tx.users.get(person.id)
        tx.users.upsert(
            user_id=person.id,
            username=person.username,
            first_name=person.first_name,
            last_name=person.last_name,
            # A `User` inside someone else's message may lack the language: keep what we know.
            language_code=person.language_code or (known.language_code if known else None),
            seen_at=known.last_seen if known else utc(self._clock()),
        )
        self._directory.forget(person.id)

    def _name(self, tx: Repositories, user_id: int) -> str:
        return display_name(tx.users.get(user_id), user_id)

    def _view(self, tx: Repositories, member: Member) -> MemberView:
        return member_view(tx, member, self._access.owner_ids, utc(self._clock()))

    def _owner_view(self, tx: Repositories, user_id: int) -> MemberView:
        known = tx.users.get(user_id)
        member = tx.members.get(user_id)
        return MemberView(
            user_id=user_id,
            role=Role.OWNER,
            name=self._name(tx, user_id),
            username=known.username if known else None,
            all_accounts=True,
            accounts=(),
            notify=member.notify if member else True,
            configured_owner=True,
        )


def member_view(
    tx: Repositories, member: Member, owner_ids: frozenset[int], now: datetime
) -> MemberView:
    """The member as `/members` shows them at `now`: what still holds, with its ends."""
    known = tx.users.get(member.user_id)
    configured = member.user_id in owner_ids
    role = Role.OWNER if configured else Role(member.role)
    everything = role is not Role.MEMBER or has_all(member, now)
    named: list[tuple[str, datetime | None]] = []
    if role is Role.MEMBER:
        granted = live_grants(member, now)
        until = member.until if everything else None
        accounts = tx.accounts.all()
        listed = {a.id for a in accounts if not in_plain_add(a)}
        # Beside an all-accounts grant only what outlasts it, or what it does not cover
        # (accounts a plain /add leaves out), says anything.
        if not everything:
            shown_after = granted
        else:
            shown_after = {i: end for i, end in granted.items() if i in listed}
            if until is not None:
                shown_after |= _outlasting(granted, until)
        named = [(a.name, shown_after[a.id]) for a in accounts if a.id in shown_after]
    ends = tuple(end for _, end in named)
    return MemberView(
        user_id=member.user_id,
        role=role,
        name=display_name(known, member.user_id),
        username=known.username if known else None,
        all_accounts=everything,
        accounts=tuple(name for name, _ in named),
        notify=member.notify,
        configured_owner=configured,
        until=member.until if everything and role is Role.MEMBER else None,
        ends=ends if any(end is not None for end in ends) else (),
    )


def display_name(known: KnownUser | None, user_id: int) -> str:
    if known is None:
        return str(user_id)
    return " ".join(p for p in (known.first_name, known.last_name) if p) or str(user_id)


def _outlasting(grants: dict[int, datetime | None], until: datetime) -> dict[int, datetime | None]:
    return {i: end for i, end in grants.items() if end is None or end > until}


def _touched(member: Member, wanted: list[Account], now: datetime) -> dict[int, datetime | None]:
    """What an /add of `wanted` (none: all accounts) touches that the member has, and when
    it ends; key 0 stands for the all-accounts grant."""
    if not wanted:
        return {0: member.until} if has_all(member, now) else {}
    return {a.id: end_of(member, a, now) for a in wanted if has_account(member, a, now)}


def _change(before: dict[int, datetime | None], after: dict[int, datetime | None]) -> Change:
    if not before:
        return Change.NEW
    changes = set()
    for key, was in before.items():
        now = after.get(key)
        if was == now:
            continue
        if now is None:
            changes.add(Change.PERMANENT)
        elif was is None or now < was:
            changes.add(Change.SHORTER)
        else:
            changes.add(Change.LONGER)
    # One word for the reply: the latest /add counts, so a shortening is worth saying first.
    for change in (Change.SHORTER, Change.PERMANENT, Change.LONGER):
        if change in changes:
            return change
    return Change.SAME


def _check_count(account_names: Sequence[object]) -> None:
    if len(account_names) > MAX_ACCOUNT_NAMES:
        raise InvalidInput("members.too_many_accounts", max=MAX_ACCOUNT_NAMES)


def _unknown(username: str) -> InvalidInput:
    return InvalidInput("members.unknown_username", username=f"@{username.lstrip('@')[:40]}")

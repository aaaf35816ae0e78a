"""Who is on the team: adding, revoking, promoting and listing members."""

from __future__ import annotations

from collections.abc import Sequence

from bot.rules.core import Core
from bot.rules.errors import InvalidInput, NotAllowed
from bot.rules.model import MemberView, Person, Role, Target
from bot.rules.names import name_key, shown
from storage.models import Account, Member
from storage.repositories import Repositories


class Roster:
    def __init__(self, core: Core) -> None:
        self._core = core

    def add(self, actor: Person, target: Target, account_names: Sequence[str]) -> MemberView:
        """Whitelist someone: all accounts, or only the named ones (added to what they have)."""
        core = self._core
        with core.store.transaction() as tx:
            core.require(tx, actor.id, Role.ADMIN)
            user_id = self._resolve(tx, target)
            wanted = _accounts_named(tx, account_names)
            role = core.role_in(tx, user_id)
            member = tx.members.get(user_id)
            if role is not None and role is not Role.MEMBER:
                raise InvalidInput("members.already_admin", name=self._name(tx, user_id))
            if member is None:
                member = tx.members.add(
                    Member(
                        user_id=user_id,
                        role=Role.MEMBER,
                        all_accounts=not wanted,
                        notify=True,
                        added_by=actor.id,
                        added_at=core.now(),
                    )
                )
                tx.members.set_grants(member, {a.id for a in wanted})
            elif not wanted:
                member.all_accounts = True
                tx.members.set_grants(member, set())
            elif not member.all_accounts:
                granted = {grant.account_id for grant in member.grants}
                tx.members.set_grants(member, granted | {a.id for a in wanted})
            core.audit(
                tx,
                actor_id=actor.id,
                action="member.add",
                target_id=user_id,
                detail=",".join(a.name for a in wanted) or "all accounts",
            )
            return self._view(tx, member)

    def revoke(
        self, actor: Person, target: Target, account_names: Sequence[str]
    ) -> tuple[str, MemberView | None]:
        """Remove someone entirely (no names), or only the named grants.

        Returns the person's name and what is left of the member (None: gone).
        """
        core = self._core
        with core.store.transaction() as tx:
            actor_role = core.require(tx, actor.id, Role.ADMIN)
            user_id = self._resolve(tx, target)
            name = self._name(tx, user_id)
            role = core.role_in(tx, user_id)
            member = tx.members.get(user_id)
            if role is Role.OWNER:
                raise InvalidInput("members.cannot_revoke_owner", name=name)
            if member is None or role is None:
                raise InvalidInput("members.not_a_member", name=name)
            if role is Role.ADMIN and actor_role is not Role.OWNER:
                raise NotAllowed("members.revoke_admin_needs_owner", name=name)
            if not account_names:
                tx.members.remove(member)
                core.audit(tx, actor_id=actor.id, action="member.revoke", target_id=user_id)
                return name, None
            if role is Role.ADMIN:
                raise InvalidInput("members.admin_has_all", name=name)
            unwanted = {a.id for a in _accounts_named(tx, account_names)}
            current = (
                {a.id for a in tx.accounts.all()}
                if member.all_accounts
                else {grant.account_id for grant in member.grants}
            )
            member.all_accounts = False
            tx.members.set_grants(member, current - unwanted)
            core.audit(
                tx,
                actor_id=actor.id,
                action="member.revoke",
                target_id=user_id,
                detail=",".join(account_names),
            )
            return name, self._view(tx, member)

    def promote(self, actor: Person, target: Target) -> MemberView:
        core = self._core
        with core.store.transaction() as tx:
            core.require(tx, actor.id, Role.OWNER)
            user_id = self._resolve(tx, target)
            role = core.role_in(tx, user_id)
            if role is Role.OWNER or role is Role.ADMIN:
                raise InvalidInput("members.already_admin", name=self._name(tx, user_id))
            member = tx.members.get(user_id)
            if member is None:
                member = tx.members.add(
                    Member(
                        user_id=user_id,
                        role=Role.ADMIN,
                        all_accounts=True,
                        notify=True,
                        added_by=actor.id,
                        added_at=core.now(),
                    )
                )
            member.role = Role.ADMIN
            member.all_accounts = True
            tx.members.set_grants(member, set())
            core.audit(tx, actor_id=actor.id, action="member.promote", target_id=user_id)
            return self._view(tx, member)

    def demote(self, actor: Person, target: Target) -> MemberView:
        core = self._core
        with core.store.transaction() as tx:
            core.require(tx, actor.id, Role.OWNER)
            user_id = self._resolve(tx, target)
            role = core.role_in(tx, user_id)
            member = tx.members.get(user_id)
            if role is Role.OWNER:
                raise InvalidInput("members.cannot_demote_owner", name=self._name(tx, user_id))
            if role is not Role.ADMIN or member is None:
                raise InvalidInput("members.not_admin", name=self._name(tx, user_id))
            member.role = Role.MEMBER
            core.audit(tx, actor_id=actor.id, action="member.demote", target_id=user_id)
            return self._view(tx, member)

    def members(self, actor: Person) -> list[MemberView]:
        core = self._core
        with core.store.transaction() as tx:
            core.require(tx, actor.id, Role.ADMIN)
            rows = {member.user_id: member for member in tx.members.all()}
            views = [self._owner_view(tx, uid) for uid in sorted(core.owner_ids)]
            views += [self._view(tx, m) for uid, m in rows.items() if uid not in core.owner_ids]
            return sorted(views, key=lambda v: (-v.role.rank, v.name.casefold()))

    def set_notify(self, actor: Person, on: bool) -> None:
        core = self._core
        with core.store.transaction() as tx:
            role = core.require(tx, actor.id, Role.ADMIN)
            member = tx.members.get(actor.id)
            if member is None:  # a configured owner with no row yet
                member = tx.members.add(
                    Member(
                        user_id=actor.id,
                        role=role,
                        all_accounts=True,
                        notify=on,
                        added_by=None,
                        added_at=core.now(),
                    )
                )
            member.notify = on
            core.audit(tx, actor_id=actor.id, action="notify", detail="on" if on else "off")

    def _resolve(self, tx: Repositories, target: Target) -> int:
        if target.person is not None:
            if target.person.is_bot:
                raise InvalidInput("members.target_is_bot")
            self._remember(tx, target.person)
            return target.person.id
        if target.user_id is not None:
            return target.user_id
        if target.username is not None:
            known = tx.users.by_username(target.username.lstrip("@"))
            if known is None:
                raise InvalidInput(
                    "members.unknown_username", username=f"@{target.username.lstrip('@')[:40]}"
                )
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
            seen_at=known.last_seen if known else self._core.now(),
        )

    def _name(self, tx: Repositories, user_id: int) -> str:
        known = tx.users.get(user_id)
        if known is None:
            return str(user_id)
        return " ".join(p for p in (known.first_name, known.last_name) if p) or str(user_id)

    def _view(self, tx: Repositories, member: Member) -> MemberView:
        known = tx.users.get(member.user_id)
        names: tuple[str, ...] = ()
        if not member.all_accounts:
            granted = {grant.account_id for grant in member.grants}
            names = tuple(a.name for a in tx.accounts.all() if a.id in granted)
        role = Role.OWNER if member.user_id in self._core.owner_ids else Role(member.role)
        return MemberView(
            user_id=member.user_id,
            role=role,
            name=self._name(tx, member.user_id),
            username=known.username if known else None,
            all_accounts=member.all_accounts or role is not Role.MEMBER,
            accounts=names,
            notify=member.notify,
            configured_owner=member.user_id in self._core.owner_ids,
        )

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


def _accounts_named(tx: Repositories, names: Sequence[str]) -> list[Account]:
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

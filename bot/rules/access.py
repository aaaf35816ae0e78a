"""Who is who: configured owners, and the roles kept in the store.

Roles are read from the store on every call, never cached: a revocation takes effect
on the very next update, including presses on old buttons. So does the end of a grant:
a member whose every grant has ended is no member, before any sweep removes them.
"""

from __future__ import annotations

from bot.rules.clock import Clock, utc
from bot.rules.errors import NotAllowed, NotAMember
from bot.rules.model import OPERATOR, Recipient, Role
from bot.rules.terms import has_ended
from storage.models import Member
from storage.repositories import Repositories
from storage.store import Store


class Access:
    def __init__(self, store: Store, *, owner_ids: frozenset[int], clock: Clock) -> None:
        self._store = store
        self.owner_ids = owner_ids
        self._clock = clock

    def role(self, tx: Repositories, user_id: int) -> Role | None:
        return self.standing(tx, user_id)[0]

    def standing(self, tx: Repositories, user_id: int) -> tuple[Role | None, Member | None]:
        """The role, and the member's row when the role is a member's (their grants say
        which accounts they may use): one look in the store for both."""
        if user_id in self.owner_ids or user_id == OPERATOR.id:
            return Role.OWNER, None
        member = tx.members.get(user_id)
        if member is None:
            return None, None
        role = Role(member.role)
        if role is not Role.MEMBER:
            return role, None
        if has_ended(member, utc(self._clock())):
            return None, None
        return role, member

    def require(self, tx: Repositories, user_id: int, needed: Role) -> Role:
        """The rules' own check, behind the chat layer's gate."""
        role = self.role(tx, user_id)
        if role is None:
            raise NotAMember(user_id)
        if not role.at_least(needed):
            raise NotAllowed("access.owner_only" if needed is Role.OWNER else "access.admin_only")
        return role

    def role_of(self, user_id: int) -> Role | None:
        """`role` in a transaction of its own (the gate, the help text)."""
        with self._store.transaction() as tx:
            return self.role(tx, user_id)

    def require_role(self, user_id: int, needed: Role) -> Role:
        """`require` in a transaction of its own, before work that needs no store
        (downloading an image only an admin may send)."""
        with self._store.transaction() as tx:
            return self.require(tx, user_id, needed)

    def owners(self) -> tuple[Recipient, ...]:
        """Configured owners and owners in the store, each in their own language: for what
        only owners are told (a failure of the bot, the server's clock, secrets that no
        longer open). The store may be what failed: then the configured owners are told,
        in English."""
        try:
            with self._store.transaction() as tx:
                ids = set(self.owner_ids) | {m.user_id for m in tx.members.with_role(Role.OWNER)}
                users = tx.users.many(ids)
        except Exception:  # the failure being reported may be the store's
            return tuple(Recipient(user_id, None) for user_id in sorted(self.owner_ids))
        return tuple(
            Recipient(user_id, users[user_id].spoken if user_id in users else None)
            for user_id in sorted(ids - {OPERATOR.id})
        )

    def admins(
        self, tx: Repositories, *, exclude: int, notify_only: bool = False
    ) -> tuple[Recipient, ...]:
        """Owners and admins to tell of something, in their own language; with
        `notify_only`, those who kept /notify on."""
        wanted: dict[int, bool] = dict.fromkeys(self.owner_ids, True)
        # A configured owner's row (if any) says whether they kept /notify on.
        wanted |= tx.members.notified((Role.ADMIN, Role.OWNER), self.owner_ids)
        ids = {
            user_id
            for user_id, on in wanted.items()
            if (on or not notify_only) and user_id not in (exclude, OPERATOR.id)
        }
        users = tx.users.many(ids)
        return tuple(
            Recipient(user_id, users[user_id].spoken if user_id in users else None)
            for user_id in sorted(ids)
        )

"""Which groups may show codes (rule 2)."""

from __future__ import annotations

from bot.rules.access import Access
from bot.rules.auditlog import record
from bot.rules.clock import Clock, utc
from bot.rules.errors import InvalidInput
from bot.rules.model import Person, Place, Role
from storage.repositories import Repositories
from storage.store import Store


class Groups:
    def __init__(self, store: Store, access: Access, clock: Clock) -> None:
        self._store = store
        self._access = access
        self._clock = clock

    def approve(self, actor: Person, place: Place) -> bool:
        """Returns False when the group was already approved."""
        if place.private:
            raise InvalidInput("chats.only_in_groups")
        with self._store.transaction() as tx:
            self._access.require(tx, actor.id, Role.ADMIN)
            if tx.chats.get(place.chat_id) is not None:
                return False
            self._approve(tx, actor, place)
            record(
                tx, self._clock(), actor_id=actor.id, action="chat.approve", chat_id=place.chat_id
            )
            return True

    def unapprove(self, actor: Person, place: Place) -> bool:
        if place.private:
            raise InvalidInput("chats.only_in_groups")
        with self._store.transaction() as tx:
            self._access.require(tx, actor.id, Role.ADMIN)
            chat = tx.chats.get(place.chat_id)
            if chat is None:
                return False
            tx.chats.remove(chat)
            # The reply says codes stopped: from now on the group hears nothing more.
            tx.quiet_chats.mark(place.chat_id, utc(self._clock()))
            record(
                tx, self._clock(), actor_id=actor.id, action="chat.unapprove", chat_id=place.chat_id
            )
            return True

    def bot_added(self, actor: Person, place: Place) -> bool:
        """Adding the bot to a group approves it when an admin or owner did it."""
        with self._store.transaction() as tx:
            role = self._access.role(tx, actor.id)
            approved = role is not None and role.at_least(Role.ADMIN)
            if approved and tx.chats.get(place.chat_id) is None:
                self._approve(tx, actor, place)
            record(
                tx,
                self._clock(),
                actor_id=actor.id,
                action="chat.bot_added",
                outcome="approved" if approved else "not_approved",
                chat_id=place.chat_id,
            )
            return approved

    def bot_removed(self, actor: Person, place: Place) -> None:
        with self._store.transaction() as tx:
            chat = tx.chats.get(place.chat_id)
            if chat is not None:
                tx.chats.remove(chat)
            record(
                tx,
                self._clock(),
                actor_id=actor.id,
                action="chat.bot_removed",
                chat_id=place.chat_id,
            )

    def migrated(self, old_chat_id: int, new_chat_id: int) -> None:
        """A group upgraded to a supergroup keeps its approval under the new id. Telegram
        says so in both chats: the second to come finds the approval moved already."""
        with self._store.transaction() as tx:
            tx.chat_languages.move(old_chat_id, new_chat_id)
            chat = tx.chats.get(old_chat_id)
            if chat is None or tx.chats.get(new_chat_id) is not None:
                return
            tx.chats.add(
                chat_id=new_chat_id,
                title=chat.title,
                approved_by=chat.approved_by,
                approved_at=chat.approved_at,
                roster=chat.roster,
            )
            tx.chats.remove(chat)
            record(
                tx,
                self._clock(),
                actor_id=None,
                action="chat.migrate",
                chat_id=new_chat_id,
                params={"from_chat": old_chat_id},
            )

    def set_roster(
        self, actor: Person, place: Place, on: bool, *, bot_is_admin: bool | None = None
    ) -> bool:
        """Make the group the team roster (leaving it ends a person's access), or stop.

        Only an approved group can be one, and only where the bot is an administrator:
        Telegram tells of people leaving only to admin bots. `bot_is_admin` is what
        Telegram said just now (None: it could not be asked). False when nothing changed."""
        if place.private:
            raise InvalidInput("chats.only_in_groups")
        with self._store.transaction() as tx:
            self._access.require(tx, actor.id, Role.ADMIN)
            chat = tx.chats.get(place.chat_id)
            if not on:
                if chat is None or not chat.roster:
                    return False
                tx.chats.set_roster(chat, False)
            else:
                if chat is None:
                    raise InvalidInput("roster.not_approved")
                if bot_is_admin is None:
                    raise InvalidInput("roster.cannot_check")
                if not bot_is_admin:
                    raise InvalidInput("roster.bot_not_admin")
                if chat.roster:
                    return False
                tx.chats.set_roster(chat, True)
            record(
                tx,
                self._clock(),
                actor_id=actor.id,
                action="chat.roster_on" if on else "chat.roster_off",
                chat_id=place.chat_id,
            )
            return True

    def roster_state(self, actor: Person, place: Place) -> bool | None:
        """Whether the group is the roster; None when it is not even approved."""
        if place.private:
            raise InvalidInput("chats.only_in_groups")
        with self._store.transaction() as tx:
            self._access.require(tx, actor.id, Role.ADMIN)
            chat = tx.chats.get(place.chat_id)
            return None if chat is None else bool(chat.roster)

    def is_approved(self, chat_id: int) -> bool:
        with self._store.transaction() as tx:
            return tx.chats.get(chat_id) is not None

    def _approve(self, tx: Repositories, actor: Person, place: Place) -> None:
        tx.quiet_chats.clear(place.chat_id)
        tx.chats.add(
            chat_id=place.chat_id,
            title=place.title,
            approved_by=actor.id,
            approved_at=utc(self._clock()),
        )

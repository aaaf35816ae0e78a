"""Which groups may show codes (rule 2)."""

from __future__ import annotations

from bot.rules.core import Core
from bot.rules.errors import InvalidInput
from bot.rules.model import Person, Place, Role
from storage.models import ApprovedChat


class Chats:
    def __init__(self, core: Core) -> None:
        self._core = core

    def approve(self, actor: Person, place: Place) -> bool:
        """Returns False when the group was already approved."""
        core = self._core
        if place.private:
            raise InvalidInput("chats.only_in_groups")
        with core.store.transaction() as tx:
            core.require(tx, actor.id, Role.ADMIN)
            if tx.chats.get(place.chat_id) is not None:
                return False
            tx.chats.add(
                ApprovedChat(
                    chat_id=place.chat_id,
                    title=place.title,
                    approved_by=actor.id,
                    approved_at=core.now(),
                )
            )
            core.audit(tx, actor_id=actor.id, action="chat.approve", chat_id=place.chat_id)
            return True

    def unapprove(self, actor: Person, place: Place) -> bool:
        core = self._core
        if place.private:
            raise InvalidInput("chats.only_in_groups")
        with core.store.transaction() as tx:
            core.require(tx, actor.id, Role.ADMIN)
            chat = tx.chats.get(place.chat_id)
            if chat is None:
                return False
            tx.chats.remove(chat)
            core.audit(tx, actor_id=actor.id, action="chat.unapprove", chat_id=place.chat_id)
            return True

    def bot_added(self, actor: Person, place: Place) -> bool:
        """Adding the bot to a group approves it when an admin or owner did it."""
        core = self._core
        with core.store.transaction() as tx:
            role = core.role_in(tx, actor.id)
            approved = role is not None and role.at_least(Role.ADMIN)
            if approved and tx.chats.get(place.chat_id) is None:
                tx.chats.add(
                    ApprovedChat(
                        chat_id=place.chat_id,
                        title=place.title,
                        approved_by=actor.id,
                        approved_at=core.now(),
                    )
                )
            core.audit(
                tx,
                actor_id=actor.id,
                action="chat.bot_added",
                outcome="approved" if approved else "not approved",
                chat_id=place.chat_id,
            )
            return approved

    def bot_removed(self, actor: Person, place: Place) -> None:
        core = self._core
        with core.store.transaction() as tx:
            chat = tx.chats.get(place.chat_id)
            if chat is not None:
                tx.chats.remove(chat)
            core.audit(tx, actor_id=actor.id, action="chat.bot_removed", chat_id=place.chat_id)

    def migrated(self, old_chat_id: int, new_chat_id: int) -> None:
        """A group upgraded to a supergroup keeps its approval under the new id."""
        core = self._core
        with core.store.transaction() as tx:
            chat = tx.chats.get(old_chat_id)
            if chat is None or tx.chats.get(new_chat_id) is not None:
                return
            tx.chats.add(
                ApprovedChat(
                    chat_id=new_chat_id,
                    title=chat.title,
                    approved_by=chat.approved_by,
                    approved_at=chat.approved_at,
                )
            )
            tx.chats.remove(chat)
            core.audit(
                tx,
                actor_id=None,
                action="chat.migrate",
                chat_id=new_chat_id,
                detail=f"from {old_chat_id}",
            )

    def is_approved(self, chat_id: int) -> bool:
        with self._core.store.transaction() as tx:
            return tx.chats.get(chat_id) is not None

"""What people do on the Telegram side: write, reply, press buttons, add and remove the bot.

Every action stores a realistic ``Message``/``Update`` and queues it for ``getUpdates``
only when the real Telegram would deliver it to the bot: group messages obey privacy
mode, a bot that is not in a group hears nothing from it, ``chat_member`` updates need
an admin bot that asked for them.
"""

from __future__ import annotations

import copy
import itertools
import re
import time
from typing import Any
from urllib.parse import parse_qs, urlsplit

from .bot_api import BotApi, CallbackQueryRecord
from .files import FileStore
from .formatting import auto_entities
from .keyboards import callback_buttons
from .updates import UpdateQueue
from .utf16 import utf16_slice
from .world import RESTRICTED_OUTSIDE, FakeChat, FakeUser, World, chat_member, public_message

ChatRef = FakeChat | FakeUser | int

_SERVICE_KEYS = (
    "new_chat_members",
    "left_chat_member",
    "migrate_to_chat_id",
    "migrate_from_chat_id",
    "forum_topic_created",
    "group_chat_created",
)


class UserActions:
    """Mixin for :class:`~.server.FakeTelegram`: the user side of the conversation."""

    world: World
    updates: UpdateQueue
    api: BotApi
    files: FileStore
    #: Privacy mode (see :attr:`~.world.World.privacy_mode`).
    privacy_mode: bool
    _query_ids: itertools.count[int]

    # ------------------------------------------------------------- the world

    def user(
        self,
        name: str,
        *,
        language_code: str | None = "en",
        username: str | None = None,
        last_name: str | None = None,
        started: bool = True,
    ) -> FakeUser:
        """The user called ``name`` (created on first call; later calls return the same user).

        ``username`` defaults to ``name`` lower-cased (pass ``username=""`` for none).
        ``started=False``: the user never pressed Start, so the bot cannot message them
        privately until they write to it.
        """
        return self.world.user(
            name,
            language_code=language_code,
            username=name.lower() if username is None else (username or None),
            last_name=last_name,
            started=started,
        )

    def private(self, user: FakeUser) -> FakeChat:
        """The private chat between ``user`` and the bot (chat id == user id)."""
        return self.world.private(user)

    def group(
        self,
        title: str,
        *,
        supergroup: bool = False,
        forum: bool = False,
        bot_is_admin: bool = False,
        can_delete_messages: bool = True,
        hides_joins: bool = False,
    ) -> FakeChat:
        """A new group (the bot joins only via :meth:`add_bot_to_group`).

        ``bot_is_admin``: the bot becomes an administrator when added, with
        ``can_delete_messages`` as given. The first user to join a group is its creator.
        ``hides_joins``: a supergroup that hides join and leave messages (other users'
        joins and leaves then come only as ``chat_member`` updates).
        """
        return self.world.group(
            title,
            supergroup=supergroup or forum or hides_joins,
            forum=forum,
            bot_is_admin=bot_is_admin,
            can_delete_messages=can_delete_messages,
            hides_joins=hides_joins,
        )

    def chat(self, ref: ChatRef) -> FakeChat:
        """A chat from a :class:`FakeChat`, a user (their private chat) or a chat id."""
        if isinstance(ref, FakeChat):
            return ref
        if isinstance(ref, FakeUser):
            return self.world.private(ref)
        found = self.api.lookup_chat(ref)
        if found is None:
            raise KeyError(f"no chat with id {ref}")
        return found

    def set_member(self, chat: FakeChat, user: FakeUser, status: str) -> None:
        """Set a user's status in a group ("creator", "administrator", "member", "left"...).

        No update is sent; use it to arrange who ``getChatMember`` reports as admin.
        """
        chat.members[user.id] = status

    def block(self, user: FakeUser) -> None:
        """The user blocks the bot: private sends get 403, a ``my_chat_member`` update arrives."""
        if user.blocked:
            return
        user.blocked = True
        self._bot_status_changed(self.world.private(user), user, "member", "kicked")

    def unblock(self, user: FakeUser) -> None:
        """The user unblocks (restarts) the bot."""
        if not user.blocked:
            return
        user.blocked = False
        user.started = True
        self._bot_status_changed(self.world.private(user), user, "kicked", "member")

    def create_topic(self, chat: FakeChat, name: str, *, by: FakeUser) -> int:
        """Open a forum topic; returns its ``message_thread_id``."""
        if not chat.is_forum:
            raise ValueError(f"{chat.label} is not a forum")
        message = self._new_message(by, chat)
        thread = int(message["message_id"])
        chat.topics.add(thread)
        message.update(
            message_thread_id=thread,
            is_topic_message=True,
            forum_topic_created={"name": name, "icon_color": 7322096},
        )
        self._emit(chat, message)
        return thread

    def delete_message(self, chat: ChatRef, message_id: int) -> None:
        """A user deletes a message (the bot is not told, as in Telegram)."""
        self.chat(chat).deleted.add(message_id)

    def age(self, chat: ChatRef, message_id: int, seconds: float) -> None:
        """Make a stored message ``seconds`` older (e.g. past the 48 h deletion window)."""
        message = self.chat(chat).history[message_id]
        message["date"] = int(message["date"] - seconds)

    # ---------------------------------------------------------- membership

    def _ensure_member(self, chat: FakeChat, user: FakeUser) -> None:
        present = ("creator", "administrator", "member", "restricted")
        if chat.is_private or chat.members.get(user.id) in present:
            return
        has_creator = "creator" in chat.members.values()
        chat.members[user.id] = "member" if has_creator else "creator"

    def _bot_status_changed(self, chat: FakeChat, by: FakeUser, old: str, new: str) -> None:
        can_delete = chat.bot_can_delete_messages
        self.updates.push(
            "my_chat_member",
            {
                "chat": chat.to_dict(),
                "from": by.to_dict(),
                "date": self.world.now(),
                "old_chat_member": chat_member(self.world.bot, old, can_delete_messages=can_delete),
                "new_chat_member": chat_member(self.world.bot, new, can_delete_messages=can_delete),
            },
        )

    def _member_changed(self, chat: FakeChat, user: FakeUser, by: FakeUser, old: str) -> None:
        new = chat.members.get(user.id, "left")
        if chat.bot_is_admin and chat.bot_is_member:
            self.updates.push(
                "chat_member",
                {
                    "chat": chat.to_dict(),
                    "from": by.to_dict(),
                    "date": self.world.now(),
                    "old_chat_member": chat_member(user, old),
                    "new_chat_member": chat_member(user, new),
                },
            )

    async def add_bot_to_group(self, chat: FakeChat, by: FakeUser) -> None:
        """``by`` adds the bot: a ``my_chat_member`` update (from ``by``), then the join message."""
        if chat.is_private:
            raise ValueError("the bot cannot be added to a private chat")
        self._ensure_member(chat, by)
        old = chat.bot_status
        chat.bot_status = "administrator" if chat.bot_is_admin_when_added else "member"
        self._bot_status_changed(chat, by, old, chat.bot_status)
        message = self._new_message(by, chat)
        message["new_chat_members"] = [self.world.bot.to_dict()]
        self._emit(chat, message)

    async def remove_bot_from_group(
        self, chat: FakeChat, by: FakeUser, *, kicked: bool = False
    ) -> None:
        """``by`` removes the bot (status "left", or "kicked" = banned); sends then get 403."""
        old = chat.bot_status
        chat.bot_status = "kicked" if kicked else "left"
        self._bot_status_changed(chat, by, old, chat.bot_status)
        message = self._new_message(by, chat)
        message["left_chat_member"] = self.world.bot.to_dict()
        self._emit(chat, message)  # stored, but the bot is no longer there to receive it

    async def promote_bot(
        self, chat: FakeChat, by: FakeUser, *, can_delete_messages: bool = True
    ) -> None:
        """Make the bot an administrator of a group it is in."""
        old = chat.bot_status
        chat.bot_status = "administrator"
        chat.bot_can_delete_messages = can_delete_messages
        self._bot_status_changed(chat, by, old, "administrator")

    async def demote_bot(self, chat: FakeChat, by: FakeUser) -> None:
        """Make the bot a plain member again."""
        old = chat.bot_status
        chat.bot_status = "member"
        self._bot_status_changed(chat, by, old, "member")

    async def user_joins(
        self, chat: FakeChat, user: FakeUser, *, by: FakeUser | None = None
    ) -> dict[str, Any]:
        """``user`` joins (or is added by ``by``): a ``new_chat_members`` message."""
        old = chat.members.get(user.id, "left")
        self._ensure_member(chat, user)
        message = self._new_message(by or user, chat)
        message["new_chat_members"] = [user.to_dict()]
        self._member_changed(chat, user, by or user, old)
        return self._service(chat, message)

    async def user_leaves(self, chat: FakeChat, user: FakeUser) -> dict[str, Any]:
        """``user`` leaves: a ``left_chat_member`` message (+ ``chat_member`` if asked for)."""
        old = chat.members.get(user.id, "left")
        chat.members[user.id] = RESTRICTED_OUTSIDE if old == "restricted" else "left"
        message = self._new_message(user, chat)
        message["left_chat_member"] = user.to_dict()
        self._member_changed(chat, user, user, old)
        return self._service(chat, message)

    async def remove_user(
        self, chat: FakeChat, user: FakeUser, *, by: FakeUser, ban: bool = True
    ) -> dict[str, Any]:
        """An admin ``by`` removes ``user`` (banned: "kicked", as a supergroup's "Remove"
        does; else "left"): a ``chat_member`` update (if asked for) and a
        ``left_chat_member`` message, both from ``by``."""
        if chat.members.get(by.id) not in ("creator", "administrator"):
            raise ValueError(f"{by.first_name} is not an administrator of {chat.label}")
        old = chat.members.get(user.id, "left")
        chat.members[user.id] = "kicked" if ban else "left"
        message = self._new_message(by, chat)
        message["left_chat_member"] = user.to_dict()
        self._member_changed(chat, user, by, old)
        return self._service(chat, message)

    async def restrict_user(self, chat: FakeChat, user: FakeUser, *, by: FakeUser) -> None:
        """An admin ``by`` restricts ``user``, who stays in the group: only a
        ``chat_member`` update (if asked for), no service message."""
        if chat.members.get(by.id) not in ("creator", "administrator"):
            raise ValueError(f"{by.first_name} is not an administrator of {chat.label}")
        old = chat.members.get(user.id, "left")
        present = old in ("creator", "administrator", "member", "restricted")
        chat.members[user.id] = "restricted" if present else RESTRICTED_OUTSIDE
        self._member_changed(chat, user, by, old)

    async def migrate_to_supergroup(
        self, chat: FakeChat, *, by: FakeUser | None = None
    ) -> FakeChat:
        """Upgrade a basic group; returns the new supergroup. The old id is dead afterwards."""
        if chat.type != "group":
            raise ValueError(f"{chat.label} is not a basic group")
        actor = by or self._some_member(chat)
        new = self.world.supergroup_for(chat)
        old_message = self._new_message(actor, chat, check_migrated=False)
        old_message["migrate_to_chat_id"] = new.id
        self._emit(chat, old_message)
        new_message = self._new_message(actor, new)
        new_message["migrate_from_chat_id"] = chat.id
        self._emit(new, new_message)
        return new

    def _some_member(self, chat: FakeChat) -> FakeUser:
        for uid, status in chat.members.items():
            if status in ("creator", "administrator", "member") and uid in self.world.users:
                return self.world.users[uid]
        return self.world.anonymous_admin

    # --------------------------------------------------------------- messages

    def _new_message(
        self,
        user: FakeUser | None,
        chat: FakeChat,
        *,
        sender_chat: FakeChat | None = None,
        reply_to: dict[str, Any] | None = None,
        message_thread_id: int | None = None,
        check_migrated: bool = True,
    ) -> dict[str, Any]:
        if check_migrated and chat.migrated_to is not None:
            raise ValueError(f"{chat.label} was upgraded to a supergroup: use the new chat")
        sender = self.world.anonymous_admin if sender_chat is not None else user
        if sender is None:
            raise ValueError("a message needs a user or a sender_chat")
        message: dict[str, Any] = {
            "message_id": chat.next_message_id(),
            "from": sender.to_dict(),
            "chat": chat.to_dict(),
            "date": self.world.now(),
        }
        if sender_chat is not None:
            message["sender_chat"] = sender_chat.to_dict()
        if reply_to is not None:
            target = chat.get(int(reply_to["message_id"]))
            if target is None:
                raise ValueError(f"message {reply_to['message_id']} is not in {chat.label}")
            message["reply_to_message"] = {
                k: v for k, v in public_message(target).items() if k != "reply_to_message"
            }
            if message_thread_id is None and chat.is_forum:
                message_thread_id = target.get("message_thread_id")
        if message_thread_id is not None:
            if not chat.is_forum:
                raise ValueError(f"{chat.label} is not a forum: no message_thread_id")
            chat.topics.add(message_thread_id)
            message["message_thread_id"] = message_thread_id
            message["is_topic_message"] = True
        return message

    def _bot_receives(self, chat: FakeChat, message: dict[str, Any]) -> bool:
        if chat.is_private:
            return True
        if not chat.bot_is_member:
            return False
        if any(k in message for k in _SERVICE_KEYS):
            return True
        if chat.bot_is_admin or not self.privacy_mode:
            return True
        text = str(message.get("text") or message.get("caption") or "")
        username = (self.world.bot.username or "").lower()
        if text.startswith("/"):
            # The command as Telegram marked it: `/code@this_bot.` is for this bot.
            entities = message.get("entities") or message.get("caption_entities") or []
            first = entities[0] if entities else {}
            if first.get("type") == "bot_command" and first.get("offset") == 0:
                command = utf16_slice(text, 0, int(first["length"]))
            else:
                command = text.split(maxsplit=1)[0]
            return "@" not in command or command.split("@", 1)[1].lower() == username
        reply = message.get("reply_to_message")
        if reply and reply.get("from", {}).get("id") == self.world.bot.id:
            return True
        return bool(username) and f"@{username}" in text.lower()

    def _service(self, chat: FakeChat, message: dict[str, Any]) -> dict[str, Any]:
        """A join or leave message: not posted at all where the group hides them."""
        if chat.hides_joins:
            return copy.deepcopy(message)
        return self._emit(chat, message)

    def _emit(self, chat: FakeChat, message: dict[str, Any]) -> dict[str, Any]:
        """Store a user-side message and queue it for the bot when it would be delivered."""
        chat.store(message)
        if self._bot_receives(chat, message):
            self.updates.push("message", public_message(message))
        return copy.deepcopy(message)

    def _prepare_sender(self, user: FakeUser | None, chat: FakeChat) -> None:
        if user is None:
            return
        if chat.is_private:
            if user.blocked:
                self.unblock(user)
            user.started = True
        else:
            self._ensure_member(chat, user)

    async def send(
        self,
        user: FakeUser | None,
        chat: ChatRef,
        text: str,
        *,
        reply_to: dict[str, Any] | None = None,
        entities: list[dict[str, Any]] | None = None,
        message_thread_id: int | None = None,
        sender_chat: FakeChat | None = None,
    ) -> dict[str, Any]:
        """``user`` writes ``text`` in ``chat``; returns the stored message.

        Commands, @mentions and URLs get their entities automatically (also
        ``/cmd@botname``) unless ``entities`` is given. ``sender_chat=group`` posts as an
        anonymous admin (``from`` is GroupAnonymousBot). The update is queued only when
        the bot would receive the message (privacy mode, membership).
        """
        target = self.chat(chat)
        self._prepare_sender(user, target)
        message = self._new_message(
            user,
            target,
            sender_chat=sender_chat,
            reply_to=reply_to,
            message_thread_id=message_thread_id,
        )
        message["text"] = text
        found = auto_entities(text) if entities is None else entities
        if found:
            message["entities"] = found
        return self._emit(target, message)

    async def send_photo(
        self,
        user: FakeUser,
        chat: ChatRef,
        data: bytes,
        *,
        caption: str | None = None,
        reply_to: dict[str, Any] | None = None,
        message_thread_id: int | None = None,
    ) -> dict[str, Any]:
        """``user`` sends an image as a photo: several ``PhotoSize`` entries, largest last."""
        target = self.chat(chat)
        self._prepare_sender(user, target)
        message = self._new_message(
            user, target, reply_to=reply_to, message_thread_id=message_thread_id
        )
        message["photo"] = self.files.photo_sizes(data)
        self._add_caption(message, caption)
        return self._emit(target, message)

    async def send_document(
        self,
        user: FakeUser,
        chat: ChatRef,
        data: bytes,
        *,
        file_name: str = "file.bin",
        mime_type: str | None = None,
        caption: str | None = None,
        reply_to: dict[str, Any] | None = None,
        message_thread_id: int | None = None,
    ) -> dict[str, Any]:
        """``user`` sends a file (e.g. an image "as a file": original bytes and mime type)."""
        target = self.chat(chat)
        self._prepare_sender(user, target)
        message = self._new_message(
            user, target, reply_to=reply_to, message_thread_id=message_thread_id
        )
        message["document"] = self.files.document(data, file_name=file_name, mime_type=mime_type)
        self._add_caption(message, caption)
        return self._emit(target, message)

    @staticmethod
    def _add_caption(message: dict[str, Any], caption: str | None) -> None:
        if caption:
            message["caption"] = caption
            found = auto_entities(caption)
            if found:
                message["caption_entities"] = found

    async def open_link(self, user: FakeUser, url: str) -> dict[str, Any]:
        """``user`` opens a ``https://t.me/<bot>?start=<payload>`` link and presses Start, as
        the Telegram app does: the bot receives "/start <payload>" in the private chat, or
        plain "/start" when the payload is not 1-64 of ``A-Za-z0-9_-`` (apps drop such a
        payload). A link that does not open this bot's chat fails the test."""
        parts = urlsplit(url)
        query = parse_qs(parts.query)
        bot_name = (self.world.bot.username or "").lower()
        if (
            parts.scheme not in ("http", "https")
            or parts.netloc.lower() not in ("t.me", "telegram.me")
            or parts.path.strip("/").lower() != bot_name
            or list(query) != ["start"]
        ):
            raise AssertionError(f"not a start link of this bot: {url!r}")
        payload = query["start"][0]
        valid = re.fullmatch(r"[A-Za-z0-9_-]{1,64}", payload) is not None
        return await self.send(user, self.private(user), f"/start {payload}" if valid else "/start")

    async def press(
        self,
        user: FakeUser,
        message: dict[str, Any],
        *,
        text: str | None = None,
        data: str | None = None,
    ) -> str:
        """``user`` presses a callback button on a bot message; returns the query id.

        The button is found by its label (``text``) or ``callback_data`` on the message as
        it is *now* (edits applied); with neither, the message must have exactly one
        callback button. Anyone in the chat may press, as in Telegram.
        """
        chat = self.chat(int(message["chat"]["id"]))
        live = chat.get(int(message["message_id"]))
        if live is None:
            raise AssertionError(f"message {message['message_id']} in {chat.label} was deleted")
        buttons = [b for b in callback_buttons(live.get("reply_markup")) if "callback_data" in b]
        matches = [
            b
            for b in buttons
            if (text is None or b["text"] == text) and (data is None or b["callback_data"] == data)
        ]
        if not matches or (text is None and data is None and len(matches) > 1):
            labels = [b.get("text") for b in callback_buttons(live.get("reply_markup"))]
            raise AssertionError(
                f"no callback button text={text!r} data={data!r} on message "
                f"{live['message_id']} in {chat.label}; its buttons: {labels}"
            )
        return self._push_press(user, chat, live, str(matches[0]["callback_data"]))

    async def forge_press(self, user: FakeUser, message: dict[str, Any], data: str) -> str:
        """``user``'s client sends a press with any ``data`` for a bot message that has
        no such button, as a modified or outdated client can; returns the query id.

        Nothing but the bot's own checks stands between such data and its handlers, so
        tests of those checks send it here. The message must still exist.
        """
        chat = self.chat(int(message["chat"]["id"]))
        live = chat.get(int(message["message_id"]))
        if live is None:
            raise AssertionError(f"message {message['message_id']} in {chat.label} was deleted")
        return self._push_press(user, chat, live, data)

    def _push_press(self, user: FakeUser, chat: FakeChat, live: dict[str, Any], data: str) -> str:
        query_id = str(next(self._query_ids))
        self.api.queries[query_id] = CallbackQueryRecord(
            id=query_id,
            user=user,
            chat_id=chat.id,
            message_id=int(live["message_id"]),
            data=data,
            pressed_at=time.monotonic(),
        )
        if chat.bot_is_member and not (chat.is_private and user.blocked):
            self.updates.push(
                "callback_query",
                {
                    "id": query_id,
                    "from": user.to_dict(),
                    "message": public_message(live),
                    "chat_instance": str(abs(chat.id) * 7919 % 10**18),
                    "data": data,
                },
            )
        return query_id

    async def edit(
        self,
        user: FakeUser,
        message: dict[str, Any],
        text: str,
        *,
        entities: list[dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        """``user`` edits the text of a message they sent; returns it as edited.

        Only the author may edit, and only a text message that still exists. The bot
        gets an ``edited_message`` update (with ``edit_date``) when it would receive
        the message as edited (privacy mode, membership) and did not leave edits out
        of ``allowed_updates``. Entities are detected again, as for :meth:`send`.
        """
        chat = self.chat(int(message["chat"]["id"]))
        live = chat.get(int(message["message_id"]))
        if live is None:
            raise AssertionError(f"message {message['message_id']} in {chat.label} was deleted")
        if live.get("from", {}).get("id") != user.id or "text" not in live:
            raise ValueError(f"{user.first_name} cannot edit message {live['message_id']}")
        live["text"] = text
        found = auto_entities(text) if entities is None else entities
        if found:
            live["entities"] = found
        else:
            live.pop("entities", None)
        live["edit_date"] = self.world.now()
        if self._bot_receives(chat, live):
            self.updates.push("edited_message", public_message(live))
        return copy.deepcopy(live)

"""The people, chats and message histories the fake Telegram keeps.

Ids are deterministic (users 1001, 1002, ...; basic groups -4000000001, ...;
supergroups -1001000000001, ...) so test failures are reproducible and readable.
"""

from __future__ import annotations

import copy
import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

#: Telegram's stand-in sender for anonymous group admins.
GROUP_ANONYMOUS_BOT_ID = 1087968824

#: A member's status (in ``FakeChat.members``) after they left while restricted: Telegram
#: reports them as "restricted" with ``is_member`` false.
RESTRICTED_OUTSIDE = "restricted:left"

#: Keys kept on stored messages for tests only (how the bot sent it); never sent to the bot.
SEND_OPTION_KEYS = ("protect_content", "disable_notification", "parse_mode")


@dataclass(eq=False)
class FakeUser:
    """A Telegram user (or the bot itself)."""

    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = "en"
    is_bot: bool = False
    #: The user pressed Start in the bot's private chat: the bot may message them.
    started: bool = True
    #: The user blocked the bot: sends to the private chat answer 403.
    blocked: bool = False

    @property
    def name(self) -> str:
        return self.first_name

    def to_dict(self) -> dict[str, Any]:
        """The ``User`` object as it appears in updates."""
        d: dict[str, Any] = {"id": self.id, "is_bot": self.is_bot, "first_name": self.first_name}
        if self.last_name:
            d["last_name"] = self.last_name
        if self.username:
            d["username"] = self.username
        if self.language_code and not self.is_bot:
            d["language_code"] = self.language_code
        return d


@dataclass(eq=False)
class FakeChat:
    """A private chat, basic group or supergroup, with its message history."""

    id: int
    type: str  # "private" | "group" | "supergroup"
    title: str | None = None
    user: FakeUser | None = None  # private chats: the other side
    is_forum: bool = False
    #: The bot's membership: "left", "member", "administrator" or "kicked".
    bot_status: str = "left"
    bot_can_delete_messages: bool = True
    #: Becomes the bot's status when it is added (``group(..., bot_is_admin=True)``).
    bot_is_admin_when_added: bool = False
    members: dict[int, str] = field(default_factory=dict)  # user id -> status
    migrated_to: int | None = None
    #: A supergroup's "hide join and leave messages": people come and go without a
    #: service message; only ``chat_member`` updates tell of it.
    hides_joins: bool = False
    history: dict[int, dict[str, Any]] = field(default_factory=dict)
    deleted: set[int] = field(default_factory=set)
    topics: set[int] = field(default_factory=set)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    @property
    def is_private(self) -> bool:
        return self.type == "private"

    @property
    def bot_is_member(self) -> bool:
        return self.is_private or self.bot_status in ("member", "administrator", "creator")

    @property
    def bot_is_admin(self) -> bool:
        return self.bot_status in ("administrator", "creator")

    @property
    def label(self) -> str:
        """Short human name: the title of a group, the first name in a private chat."""
        if self.user is not None:
            return self.user.first_name
        return self.title or str(self.id)

    def next_message_id(self) -> int:
        return next(self._ids)

    def to_dict(self) -> dict[str, Any]:
        """The ``Chat`` object as it appears in messages."""
        d: dict[str, Any] = {"id": self.id, "type": self.type}
        if self.user is not None:
            d["first_name"] = self.user.first_name
            if self.user.last_name:
                d["last_name"] = self.user.last_name
            if self.user.username:
                d["username"] = self.user.username
        else:
            d["title"] = self.title
            if self.type == "group":
                d["all_members_are_administrators"] = False
        if self.is_forum:
            d["is_forum"] = True
        return d

    def store(self, message: dict[str, Any]) -> dict[str, Any]:
        """Keep ``message`` in the history (the live, editable copy)."""
        self.history[message["message_id"]] = message
        return message

    def get(self, message_id: int) -> dict[str, Any] | None:
        """The live message, or ``None`` when it does not exist or was deleted."""
        if message_id in self.deleted:
            return None
        return self.history.get(message_id)


def public_message(message: dict[str, Any]) -> dict[str, Any]:
    """A stored message as the Bot API returns it: without the test-only keys.

    Stored messages keep ``reply_markup`` as sent (also reply keyboards) and the send
    options (``protect_content``...) so tests can assert on them; Telegram's ``Message``
    only carries inline keyboards and ``has_protected_content``.
    """
    d = {k: copy.deepcopy(v) for k, v in message.items() if k not in SEND_OPTION_KEYS}
    markup = d.get("reply_markup")
    if isinstance(markup, dict) and "inline_keyboard" not in markup:
        del d["reply_markup"]  # reply keyboards are not part of the returned Message
    reply = d.get("reply_to_message")
    if isinstance(reply, dict):
        d["reply_to_message"] = {k: v for k, v in reply.items() if k not in SEND_OPTION_KEYS}
    return d


def chat_member(user: FakeUser, status: str, *, can_delete_messages: bool = True) -> dict[str, Any]:
    """A ``ChatMember`` object of the subtype ``status`` names."""
    d: dict[str, Any] = {"user": user.to_dict(), "status": status}
    if status == "creator":
        d["is_anonymous"] = False
    elif status == "administrator":
        d.update(
            can_be_edited=False,
            is_anonymous=False,
            can_manage_chat=True,
            can_delete_messages=can_delete_messages,
            can_manage_video_chats=False,
            can_restrict_members=False,
            can_promote_members=False,
            can_change_info=False,
            can_invite_users=True,
            can_post_stories=False,
            can_edit_stories=False,
            can_delete_stories=False,
            can_pin_messages=False,
        )
    elif status in ("restricted", RESTRICTED_OUTSIDE):
        d.update(
            status="restricted",
            is_member=status == "restricted",
            until_date=0,
            **dict.fromkeys(_RESTRICTED_RIGHTS, False),
        )
    elif status == "kicked":
        d["until_date"] = 0
    return d


_RESTRICTED_RIGHTS = (
    "can_send_messages",
    "can_send_audios",
    "can_send_documents",
    "can_send_photos",
    "can_send_videos",
    "can_send_video_notes",
    "can_send_voice_notes",
    "can_send_polls",
    "can_send_other_messages",
    "can_add_web_page_previews",
    "can_react_to_messages",
    "can_edit_tag",
    "can_change_info",
    "can_invite_users",
    "can_pin_messages",
    "can_manage_topics",
)


class World:
    """Everything the fake knows about users and chats; no networking, no updates."""

    def __init__(self, bot: FakeUser) -> None:
        self.bot = bot
        self.users: dict[int, FakeUser] = {}
        self.chats: dict[int, FakeChat] = {}
        self._user_ids = itertools.count(1001)
        self._group_ids = itertools.count(1)
        self._supergroup_ids = itertools.count(1)
        # Telegram's time, which stamps every message and update: the real time unless a
        # test says otherwise (the end-to-end tests' clock, or one set apart from the bot's).
        self.clock: Callable[[], float] = time.time
        #: Privacy mode (BotFather's default, /setprivacy): in groups a non-admin bot only
        #: receives commands, replies to its own messages, mentions and service messages,
        #: and getMe says so (``can_read_all_group_messages`` is its opposite).
        self.privacy_mode = True
        self.anonymous_admin = FakeUser(
            GROUP_ANONYMOUS_BOT_ID,
            "Group",
            username="GroupAnonymousBot",
            language_code=None,
            is_bot=True,
        )

    def now(self) -> int:
        return int(self.clock())

    def user(
        self,
        name: str,
        *,
        language_code: str | None,
        username: str | None,
        last_name: str | None,
        started: bool,
    ) -> FakeUser:
        """The user called ``name``, created on first use."""
        for existing in self.users.values():
            if existing.first_name == name:
                return existing
        user = FakeUser(
            next(self._user_ids),
            name,
            last_name=last_name,
            username=username,
            language_code=language_code,
            started=started,
        )
        self.users[user.id] = user
        return user

    def private(self, user: FakeUser) -> FakeChat:
        """The private chat between ``user`` and the bot (its id is the user's id)."""
        chat = self.chats.get(user.id)
        if chat is None:
            chat = FakeChat(user.id, "private", user=user, bot_status="member")
            chat.members[user.id] = "member"
            self.chats[user.id] = chat
        return chat

    def group(
        self,
        title: str,
        *,
        supergroup: bool,
        forum: bool,
        bot_is_admin: bool,
        can_delete_messages: bool,
        hides_joins: bool = False,
    ) -> FakeChat:
        """A new group the bot is not yet a member of."""
        if forum and not supergroup:
            raise ValueError("forums are supergroups: pass supergroup=True")
        if hides_joins and not supergroup:
            raise ValueError("only supergroups hide join and leave messages")
        if supergroup:
            chat_id = -1001000000000 - next(self._supergroup_ids)
        else:
            chat_id = -4000000000 - next(self._group_ids)
        chat = FakeChat(
            chat_id,
            "supergroup" if supergroup else "group",
            title=title,
            is_forum=forum,
            bot_can_delete_messages=can_delete_messages,
            bot_is_admin_when_added=bot_is_admin,
            hides_joins=hides_joins,
        )
        self.chats[chat_id] = chat
        return chat

    def supergroup_for(self, old: FakeChat) -> FakeChat:
        """The supergroup a basic group becomes when upgraded; the old id dies."""
        new = self.group(
            old.title or "",
            supergroup=True,
            forum=False,
            bot_is_admin=old.bot_is_admin_when_added,
            can_delete_messages=old.bot_can_delete_messages,
        )
        new.bot_status = old.bot_status
        new.members = dict(old.members)
        old.migrated_to = new.id
        return new

"""The Bot API methods the fake implements, with Telegram's refusals.

Each handler takes the decoded parameters and returns the ``result`` object (shapes as
in api.json) or raises :class:`~.errors.ApiError` with Telegram's description. Content
is validated before the chat is looked at, as the real server does: a malformed message
is refused even when the chat is gone.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from .errors import ApiError, bad_request, forbidden
from .files import DOWNLOAD_LIMIT, FileStore, UploadedFile
from .flood import FloodControl
from .formatting import parse_formatted
from .keyboards import validate_reply_markup
from .updates import UpdateQueue, check_allowed_updates
from .webhooks import Webhooks
from .world import FakeChat, FakeUser, World, chat_member, public_message

Params = dict[str, Any]
Handler = Callable[[Params], Awaitable[Any]]
MessageHook = Callable[[FakeChat, dict[str, Any]], None]

NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)
QUERY_TOO_OLD = "query is too old and response timeout expired or query ID is invalid"
DELETE_WINDOW = 48 * 3600
CALLBACK_ANSWER_TEXT_MAX = 200
_COMMAND_RE = re.compile(r"[a-z0-9_]{1,32}")
_LANG_RE = re.compile(r"[a-z]{2}")
_SCOPE_FIELDS: dict[str, tuple[str, ...]] = {
    "default": (),
    "all_private_chats": (),
    "all_group_chats": (),
    "all_chat_administrators": (),
    "chat": ("chat_id",),
    "chat_administrators": ("chat_id",),
    "chat_member": ("chat_id", "user_id"),
}


@dataclass(eq=False)
class CallbackQueryRecord:
    """A button press the bot has to answer within the answer window."""

    id: str
    user: FakeUser
    chat_id: int
    message_id: int
    data: str
    pressed_at: float
    answer: dict[str, Any] | None = None


class BotApi:
    """Handlers for the implemented methods, over the shared :class:`~.world.World`."""

    def __init__(self, world: World, updates: UpdateQueue, files: FileStore) -> None:
        self.world = world
        self.updates = updates
        self.files = files
        self.flood = FloodControl()
        self.flood_control = False
        self.callback_answer_window = 15.0
        self.queries: dict[str, CallbackQueryRecord] = {}
        self.commands: dict[tuple[str, str], list[dict[str, str]]] = {}
        self.texts: dict[tuple[str, str], str] = {}  # (name|description|short_description, lang)
        self.not_modified: list[str] = []
        self.on_sent: list[MessageHook] = []
        self.on_edited: list[MessageHook] = []
        self.on_deleted: list[MessageHook] = []
        self.webhooks = Webhooks(world, updates)
        self.handlers: dict[str, Handler] = {
            "getMe": self.get_me,
            "getUpdates": self.get_updates,
            "setWebhook": self.webhooks.set_webhook,
            "deleteWebhook": self.webhooks.delete_webhook,
            "getWebhookInfo": self.webhooks.get_webhook_info,
            "sendMessage": self.send_message,
            "sendPhoto": self.send_photo,
            "sendDocument": self.send_document,
            "sendChatAction": self.send_chat_action,
            "editMessageText": self.edit_message_text,
            "editMessageCaption": self.edit_message_caption,
            "editMessageReplyMarkup": self.edit_message_reply_markup,
            "deleteMessage": self.delete_message,
            "deleteMessages": self.delete_messages,
            "answerCallbackQuery": self.answer_callback_query,
            "getChat": self.get_chat,
            "getChatMember": self.get_chat_member,
            "getChatAdministrators": self.get_chat_administrators,
            "getChatMemberCount": self.get_chat_member_count,
            "leaveChat": self.leave_chat,
            "getFile": self.get_file,
            "setMyCommands": self.set_my_commands,
            "getMyCommands": self.get_my_commands,
            "deleteMyCommands": self.delete_my_commands,
            "setMyDescription": self._setter("description", 512),
            "getMyDescription": self._getter("description"),
            "setMyShortDescription": self._setter("short_description", 120),
            "getMyShortDescription": self._getter("short_description"),
            "setMyName": self._setter("name", 64),
            "getMyName": self._getter("name"),
        }
        self.stopping: Any = None  # asyncio.Event set by the server

    # ------------------------------------------------------------------ chats

    def lookup_chat(self, chat_id: Any) -> FakeChat | None:
        """The chat a ``chat_id`` parameter names, without any access check."""
        if isinstance(chat_id, str):
            if re.fullmatch(r"-?\d+", chat_id):
                chat_id = int(chat_id)
            else:
                return None  # @usernames: the fake's chats have none
        if not isinstance(chat_id, int):
            return None
        chat = self.world.chats.get(chat_id)
        if chat is None and chat_id in self.world.users:
            chat = self.world.private(self.world.users[chat_id])
        return chat

    def chat_for(self, chat_id: Any) -> FakeChat:
        """The chat, refusing dead (migrated) and unknown ids."""
        chat = self.lookup_chat(chat_id)
        if chat is None:
            raise bad_request("chat not found")
        if chat.migrated_to is not None:
            raise bad_request(
                "group chat was upgraded to a supergroup chat", migrate_to_chat_id=chat.migrated_to
            )
        return chat

    def writable_chat(self, chat_id: Any) -> FakeChat:
        """The chat, if the bot may act in it (send, edit, delete), else Telegram's 403."""
        chat = self.chat_for(chat_id)
        if chat.is_private:
            assert chat.user is not None
            if chat.user.blocked:
                raise forbidden("bot was blocked by the user")
            if not chat.user.started:
                raise forbidden("bot can't initiate conversation with a user")
        elif chat.bot_status == "kicked":
            raise forbidden(f"bot was kicked from the {chat.type} chat")
        elif not chat.bot_is_member:
            raise forbidden(f"bot is not a member of the {chat.type} chat")
        return chat

    def _thread(self, chat: FakeChat, thread_id: Any) -> int | None:
        if thread_id is None:
            return None
        if not chat.is_forum or thread_id not in chat.topics:
            raise bad_request("message thread not found", violation=True)
        return int(thread_id)

    def _reply_target(self, chat: FakeChat, p: Params) -> dict[str, Any] | None:
        params = p.get("reply_parameters")
        if params is None and "reply_to_message_id" in p:
            params = {
                "message_id": p["reply_to_message_id"],
                "allow_sending_without_reply": p.get("allow_sending_without_reply", False),
            }
        if params is None:
            return None
        if not isinstance(params, dict) or not isinstance(params.get("message_id"), int):
            raise bad_request("invalid reply parameters", violation=True)
        where = chat
        if params.get("chat_id") not in (None, chat.id):
            where = self.chat_for(params["chat_id"])
        target = where.get(params["message_id"])
        if target is None and not params.get("allow_sending_without_reply"):
            raise bad_request("message to be replied not found")
        return target

    # --------------------------------------------------------------- sending

    def _deliver(self, p: Params, content: dict[str, Any]) -> dict[str, Any]:
        """Common part of every send method: access, thread, reply, flood, storing."""
        markup = p.get("reply_markup")
        if markup is not None:
            validate_reply_markup(markup)
        chat = self.writable_chat(p["chat_id"])
        thread = self._thread(chat, p.get("message_thread_id"))
        reply = self._reply_target(chat, p)
        if thread is None and reply is not None and chat.is_forum:
            thread = reply.get("message_thread_id")
        if self.flood_control:
            self.flood.check(chat.id, private=chat.is_private)
        message: dict[str, Any] = {
            "message_id": chat.next_message_id(),
            "from": self.world.bot.to_dict(),
            "chat": chat.to_dict(),
            "date": self.world.now(),
        }
        if thread is not None:
            message["message_thread_id"] = thread
            message["is_topic_message"] = True
        if reply is not None:
            message["reply_to_message"] = {
                k: v for k, v in public_message(reply).items() if k != "reply_to_message"
            }
        message.update(content)
        if markup is not None:
            message["reply_markup"] = markup
        if p.get("link_preview_options") is not None:
            message["link_preview_options"] = p["link_preview_options"]
        if p.get("message_effect_id"):
            message["effect_id"] = p["message_effect_id"]
        if p.get("protect_content"):
            message["has_protected_content"] = True
            message["protect_content"] = True
        if p.get("disable_notification"):
            message["disable_notification"] = True
        if p.get("parse_mode"):
            message["parse_mode"] = p["parse_mode"]
        chat.store(message)
        for hook in self.on_sent:
            hook(chat, message)
        return public_message(message)

    @staticmethod
    def _text_fields(text: str, entities: list[dict[str, Any]], key: str) -> dict[str, Any]:
        d: dict[str, Any] = {key: text} if text else {}
        if entities:
            d["entities" if key == "text" else "caption_entities"] = entities
        return d

    async def send_message(self, p: Params) -> Any:
        text, entities = parse_formatted(
            _str(p.get("text", "")), p.get("parse_mode"), p.get("entities")
        )
        return self._deliver(p, self._text_fields(text, self._mentions(entities), "text"))

    def _mentions(self, entities: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """A mention by id (``tg://user?id=``) comes back with the whole ``User``, as
        Telegram sends it; one of a user Telegram would not let the bot name (here: one
        the fake does not know) is left out, and its text stays plain."""
        resolved: list[dict[str, Any]] = []
        for entity in entities:
            if entity.get("type") == "text_mention":
                user = self.world.users.get(int(entity.get("user", {}).get("id", 0)))
                if user is None:
                    continue
                entity = {**entity, "user": user.to_dict()}
            resolved.append(entity)
        return resolved

    def _caption(self, p: Params) -> dict[str, Any]:
        if p.get("caption") is None:
            return {}
        text, entities = parse_formatted(
            _str(p["caption"]), p.get("parse_mode"), p.get("caption_entities"), caption=True
        )
        return self._text_fields(text, self._mentions(entities), "caption")

    def _input_bytes(self, value: Any, what: str) -> bytes:
        if isinstance(value, UploadedFile):
            return value.data
        if isinstance(value, str):
            stored = self.files.get(value)
            if stored is not None:
                return stored.data
            if value.startswith(("http://", "https://")):
                raise bad_request("failed to get HTTP URL content")
        raise bad_request(f"wrong file identifier/HTTP URL specified for {what}")

    async def send_photo(self, p: Params) -> Any:
        caption = self._caption(p)
        data = self._input_bytes(p.get("photo"), "photo")
        if not data:
            raise bad_request("file must be non-empty", violation=True)
        content = {"photo": self.files.photo_sizes(data), **caption}
        if p.get("has_spoiler"):
            content["has_media_spoiler"] = True
        return self._deliver(p, content)

    async def send_document(self, p: Params) -> Any:
        caption = self._caption(p)
        value = p.get("document")
        data = self._input_bytes(value, "document")
        if not data:
            raise bad_request("file must be non-empty", violation=True)
        if isinstance(value, UploadedFile):
            name, mime = value.filename, value.content_type
        else:
            name, mime = "document", None
        document = self.files.document(data, file_name=name, mime_type=mime)
        return self._deliver(p, {"document": document, **caption})

    async def send_chat_action(self, p: Params) -> Any:
        self.writable_chat(p["chat_id"])
        return True

    # ---------------------------------------------------------------- editing

    def _editable(self, p: Params) -> tuple[FakeChat, dict[str, Any]]:
        if "inline_message_id" in p:
            raise bad_request("inline messages are not supported by the fake", violation=True)
        if "chat_id" not in p or "message_id" not in p:
            raise bad_request("message identifier is not specified", violation=True)
        chat = self.writable_chat(p["chat_id"])
        message = chat.get(p["message_id"])
        if message is None:
            raise bad_request("message to edit not found")
        if message.get("from", {}).get("id") != self.world.bot.id:
            raise bad_request("message can't be edited", violation=True)
        return chat, message

    def _apply_edit(
        self, chat: FakeChat, message: dict[str, Any], changes: dict[str, Any], p: Params
    ) -> dict[str, Any]:
        markup = p.get("reply_markup")
        if markup is not None:
            validate_reply_markup(markup, inline_only=True)
        current = {k: message.get(k) for k in changes}
        if current == changes and message.get("reply_markup") == markup:
            self.not_modified.append(f"{chat.label} message {message['message_id']}")
            raise bad_request(NOT_MODIFIED)
        for key, value in changes.items():
            if value is None:
                message.pop(key, None)
            else:
                message[key] = value
        if markup is None:
            message.pop("reply_markup", None)
        else:
            message["reply_markup"] = markup
        if p.get("parse_mode"):
            message["parse_mode"] = p["parse_mode"]
        message["edit_date"] = self.world.now()
        for hook in self.on_edited:
            hook(chat, message)
        return public_message(message)

    async def edit_message_text(self, p: Params) -> Any:
        text, entities = parse_formatted(
            _str(p.get("text", "")), p.get("parse_mode"), p.get("entities")
        )
        chat, message = self._editable(p)
        if "text" not in message:
            raise bad_request("there is no text in the message to edit", violation=True)
        changes: dict[str, Any] = {"text": text, "entities": self._mentions(entities) or None}
        if "link_preview_options" in p:
            changes["link_preview_options"] = p["link_preview_options"]
        return self._apply_edit(chat, message, changes, p)

    async def edit_message_caption(self, p: Params) -> Any:
        caption = self._caption(p)
        chat, message = self._editable(p)
        if not any(k in message for k in ("photo", "document", "video", "audio", "animation")):
            raise bad_request("there is no caption in the message to edit", violation=True)
        changes = {
            "caption": caption.get("caption"),
            "caption_entities": caption.get("caption_entities"),
        }
        return self._apply_edit(chat, message, changes, p)

    async def edit_message_reply_markup(self, p: Params) -> Any:
        chat, message = self._editable(p)
        return self._apply_edit(chat, message, {}, p)

    # --------------------------------------------------------------- deleting

    def _check_deletable(self, chat: FakeChat, message: dict[str, Any]) -> None:
        own = message.get("from", {}).get("id") == self.world.bot.id
        allowed = own or chat.is_private or (chat.bot_is_admin and chat.bot_can_delete_messages)
        too_old = self.world.now() - int(message["date"]) > DELETE_WINDOW
        if not allowed or too_old:
            raise bad_request("message can't be deleted")

    def _mark_deleted(self, chat: FakeChat, message: dict[str, Any]) -> None:
        chat.deleted.add(message["message_id"])
        for hook in self.on_deleted:
            hook(chat, message)

    async def delete_message(self, p: Params) -> Any:
        chat = self.writable_chat(p["chat_id"])
        message = chat.get(p["message_id"])
        if message is None:
            raise bad_request("message to delete not found")
        self._check_deletable(chat, message)
        self._mark_deleted(chat, message)
        return True

    async def delete_messages(self, p: Params) -> Any:
        ids = p.get("message_ids")
        if not isinstance(ids, list) or not 1 <= len(ids) <= 100:
            raise bad_request("message_ids must list 1-100 message identifiers", violation=True)
        chat = self.writable_chat(p["chat_id"])
        found = [m for m in (chat.get(i) for i in ids) if m is not None]
        if not found:
            raise bad_request("message to delete not found")
        for message in found:
            self._check_deletable(chat, message)
        for message in found:
            self._mark_deleted(chat, message)
        return True

    # --------------------------------------------------------------- callbacks

    async def answer_callback_query(self, p: Params) -> Any:
        text = p.get("text")
        if isinstance(text, str) and len(text) > CALLBACK_ANSWER_TEXT_MAX:
            raise bad_request("MESSAGE_TOO_LONG", violation=True)
        record = self.queries.get(str(p.get("callback_query_id")))
        if record is None:
            raise ApiError(400, f"Bad Request: {QUERY_TOO_OLD}", violation=True)
        if record.answer is not None:
            raise ApiError(
                400,
                f"Bad Request: {QUERY_TOO_OLD} (the query was already answered)",
                violation=True,
            )
        late = time.monotonic() - record.pressed_at
        if late > self.callback_answer_window:
            raise ApiError(
                400,
                f"Bad Request: {QUERY_TOO_OLD} (answered {late:.1f} s after the press)",
                violation=True,
            )
        record.answer = {k: v for k, v in p.items() if k != "callback_query_id"}
        return True

    # ------------------------------------------------------------ chat info

    async def get_chat(self, p: Params) -> Any:
        chat = self.chat_for(p["chat_id"])
        if not chat.is_private and not chat.bot_is_member:
            raise bad_request("chat not found")
        info = chat.to_dict()
        info.pop("all_members_are_administrators", None)
        info.update(
            accent_color_id=0,
            max_reaction_count=11,
            accepted_gift_types={
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        )
        return info

    def status_of(self, chat: FakeChat, user_id: int) -> tuple[FakeUser, str]:
        if user_id == self.world.bot.id:
            return self.world.bot, ("member" if chat.is_private else chat.bot_status)
        user = self.world.users.get(user_id)
        if user is None:
            raise bad_request("user not found")
        if chat.is_private:
            return user, "member" if user.id == chat.id else "left"
        return user, chat.members.get(user.id, "left")

    async def get_chat_member(self, p: Params) -> Any:
        chat = self.chat_for(p["chat_id"])
        if not chat.is_private and not chat.bot_is_member:
            raise forbidden(f"bot is not a member of the {chat.type} chat")
        user, status = self.status_of(chat, p["user_id"])
        can_delete = chat.bot_can_delete_messages if user is self.world.bot else True
        return chat_member(user, status, can_delete_messages=can_delete)

    async def get_chat_administrators(self, p: Params) -> Any:
        chat = self.chat_for(p["chat_id"])
        if chat.is_private:
            raise bad_request("there are no administrators in the private chat")
        if not chat.bot_is_member:
            raise forbidden(f"bot is not a member of the {chat.type} chat")
        admins = [
            chat_member(self.world.users[uid], status)
            for uid, status in chat.members.items()
            if status in ("creator", "administrator") and uid in self.world.users
        ]
        if chat.bot_is_admin:
            admins.append(
                chat_member(
                    self.world.bot,
                    "administrator",
                    can_delete_messages=chat.bot_can_delete_messages,
                )
            )
        return admins

    async def get_chat_member_count(self, p: Params) -> Any:
        chat = self.chat_for(p["chat_id"])
        if chat.is_private:
            return 2
        present = ("creator", "administrator", "member", "restricted")
        return sum(1 for s in chat.members.values() if s in present) + int(chat.bot_is_member)

    async def leave_chat(self, p: Params) -> Any:
        chat = self.writable_chat(p["chat_id"])
        if chat.is_private:
            raise bad_request("chat member status can't be changed in private chats")
        old = chat_member(self.world.bot, chat.bot_status)
        chat.bot_status = "left"
        self.updates.push(
            "my_chat_member",
            {
                "chat": chat.to_dict(),
                "from": self.world.bot.to_dict(),
                "date": self.world.now(),
                "old_chat_member": old,
                "new_chat_member": chat_member(self.world.bot, "left"),
            },
        )
        return True

    # ------------------------------------------------------------------ files

    async def get_file(self, p: Params) -> Any:
        stored = self.files.get(str(p["file_id"]))
        if stored is None:
            raise bad_request("invalid file_id")
        if len(stored.data) > DOWNLOAD_LIMIT:
            raise bad_request("file is too big")
        return stored.file_object()

    # -------------------------------------------------------------- bot setup

    async def get_me(self, p: Params) -> Any:
        return self.world.bot.to_dict() | {
            "can_join_groups": True,
            "can_read_all_group_messages": not self.world.privacy_mode,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def get_updates(self, p: Params) -> Any:
        self.webhooks.refuse_polling()
        return await self.updates.get(
            offset=p.get("offset"),
            limit=p.get("limit"),
            poll_timeout=p.get("timeout"),
            allowed_updates=check_allowed_updates(p.get("allowed_updates")),
            stopping=self.stopping,
        )

    @staticmethod
    def _language(p: Params) -> str:
        lang = p.get("language_code") or ""
        if not isinstance(lang, str) or (lang and not _LANG_RE.fullmatch(lang)):
            raise bad_request("LANG_CODE_INVALID", violation=True)
        return lang

    def _scope_key(self, scope: Any) -> str:
        scope = {"type": "default"} if scope is None else scope
        if not isinstance(scope, dict) or scope.get("type") not in _SCOPE_FIELDS:
            raise bad_request("unsupported bot command scope type", violation=True)
        needed = _SCOPE_FIELDS[scope["type"]]
        extra = set(scope) - {"type", *needed}
        if extra or any(f not in scope for f in needed):
            raise bad_request(
                f"bot command scope {scope['type']!r} needs exactly {needed or 'no fields'}",
                violation=True,
            )
        if "chat_id" in scope:
            chat = self.chat_for(scope["chat_id"])
            if scope["type"] != "chat" and chat.is_private:
                raise bad_request("can't use this scope in a private chat", violation=True)
        return json.dumps(scope, sort_keys=True)

    async def set_my_commands(self, p: Params) -> Any:
        commands = p.get("commands")
        if not isinstance(commands, list) or not commands:
            raise bad_request("commands must be a non-empty list", violation=True)
        if len(commands) > 100:
            raise bad_request("BOT_COMMANDS_TOO_MUCH", violation=True)
        seen: set[str] = set()
        for command in commands:
            name = command.get("command") if isinstance(command, dict) else None
            description = command.get("description") if isinstance(command, dict) else None
            if not isinstance(name, str) or not _COMMAND_RE.fullmatch(name) or name in seen:
                raise bad_request("BOT_COMMAND_INVALID", violation=True)
            if not isinstance(description, str) or not 1 <= len(description) <= 256:
                raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID", violation=True)
            seen.add(name)
        key = (self._scope_key(p.get("scope")), self._language(p))
        self.commands[key] = [
            {"command": c["command"], "description": c["description"]} for c in commands
        ]
        return True

    async def get_my_commands(self, p: Params) -> Any:
        key = (self._scope_key(p.get("scope")), self._language(p))
        return [dict(c) for c in self.commands.get(key, [])]

    async def delete_my_commands(self, p: Params) -> Any:
        key = (self._scope_key(p.get("scope")), self._language(p))
        self.commands.pop(key, None)
        return True

    def _setter(self, field_name: str, limit: int) -> Handler:
        async def handler(p: Params) -> Any:
            value = p.get(field_name) or ""
            if not isinstance(value, str) or len(value) > limit:
                raise bad_request(
                    f"{field_name} must be at most {limit} characters", violation=True
                )
            self.texts[(field_name, self._language(p))] = value
            return True

        return handler

    def _getter(self, field_name: str) -> Handler:
        async def handler(p: Params) -> Any:
            lang = self._language(p)
            value = self.texts.get((field_name, lang)) or self.texts.get((field_name, ""), "")
            return {field_name: value}

        return handler


def _str(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)

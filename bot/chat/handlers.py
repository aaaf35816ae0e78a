"""Which handler answers what. For every update, an update taken before is dropped first
(group -3), the clock watch runs next (group -2), then the gate (group -1)."""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.chat import (
    admin,
    buttons,
    codes,
    decisions,
    freeze,
    groups,
    intake,
    language,
    members,
    policy,
    rotation,
    secrets,
    sms,
    start,
    status,
)
from bot.chat.buttons import Kind, pattern
from bot.chat.failures import on_error
from bot.chat.gate import gate
from bot.chat.once import once

GATE_GROUP = -1
# Before the gate, which may stop an update: every update's date is compared with the clock.
CLOCK_GROUP = -2
# Before everything: an update delivered twice (or to two replicas) is handled once.
ONCE_GROUP = -3


def register(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    application.add_handler(TypeHandler(Update, once), group=ONCE_GROUP)
    application.add_handler(TypeHandler(Update, status.watch_clock), group=CLOCK_GROUP)
    application.add_handler(TypeHandler(Update, gate), group=GATE_GROUP)
    commands = {
        "start": start.start_command,
        "help": start.help_command,
        "claim": start.claim_command,
        "cancel": start.cancel_command,
        "code": codes.code_command,
        "accounts": codes.accounts_command,
        "add": members.add_command,
        "revoke": members.revoke_command,
        "promote": members.promote_command,
        "demote": members.demote_command,
        "members": members.members_command,
        "secret": secrets.secret_command,
        "approve": groups.approve_command,
        "unapprove": groups.unapprove_command,
        "roster": groups.roster_command,
        "notify": admin.notify_command,
        "audit": admin.audit_command,
        "status": status.status_command,
        "policy": policy.policy_command,
        "lock": freeze.lock_command,
        "unlock": freeze.unlock_command,
        "lang": language.lang_command,
        "sms": sms.sms_command,
    }
    for name, callback in commands.items():
        application.add_handler(CommandHandler(name, callback))
    presses = {
        codes.pick_pressed: pattern(Kind.PICK),
        codes.page_pressed: pattern(Kind.PAGE),
        secrets.remove_pressed: pattern(Kind.REMOVE, Kind.KEEP),
        secrets.export_pressed: pattern(Kind.EXPORT, Kind.NO_EXPORT),
        members.add_pressed: pattern(Kind.ADD, Kind.ADD_FOR, Kind.NO_ADD),
        rotation.rotation_pressed: pattern(Kind.ROTATE, Kind.NO_ROTATE, Kind.ROTATE_CODE),
        decisions.decision_pressed: pattern(Kind.APPROVE, Kind.APPROVE_HOUR, Kind.DENY),
        sms.wait_pressed: pattern(Kind.SMS_WAIT),
    }
    for on_press, kinds in presses.items():
        application.add_handler(CallbackQueryHandler(on_press, pattern=kinds))
    # Any other press (a forged one, or a button of an older version): "expired".
    application.add_handler(CallbackQueryHandler(buttons.unknown_pressed))
    application.add_handler(
        MessageHandler(
            filters.ChatType.PRIVATE & filters.TEXT & ~filters.COMMAND, secrets.answer_sent
        )
    )
    # The reason a held code request needs, given by a reply to the bot's question.
    application.add_handler(
        MessageHandler(
            filters.ChatType.GROUPS & filters.TEXT & filters.REPLY & ~filters.COMMAND,
            decisions.reason_replied,
        )
    )
    application.add_handler(
        MessageHandler(
            filters.ChatType.PRIVATE & (filters.PHOTO | filters.Document.ALL),
            intake.image_received,
        )
    )
    application.add_handler(
        ChatMemberHandler(groups.membership_changed, ChatMemberHandler.MY_CHAT_MEMBER)
    )
    application.add_handler(ChatMemberHandler(groups.member_changed, ChatMemberHandler.CHAT_MEMBER))
    application.add_handler(MessageHandler(filters.StatusUpdate.MIGRATE, groups.migrated))
    application.add_handler(
        MessageHandler(filters.StatusUpdate.LEFT_CHAT_MEMBER, groups.member_left)
    )
    application.add_error_handler(on_error)

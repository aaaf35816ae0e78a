"""The command table: who may use each command and where. The gate, the help text and
the menu registered with Telegram all read it, so they cannot disagree."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from telegram import BotCommand

from bot.messages import CHINESE, ENGLISH, text
from bot.rules.model import Role


class Where(Enum):
    ANY = "any"
    PRIVATE = "private"
    GROUP = "group"


@dataclass(frozen=True)
class Command:
    name: str
    role: Role | None  # None: anyone (the domain decides, e.g. /code answers strangers itself)
    where: Where = Where.ANY
    in_menu: bool = True


COMMANDS: tuple[Command, ...] = (
    Command("start", None),
    Command("help", None),
    Command("code", None),
    Command("accounts", Role.MEMBER),
    Command("add", Role.ADMIN),
    Command("revoke", Role.ADMIN),
    Command("members", Role.ADMIN, Where.PRIVATE),
    Command("secret", Role.ADMIN, Where.PRIVATE),
    Command("approve", Role.ADMIN, Where.GROUP),
    Command("unapprove", Role.ADMIN, Where.GROUP),
    Command("roster", Role.ADMIN, Where.GROUP),
    Command("notify", Role.ADMIN, Where.PRIVATE),
    Command("audit", Role.ADMIN, Where.PRIVATE),
    Command("policy", Role.ADMIN, Where.PRIVATE),
    Command("lock", Role.ADMIN),
    Command("unlock", Role.ADMIN),
    Command("status", Role.ADMIN, Where.PRIVATE),
    Command("promote", Role.OWNER),
    Command("demote", Role.OWNER),
    Command("cancel", None),
    Command("lang", None),
    Command("sms", Role.MEMBER),
    Command("claim", None, Where.PRIVATE, in_menu=False),
)

BY_NAME = {command.name: command for command in COMMANDS}


def menu(lang: str) -> list[BotCommand]:
    return [BotCommand(c.name, text(lang, f"cmd.{c.name}")) for c in COMMANDS if c.in_menu]


MENU_LANGUAGES = {None: ENGLISH, "zh": CHINESE}

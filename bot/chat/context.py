"""The typed context every handler receives (see PTB's contexttypesbot example)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, tzinfo
from typing import Any, cast

from telegram.ext import CallbackContext, ExtBot

from bot.chat.flood import Patience
from bot.chat.health import Health
from bot.rules.alarms import Alarms
from bot.rules.clock import Clock
from bot.rules.services import Services


@dataclass(frozen=True)
class Runtime:
    """What the composition root hands the bot layer."""

    services: Services
    clock: Clock
    code_ttl: int
    # Which failures the owners were told of (bot.chat.failures).
    alarms: Alarms
    # Who may have a question open (bot.chat.pending): never fewer than the store holds, so
    # a command from anyone else ends nothing and costs no database read.
    asked: set[int] = field(default_factory=set)
    # Whether other replicas share the store: then `asked` cannot know of the questions
    # they asked, and the store is read every time.
    shared: bool = False
    health: Health = field(default_factory=Health)
    # The team's time zone (TEAMOTP_TIMEZONE): what /audit and /members show times in.
    zone: tzinfo = UTC
    # How the team's spare phone reaches the SMS relay (TEAMOTP_HTTP_URL, or the webhook's
    # site): what `/sms add` shows; None: the admin is told to fill it in.
    sms_url: str | None = None
    # Whether a server takes the phone's posts at all (webhook mode, or TEAMOTP_HTTP_PORT).
    sms_listening: bool = False


class BotContext(CallbackContext[ExtBot[Patience], dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    # The language the sender chose with /lang, which the gate reads for each update
    # (python-telegram-bot makes one context per update, for all its handlers).
    spoken: str | None = None

    @property
    def runtime(self) -> Runtime:
        return cast(Runtime, self.bot_data["runtime"])

    @property
    def services(self) -> Services:
        return self.runtime.services

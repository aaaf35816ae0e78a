"""The composition root: builds the rules and the Telegram application over an opened
store, and runs them. `teamotp run` and the tests both start the bot here."""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import time
from typing import Any
from urllib.parse import urlsplit

from telegram import BotCommandScopeDefault, LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import Application, ApplicationBuilder, ContextTypes, Defaults

from bot.chat import pending
from bot.chat.chainhead import HeadSchedule, post_chain_head
from bot.chat.commands import MENU_LANGUAGES, menu
from bot.chat.connection import BotApiRequest, Outage, WatchedRequest, polling_failed
from bot.chat.context import BotContext, Runtime
from bot.chat.decisions import expire_requests
from bot.chat.expiry import end_grants
from bot.chat.flood import TIMEDELTA_SWITCH, ChatRateLimiter
from bot.chat.handlers import register
from bot.chat.health import Health
from bot.chat.notifier import TelegramNotifier, send_digests
from bot.chat.ordering import ChatOrderedProcessor
from bot.chat.rotation import expire_rotations
from bot.chat.sms import tidy_relays
from bot.chat.status import check_secrets
from bot.chat.sweeper import SWEEP_INTERVAL, sweep
from bot.chat.timed import every
from bot.chat.worker import offload
from bot.messages import CHINESE, ENGLISH, plain, text
from bot.rules.alarms import Alarms
from bot.rules.clock import Clock
from bot.rules.outbox import Outbox
from storage.store import Store
from teamotp import __version__
from teamotp.config import ConfigError, Settings
from teamotp.connecting import connect
from teamotp.healthcheck import TIMEOUT as HEALTH_TIMEOUT
from teamotp.healthcheck import DatabaseCheck
from teamotp.logs import redact
from teamotp.webhook import WebhookServer, set_webhook
from teamotp.wiring import StartupError, build_rules

logger = logging.getLogger(__name__)

BotApplication = Application[Any, BotContext, Any, Any, Any, Any]

# What the bot asks Telegram for. Edited messages are read only to delete a secret edited
# into a message (the gate runs no command for them). `chat_member` (others joining and
# leaving; Telegram sends it only where the bot is an admin) is how leaving a roster group
# ends a person's access.
ALLOWED_UPDATES = [
    Update.MESSAGE,
    Update.EDITED_MESSAGE,
    Update.CALLBACK_QUERY,
    Update.MY_CHAT_MEMBER,
    Update.CHAT_MEMBER,
]
POLL_TIMEOUT = 10


def build_application(
    settings: Settings,
    store: Store,
    *,
    clock: Clock = time.time,
    sweep_interval: float = SWEEP_INTERVAL,
    health_timeout: float = HEALTH_TIMEOUT,
) -> BotApplication:
    """The bot, ready to `serve`: `teamotp run` and the end-to-end tests both build it here.

    In webhook mode it has no updater: the webhook server puts the updates Telegram posts
    on the application's queue."""
    # PTB's time periods as `timedelta`, the form its next major version keeps: the flood
    # control reads them so, and PTB stops warning of the change at every 429.
    os.environ[TIMEDELTA_SWITCH] = "true"
    try:
        token = settings.require_token()
        webhook = settings.require_webhook() if settings.mode == "webhook" else None
    except ConfigError as error:
        raise StartupError(error.key, **error.params) from None
    redact([token, webhook.secret.get()] if webhook is not None else [token])
    builder = (
        ApplicationBuilder()
        .token(token)
        .base_url(f"{settings.api_url}/bot")
        .base_file_url(f"{settings.api_url}/file/bot")
        .context_types(ContextTypes(context=BotContext))
        .defaults(
            Defaults(
                parse_mode=ParseMode.HTML,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            )
        )
        # Flood control and slow replies hold up only the chat they concern.
        .rate_limiter(ChatRateLimiter(overall_per_second=settings.sends_per_second))
        .concurrent_updates(ChatOrderedProcessor())
        .request(BotApiRequest())
        .post_init(_on_start)
        .post_stop(_on_stop)
    )
    if webhook is None:
        builder = builder.get_updates_request(
            WatchedRequest(
                Outage(),
                read_timeout=POLL_TIMEOUT + 10,
                # Stopping cancels the poll in flight, whose connection may take a while to
                # be given back; the last call that confirms the fetched updates needs one
                # of its own.
                connection_pool_size=2,
            )
        )
    else:
        builder = builder.updater(None)
    application: BotApplication = builder.build()
    # Each start is a new holder of the notices it sends (bot.rules.outbox).
    outbox = Outbox(store, clock, holder=secrets.token_hex(8))
    notifier = TelegramNotifier(application.bot, clock, outbox, zone=settings.timezone)
    services = build_rules(settings, store, notifier, clock)
    application.bot_data["runtime"] = Runtime(
        services=services,
        clock=clock,
        code_ttl=settings.code_ttl,
        health=Health(started_at=clock(), version=__version__, database=store.dialect),
        alarms=Alarms(clock),
        shared=store.shared,
        zone=settings.timezone,
        sms_url=sms_url(settings),
        sms_listening=settings.listener is not None,
    )
    application.bot_data["notifier"] = notifier
    application.bot_data["sweep_interval"] = sweep_interval
    if settings.audit_chat_id is not None:
        application.bot_data["chain_head"] = HeadSchedule(settings.audit_chat_id)
    listener = settings.listener
    if listener is not None:
        application.bot_data["webhook"] = WebhookServer(
            application, webhook, DatabaseCheck(store, timeout=health_timeout), listen=listener
        )
    register(application)
    return application


def sms_url(settings: Settings) -> str | None:
    """How the spare phone reaches the bot: TEAMOTP_HTTP_URL, else the webhook's site."""
    if settings.http_url is not None:
        return settings.http_url
    if settings.mode == "webhook" and settings.webhook_url is not None:
        parts = urlsplit(settings.webhook_url)
        return f"{parts.scheme}://{parts.netloc}"
    return None


# The other timed duties look once every this many sweeps.
TIDY_EVERY = 4


async def _on_start(application: BotApplication) -> None:
    runtime: Runtime = application.bot_data["runtime"]
    notifier: TelegramNotifier = application.bot_data["notifier"]
    notifier.start(asyncio.get_running_loop())
    await pending.recall(runtime)
    claim_code = await offload(runtime.services.bootstrap.start)
    if claim_code is not None:
        # In both languages: /help sends a Chinese owner to this log, and the server's
        # locale says nothing of who reads it.
        for lang in (ENGLISH, CHINESE):
            said = text(lang, "claim.log", code=claim_code, bot=application.bot.username)
            logger.warning("%s", plain(said))
    await check_secrets(application.bot, runtime)
    for language_code, lang in MENU_LANGUAGES.items():
        try:
            await application.bot.set_my_commands(
                menu(lang), scope=BotCommandScopeDefault(), language_code=language_code
            )
        except TelegramError as failure:
            logger.warning("could not register the command menu: %s", type(failure).__name__)
    assert application.job_queue is not None  # noqa: S101 - the job-queue extra is a dependency
    interval: float = application.bot_data["sweep_interval"]
    job_queue = application.job_queue
    # A dead code should vanish promptly; the rest is told, not enforced (a grant, a change
    # or a request is over the moment it ends, whenever it is tidied), so it is looked at
    # less often: an idle bot then wakes its store a few times a second, not ten.
    every(job_queue, interval, sweep)
    tidy = interval * TIDY_EVERY
    # expire_requests: code requests nobody decided in time (also those that ran out while
    # the bot was down).
    for duty in (end_grants, send_digests, expire_rotations, expire_requests, tidy_relays):
        every(job_queue, tidy, duty)
    if "chain_head" in application.bot_data:
        every(job_queue, tidy, post_chain_head)


async def _on_stop(application: BotApplication) -> None:
    notifier: TelegramNotifier = application.bot_data["notifier"]
    await notifier.drain()


async def serve(application: BotApplication, stop: asyncio.Event) -> None:
    """Long polling, or the webhook server, until `stop` is set; returns once everything
    has shut down.

    The same steps, in the same order, as PTB's `run_polling`, which cannot be used
    here because it owns the event loop and the signal handlers."""
    if not await connect(application, stop):
        return
    server: WebhookServer | None = application.bot_data.get("webhook")
    try:
        if application.post_init is not None:  # only run_polling calls it by itself
            await application.post_init(application)
        if server is None or server.webhook is None:
            assert application.updater is not None  # noqa: S101
            await application.updater.start_polling(
                timeout=POLL_TIMEOUT,
                allowed_updates=ALLOWED_UPDATES,
                error_callback=polling_failed,
            )
            await application.start()
            if server is not None:
                await server.start()
                logger.info(
                    "teamotp is running as @%s (SMS relay on %s:%d)",
                    application.bot.username,
                    *server.listen,
                )
            else:
                logger.info("teamotp is running as @%s", application.bot.username)
        else:
            await application.start()
            await server.start()
            if not await set_webhook(application, server.webhook, ALLOWED_UPDATES, stop):
                return
            logger.info(
                "teamotp is running as @%s (webhook on %s:%d)",
                application.bot.username,
                *server.listen,
            )
        await stop.wait()
    finally:
        if server is not None:  # first: every update answered 200 is handled below
            server.stop_listening()
        _stop_waiting(application)
        if application.updater is not None and application.updater.running:
            await application.updater.stop()
        if application.running:
            await application.stop()
            if application.post_stop is not None:
                await application.post_stop(application)
        if server is not None:
            await server.close()
        await application.shutdown()


def _stop_waiting(application: BotApplication) -> None:
    """Shutdown waits for the updates in hand: from now on none waits for its chat's turn
    or for Telegram's flood control, so a flood in progress cannot hold the bot up."""
    processor = application.update_processor
    if isinstance(processor, ChatOrderedProcessor):
        processor.close()
    limiter = application.bot.rate_limiter
    if isinstance(limiter, ChatRateLimiter):
        limiter.close()

"""/sms wait|add|list|remove|rotate|changes, the "waiting for an SMS code" button under a
code's reply, and the posts of the team's spare phone (`relay_post`, called by the HTTP
server in `teamotp`).

An SMS code goes to one person, in private, protected from forwarding, and is deleted
when its hold ends: a group never sees one.
"""

from __future__ import annotations

import logging
from datetime import tzinfo
from typing import Any

from telegram import Chat, Update
from telegram.error import TelegramError
from telegram.ext import Application

from bot.chat import buttons
from bot.chat.buttons import Kind
from bot.chat.context import BotContext
from bot.chat.delivery import delete_later
from bot.chat.failures import user_errors
from bot.chat.people import lang, person, place
from bot.chat.replies import reply
from bot.chat.worker import offload
from bot.messages import Html, language_for, plain, text
from bot.rules.clock import stamped, utc
from bot.rules.model import Person, SmsCode
from bot.rules.relays import WAIT_FOR, Given, NewRelay, SmsDelivery, Status
from bot.rules.smsposts import read_post

logger = logging.getLogger(__name__)

# Every path the phone may post to starts so (`teamotp.webhook` serves it).
SMS_PATH = "/sms/"
# What the phone is answered on success: SmsForwarder's "success keyword" is set to it.
SUCCESS_WORD = "ok"
_ADMIN_ACTIONS = frozenset({"add", "list", "remove", "rotate", "changes"})


@user_errors
async def sms_command(update: Update, context: BotContext) -> None:
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    args = context.args or []
    action = args[0].lower() if args else ""
    who, lng = person(user), lang(update, context)
    relays = context.services.relays
    private = message.chat.type == Chat.PRIVATE
    if action in _ADMIN_ACTIONS and not private:
        # An address and a secret are never shown in a group, nor the relays listed there.
        await reply(update, text(lng, "access.private_only"))
        return
    if action == "wait" and len(args) >= 2:
        result = await offload(relays.wait, who, place(message.chat), " ".join(args[1:]))
        if isinstance(result, Given):
            if not await _hand_over(context, who, result.code, lng):
                await reply(update, text(lng, "sms.start_first", bot=context.bot.username))
            elif not private:
                await reply(update, text(lng, "sms.sent_private", name=result.code.account.name))
        else:
            minutes = round(WAIT_FOR / 60)
            if private:
                said = text(lng, "sms.waiting", name=result.account, minutes=minutes)
            else:
                said = text(
                    lng,
                    "sms.waiting_group",
                    name=result.account,
                    minutes=minutes,
                    bot=context.bot.username,
                )
            await reply(update, said)
    elif action == "add" and len(args) == 2:
        created = await offload(relays.add, who, args[1])
        await reply(update, setup(lng, created, context, rotated=False), protect=True)
    elif action == "rotate" and len(args) == 2:
        created = await offload(relays.rotate, who, args[1])
        await reply(update, setup(lng, created, context, rotated=True), protect=True)
    elif action == "remove" and len(args) == 2:
        name = await offload(relays.remove, who, args[1])
        await reply(update, text(lng, "sms.removed", name=name))
    elif action == "changes" and len(args) == 3 and args[2].lower() in ("on", "off"):
        on = args[2].lower() == "on"
        name = await offload(relays.allow_changes, who, args[1], on)
        await reply(update, text(lng, "sms.changes_on" if on else "sms.changes_off", name=name))
    elif action == "list" and len(args) == 1:
        found = await offload(relays.listing, who)
        if not found:
            await reply(update, text(lng, "sms.list_empty"))
            return
        zone = context.runtime.zone
        lines = [text(lng, "sms.list_header")]
        for relay in found:
            last = (
                stamped_at(relay.last_received_at, zone)
                if relay.last_received_at is not None
                else text(lng, "sms.never")
            )
            lines.append(
                text(
                    lng,
                    "sms.list_line",
                    name=relay.account,
                    last=last,
                    changes=text(lng, "sms.changes_yes" if relay.changes else "sms.changes_no"),
                )
            )
        await reply(update, Html("\n".join(lines)))
    else:
        await reply(update, text(lng, "sms.usage"))


@user_errors
async def wait_pressed(update: Update, context: BotContext) -> None:
    """The button under a code's reply: wait for the account's SMS code, privately."""
    query, user = update.callback_query, update.effective_user
    press = await buttons.read(update, context, Kind.SMS_WAIT)
    if press is None or query is None or user is None:
        return
    lng = lang(update, context)
    result = await offload(
        context.services.relays.wait, person(user), place(press.message.chat), press.subject
    )
    if isinstance(result, Given):
        if await _hand_over(context, person(user), result.code, lng):
            await query.answer()
        else:
            said = text(lng, "sms.start_first", bot=context.bot.username)
            await query.answer(plain(said), show_alert=True)
        return
    minutes = round(WAIT_FOR / 60)
    await query.answer(
        plain(text(lng, "sms.press_waiting", name=result.account, minutes=minutes)),
        show_alert=True,
    )


def setup(lng: str, created: NewRelay, context: BotContext, *, rotated: bool) -> Html:
    """The relay's address and secret, with the steps on the phone (all of them for a new
    relay, the two that change for a rotated one)."""
    base = context.runtime.sms_url or text(lng, "sms.address_unknown")
    values: dict[str, object] = {
        "name": created.account,
        "url": f"{base}{SMS_PATH}{created.path_id}",
        "secret": created.secret,
        "template": TEMPLATE,
        "success": SUCCESS_WORD,
    }
    shown = text(lng, "sms.rotated" if rotated else "sms.added", **values)
    if not context.runtime.sms_listening:
        # Set up in chat before the server: the steps stand, the operator is told what to do.
        shown = Html(shown + "\n\n" + text(lng, "sms.no_listener"))
    return shown


# SmsForwarder's webhook template: its `[from]`, `[org_content]`, `[timestamp]`, `[sign]`
# and `[device_mark]` are filled by the app for each SMS.
TEMPLATE = (
    '{"from":"[from]","text":"[org_content]","ts":"[timestamp]",'
    '"sign":"[sign]","device":"[device_mark]"}'
)


async def tidy_relays(context: BotContext) -> None:
    """The repeating job that drops held codes nobody asked for and ends waits (the rules
    tell)."""
    await offload(context.services.relays.tidy)


async def relay_post(
    application: Application[Any, Any, Any, Any, Any, Any],
    path_id: str,
    content_type: str | None,
    body: bytes,
    authorization: str | None,
) -> Status:
    """One post of the phone: read, checked and relayed by the rules; the code, if it
    goes to someone now, sent to them here. What the phone is answered."""
    context = BotContext(application)
    relays = context.services.relays
    post = await offload(read_post, content_type, body, authorization)
    receipt = await offload(relays.receive, path_id, post, body)
    if receipt.delivery is not None:
        await _deliver(context, receipt.delivery)
    return receipt.status


async def _deliver(context: BotContext, delivery: SmsDelivery) -> None:
    lng = language_for(delivery.to.language_code)
    try:
        await _send(context, delivery.to.chat_id, delivery.code, lng)
    except TelegramError as failure:
        logger.warning("could not send an SMS code to its member: %s", type(failure).__name__)
        await offload(context.services.relays.delivered, delivery, False)
    else:
        await offload(context.services.relays.delivered, delivery, True)


async def _hand_over(context: BotContext, who: Person, code: SmsCode, lng: str) -> bool:
    """A kept code, to the person who asked, in private; False when Telegram would not
    take it (no private chat yet, or blocked): the code is kept again."""
    try:
        await _send(context, who.id, code, lng)
    except TelegramError as failure:
        logger.info("could not send a kept SMS code: %s", type(failure).__name__)
        await offload(context.services.relays.undelivered, who, code)
        return False
    return True


async def _send(context: BotContext, chat_id: int, code: SmsCode, lng: str) -> None:
    body = text(
        lng,
        "sms.code",
        account=code.account.name,
        code=code.code,
        time=stamped_at(code.received_at, context.runtime.zone),
    )
    if code.for_change:
        body = Html(body + text(lng, "sms.code_for_change"))
    sent = await context.bot.send_message(chat_id, body, protect_content=True)
    await delete_later(context, [sent], code.until)


def stamped_at(moment: float, zone: tzinfo) -> str:
    return stamped(utc(moment), zone)

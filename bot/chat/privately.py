"""Codes of accounts delivered in private (`bot.rules.deliveries`), asked for in a group.

The code goes to the requester's private chat and the group gets a short note. Telegram
answers 403 for a person who never pressed Start in the bot's chat, or blocked it: the
group then gets a button that opens the private chat with a one-time token, and the code
follows once they press Start (`redeem`). Nothing is told to the admins as granted
before the code arrived.
"""

from __future__ import annotations

import logging

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import Forbidden, TelegramError

from bot.chat.context import BotContext
from bot.chat.delivery import Destination, say, send_code
from bot.chat.people import lang, person
from bot.chat.render import error
from bot.chat.replies import reply
from bot.chat.worker import offload
from bot.messages import text
from bot.rules.deliveries import LIFETIME, sent_privately
from bot.rules.errors import TeamOtpError
from bot.rules.model import GrantedCode, IssuedCode, Person, Place

logger = logging.getLogger(__name__)


async def deliver(
    context: BotContext, asked_in: Destination, granted: GrantedCode, lng: str, who: Person
) -> None:
    """The code to `who` in private, asked for in the group `asked_in`."""
    try:
        await _send(context, granted, lng, who)
    except Forbidden:
        await _offer_link(context, asked_in, granted, lng, who)
        return
    note = text(lng, "deliver.sent_privately", name=who.full_name)
    try:
        await say(context, asked_in, note)
    except TelegramError as failure:
        # The code arrived; the note is a courtesy to the group.
        logger.warning("could not tell the group a code went private: %s", type(failure).__name__)


async def redeem(update: Update, context: BotContext, token: str) -> None:
    """`/start <token>` in private: the code deferred behind the token, or why not."""
    user = update.effective_user
    if user is None:
        return
    who, lng = person(user), lang(update, context)
    try:
        granted = await offload(context.services.deliveries.redeem, who, token)
    except TeamOtpError as refused:
        await reply(update, error(lng, refused))
        return
    try:
        await _send(context, granted, lng, who)
    except Forbidden:
        # They blocked the bot again right after pressing Start.
        await offload(context.services.codes.tell, sent_privately(granted), delivered=False)
        raise


async def _send(context: BotContext, granted: GrantedCode, lng: str, who: Person) -> None:
    """The code in `who`'s private chat, then "granted" to the admins, or "not delivered"
    when Telegram would not take it. A 403 is told nothing: the caller decides."""
    place = Place(who.id, private=True)

    async def renew(issued: IssuedCode) -> IssuedCode:
        return await offload(context.services.codes.renew, who, place, issued)

    told = sent_privately(granted)
    try:
        await send_code(
            context, Destination(who.id, private=True), granted.issued, lng, renew=renew
        )
    except Forbidden:
        raise
    except Exception:
        await offload(context.services.codes.tell, told, delivered=False)
        raise
    await offload(context.services.codes.tell, told, delivered=True)


async def _offer_link(
    context: BotContext, asked_in: Destination, granted: GrantedCode, lng: str, who: Person
) -> None:
    """The bot may not write to `who` yet: a button in the group opens the private chat,
    and its Start hands out the code. The button goes when the link stops working."""
    deferral = await offload(context.services.deliveries.defer, granted, who)
    url = f"https://t.me/{context.bot.username}?start={deferral.token}"
    markup = InlineKeyboardMarkup([[InlineKeyboardButton(text(lng, "deliver.open_chat"), url=url)]])
    body = text(
        lng,
        "deliver.start_first",
        name=who.full_name,
        account=granted.issued.account.name,
        minutes=round(LIFETIME / 60),
    )
    sent = await say(context, asked_in, body, markup=markup)
    await offload(
        context.services.cleanup.schedule, [(sent.chat_id, sent.message_id)], deferral.until
    )

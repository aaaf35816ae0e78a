"""/code, /accounts and presses on the account picker."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import TelegramError

from bot.chat import buttons, privately
from bot.chat.context import BotContext
from bot.chat.delivery import Destination, send_code
from bot.chat.failures import user_errors
from bot.chat.people import lang, person, place
from bot.chat.render import account_list, picker
from bot.chat.replies import reply
from bot.chat.worker import offload
from bot.rules.clock import utc
from bot.rules.deliveries import goes_private
from bot.rules.model import GrantedCode, IssuedCode, Person, Picker, Place

logger = logging.getLogger(__name__)


@user_errors
async def code_command(update: Update, context: BotContext) -> None:
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    # Every word, not the first: `/code JBSW Y3DP …` (a seed pasted in groups) is then no
    # account name, and no reply quotes its first group.
    name = " ".join(context.args) if context.args else None
    who = person(user)
    result = await offload(context.services.codes.request, who, place(message.chat), name)
    if isinstance(result, Picker):
        body, markup = picker(lang(update), result.accounts)
        await reply(update, body, markup=markup)
        return
    await hand_over(context, Destination.of(message), result, lang(update), who)


@user_errors
async def pick_pressed(update: Update, context: BotContext) -> None:
    """Authorized for the user who pressed, not the one who asked (anyone can press)."""
    user = update.effective_user
    press = await buttons.read(update, buttons.Kind.PICK)
    if press is None or user is None or update.callback_query is None:
        return
    who, anchor = person(user), press.message
    granted = await offload(
        context.services.codes.request_by_id, who, place(anchor.chat), press.subject
    )
    try:
        await update.callback_query.answer()
    except TelegramError as failure:
        # The answer only stops the button's spinner; the code matters more.
        logger.warning("could not answer a button press: %s", type(failure).__name__)
    await hand_over(context, Destination.of(anchor), granted, lang(update), who)


async def hand_over(
    context: BotContext, asked_in: Destination, granted: GrantedCode, lng: str, who: Person
) -> None:
    """Send the code where the account's delivery policy says, then tell the admins:
    "granted" once the person has it, "not delivered" when Telegram would not take it.
    Every code handed out comes through here (a /code, a press on the picker)."""
    if goes_private(granted.issued.account, asked_in_private=asked_in.private):
        await privately.deliver(context, asked_in, granted, lng, who)
        return
    where = Place(asked_in.chat_id, private=asked_in.private)

    async def renew(issued: IssuedCode) -> IssuedCode:
        return await offload(context.services.codes.renew, who, where, issued)

    try:
        await send_code(
            context,
            asked_in,
            granted.issued,
            lng,
            for_person=None if asked_in.private else who,
            renew=renew,
        )
    except Exception:
        await offload(context.services.codes.tell, granted, delivered=False)
        raise
    await offload(context.services.codes.tell, granted, delivered=True)


@user_errors
async def accounts_command(update: Update, context: BotContext) -> None:
    user = update.effective_user
    if user is None:
        return
    accounts = await offload(context.services.codes.accounts_for, person(user))
    for chunk in account_list(lang(update), accounts, utc(context.runtime.clock())):
        await reply(update, chunk)

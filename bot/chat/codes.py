"""/code, /accounts and presses on the account picker."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import TelegramError

from bot.chat import approvals, buttons, privately
from bot.chat.context import BotContext
from bot.chat.delivery import Destination, send_code
from bot.chat.failures import user_errors
from bot.chat.people import lang, person, place
from bot.chat.render import account_list, picker
from bot.chat.replies import reply
from bot.chat.worker import offload
from bot.rules.clock import utc
from bot.rules.codes import CodeResult
from bot.rules.deliveries import goes_private
from bot.rules.holds import Held, ReasonNeeded
from bot.rules.model import GrantedCode, IssuedCode, Person, Picker, Place

logger = logging.getLogger(__name__)


@user_errors
async def code_command(update: Update, context: BotContext) -> None:
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    # Every word, read by the rules: `/code JBSW Y3DP …` (a seed pasted in groups) is then
    # no account name, and no reply quotes its first group; `/code NAME reason…` gives the
    # reason an approval needs.
    words = tuple(context.args or ())
    who, asked_in = person(user), Destination.of(message)
    result = await offload(
        context.services.codes.request,
        who,
        place(message.chat),
        words,
        origin=approvals.origin_of(asked_in),
    )
    await respond(update, context, result, asked_in, who)


@user_errors
async def pick_pressed(update: Update, context: BotContext) -> None:
    """Authorized for the user who pressed, not the one who asked (anyone can press)."""
    user = update.effective_user
    press = await buttons.read(update, context, buttons.Kind.PICK)
    if press is None or user is None or update.callback_query is None:
        return
    who, anchor = person(user), press.message
    asked_in = Destination.of(anchor)
    result = await offload(
        context.services.codes.request_by_id,
        who,
        place(anchor.chat),
        press.subject,
        origin=approvals.origin_of(asked_in),
    )
    try:
        await update.callback_query.answer()
    except TelegramError as failure:
        # The answer only stops the button's spinner; the code matters more.
        logger.warning("could not answer a button press: %s", type(failure).__name__)
    await respond(update, context, result, asked_in, who)


@user_errors
async def page_pressed(update: Update, context: BotContext) -> None:
    """"More" or "back" on the picker: the same message shows that page, of the accounts
    the presser may use."""
    user, query = update.effective_user, update.callback_query
    press = await buttons.read(update, context, buttons.Kind.PAGE)
    if press is None or user is None or query is None:
        return
    prefix = press.extra[0] if press.extra else 0
    found = await offload(
        context.services.codes.page, person(user), place(press.message.chat), press.subject, prefix
    )
    await query.answer()
    body, markup = picker(lang(update, context), found)
    await query.edit_message_text(body, reply_markup=markup)


async def respond(
    update: Update, context: BotContext, result: CodeResult, asked_in: Destination, who: Person
) -> None:
    """The answer to a code request, whatever the rules made of it."""
    lng = lang(update, context)
    if isinstance(result, Picker):
        body, markup = picker(lng, result)
        await reply(update, body, markup=markup)
    elif isinstance(result, ReasonNeeded):
        await approvals.ask_reason(context, result, asked_in, who, lng)
    elif isinstance(result, Held):
        await approvals.hold(context, result, asked_in, lng)
    else:
        await hand_over(context, asked_in, result, lng, who)


async def hand_over(
    context: BotContext, asked_in: Destination, granted: GrantedCode, lng: str, who: Person
) -> None:
    """Send the code where the account's delivery policy says, then tell the admins:
    "granted" once the person has it, "not delivered" when Telegram would not take it.
    Every code handed out comes through here (a /code, a press on the picker, an
    approval). `asked_in`: where the code was asked for (plain numbers: a code approved
    later, also after a restart, comes here)."""
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
    for chunk in account_list(lang(update, context), accounts, utc(context.runtime.clock())):
        await reply(update, chunk)

"""Code requests held for an admin's approval (bot.rules.holds): asking the requester for a
reason, asking the admins to decide, and showing every admin how it was decided.

A request's answer is sent where it was asked, later: its `Origin` (plain numbers in the
store) becomes a `Destination` again, also after a restart.
"""

from __future__ import annotations

import asyncio
import html
import logging
from collections.abc import Iterable

from telegram import ForceReply, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, TelegramError

from bot.chat import buttons, pending
from bot.chat.buttons import Kind
from bot.chat.context import BotContext
from bot.chat.delivery import Destination, say
from bot.chat.worker import offload
from bot.messages import Html, language_for, text, username_suffix
from bot.rules.holds import (
    MAX_REASON,
    REQUEST_LIFETIME,
    STANDING_SECONDS,
    AdminMessage,
    Held,
    Origin,
    ReasonNeeded,
    Request,
    Status,
)
from bot.rules.model import Delivery, Person, Recipient
from bot.rules.pending import ReasonAsked

logger = logging.getLogger(__name__)

MINUTES = int(REQUEST_LIFETIME // 60)
HOURS = STANDING_SECONDS // 3600


def origin_of(to: Destination) -> Origin:
    return Origin(to.chat_id, to.private, to.thread_id, to.reply_to)


def destination_of(origin: Origin) -> Destination:
    return Destination(origin.chat_id, origin.private, origin.thread_id, origin.reply_to)


async def send_text(
    context: BotContext,
    to: Destination,
    body: Html,
    *,
    markup: InlineKeyboardMarkup | ForceReply | None = None,
) -> int:
    """A message to `to`; the new message's id."""
    return (await say(context, to, body, markup=markup)).message_id


async def ask_reason(
    context: BotContext, needed: ReasonNeeded, asked_in: Destination, who: Person, lng: str
) -> None:
    """In private, the next plain message is the reason; in a group, a reply to the
    question (which Telegram delivers in privacy mode too), by the same person."""
    account = needed.account
    if asked_in.private:
        await pending.expect_reason(context, who.id, ReasonAsked(account.id, asked_in.chat_id))
        body = text(lng, "approval.ask_private", account=account.name, limit=MAX_REASON)
        await send_text(context, asked_in, body)
        return
    body = text(lng, "approval.ask_group", who=mention(who), account=account.name, limit=MAX_REASON)
    # Before the question is out: nobody can answer it sooner, and `asked` must never
    # hold fewer people than the store does.
    context.runtime.asked.add(who.id)
    # Selective: the reply field opens for the person asked (mentioned) only.
    message_id = await send_text(context, asked_in, body, markup=ForceReply(selective=True))
    await pending.expect_reason(
        context, who.id, ReasonAsked(account.id, asked_in.chat_id, message_id)
    )


def mention(who: Person) -> Html:
    """The person, by a link to their id: also someone with no @username."""
    return Html(f'<a href="tg://user?id={who.id}">{html.escape(who.full_name, quote=False)}</a>')


async def hold(context: BotContext, held: Held, asked_in: Destination, lng: str) -> None:
    """Tell the requester the admins were asked, then ask every admin with notifications
    on to decide. An admin who never opened a chat with the bot (or blocked it) is skipped;
    if none could be asked, the requester is told (the request stands until it expires)."""
    request = held.request
    in_private = asked_in.private or request.account.policy.delivery is Delivery.PRIVATE
    told = "approval.held_private" if in_private else "approval.held_here"
    await send_text(
        context, asked_in, text(lng, told, account=request.account.name, minutes=MINUTES)
    )
    asked = await asyncio.gather(*(_ask_admin(context, admin, request) for admin in held.admins))
    messages = [message for message in asked if message is not None]
    if not messages:
        await send_text(context, asked_in, text(lng, "approval.nobody_asked", minutes=MINUTES))
        return
    decided = await offload(context.services.approvals.asked, request.id, messages)
    if decided is not None:  # an admin was quicker than the last of these messages
        await show_decision(context, decided, messages)


async def _ask_admin(
    context: BotContext, admin: Recipient, request: Request
) -> AdminMessage | None:
    lng = language_for(admin.language_code)
    try:
        sent = await context.bot.send_message(
            admin.chat_id, request_text(lng, request), reply_markup=decision_buttons(lng, request)
        )
    except TelegramError as failure:
        # Typically: the admin never pressed Start, or blocked the bot.
        logger.warning(
            "could not ask admin %s to approve a code request: %s",
            admin.chat_id,
            type(failure).__name__,
        )
        return None
    return AdminMessage(sent.chat_id, sent.message_id, admin.language_code)


def request_text(lng: str, request: Request) -> Html:
    who = request.requester
    where = request.place
    place = (
        text(lng, "notify.private")
        if where.private
        else text(lng, "notify.group", title=where.title or "", chat_id=where.chat_id)
    )
    return text(
        lng,
        "approval.request",
        name=who.full_name,
        username=username_suffix(who.username),
        user_id=who.id,
        account=request.account.name,
        place=place,
        reason=request.reason,
        time=request.expires_at.strftime("%H:%M:%S UTC"),
    )


def decision_buttons(lng: str, request: Request) -> InlineKeyboardMarkup:
    def button(label: str, kind: Kind) -> InlineKeyboardButton:
        return InlineKeyboardButton(
            text(lng, label, hours=HOURS), callback_data=buttons.data(kind, request.id)
        )

    return InlineKeyboardMarkup(
        [
            [button("approval.approve", Kind.APPROVE), button("approval.deny", Kind.DENY)],
            [button("approval.approve_for", Kind.APPROVE_HOUR)],
        ]
    )


def outcome_line(lng: str, request: Request, refused_for: str | None = None) -> Html:
    """How a request was decided, as every admin's message says once it is."""
    name = request.decided_by or "?"
    if request.status is Status.APPROVED and request.approved_for:
        line = text(lng, "approval.decided_approved_for", name=name, hours=HOURS)
    elif request.status is Status.APPROVED:
        line = text(lng, "approval.decided_approved", name=name)
    elif request.status is Status.DENIED:
        line = text(lng, "approval.decided_denied", name=name)
    else:
        line = text(lng, "approval.decided_expired", minutes=MINUTES)
    if refused_for is not None:
        reason = text(lng, f"reason.{refused_for}")
        line = Html(line + "\n" + text(lng, "approval.decided_undelivered", reason=reason))
    return line


async def show_decision(
    context: BotContext,
    request: Request,
    messages: Iterable[AdminMessage],
    *,
    refused_for: str | None = None,
) -> None:
    """Each admin's message says who decided and how, in that admin's language, and
    loses its buttons. A message that cannot be edited (deleted, or already saying so
    after a race of two presses) is left as it is."""
    done: set[tuple[int, int]] = set()
    for message in messages:
        where = (message.chat_id, message.message_id)
        if where in done:
            continue
        done.add(where)
        lng = language_for(message.language_code)
        body = Html(request_text(lng, request) + "\n\n" + outcome_line(lng, request, refused_for))
        try:
            await context.bot.edit_message_text(
                body, chat_id=message.chat_id, message_id=message.message_id, reply_markup=None
            )
        except BadRequest as failure:
            logger.debug("approval message not edited: %s", type(failure).__name__)
        except TelegramError as failure:
            logger.warning("approval message not edited: %s", type(failure).__name__)

"""Answers to a held code request: the reason the bot asked for (a private message, or a
reply to its question in a group), an admin's Approve or Deny, and the expiry of a request
nobody decided."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import TelegramError

from bot.chat import buttons, pending
from bot.chat.approvals import MINUTES, destination_of, origin_of, send_text, show_decision
from bot.chat.buttons import Kind
from bot.chat.codes import hand_over, respond
from bot.chat.context import BotContext
from bot.chat.delivery import Destination
from bot.chat.failures import user_errors
from bot.chat.people import lang, person, place
from bot.chat.render import error
from bot.chat.worker import offload
from bot.messages import Html, language_for, plain, text
from bot.rules.errors import TeamOtpError
from bot.rules.holds import STANDING_SECONDS, AdminMessage, Decision, Request, Status, check_reason
from bot.rules.pending import Question, ReasonAsked

logger = logging.getLogger(__name__)


async def reason_sent(update: Update, context: BotContext, question: Question) -> None:
    """A plain private message that answers the bot's question for a reason."""
    await _answer(update, context, question)


@user_errors
async def reason_replied(update: Update, context: BotContext) -> None:
    """A reply in a group to the bot's question for a reason, by the person asked."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None or message.reply_to_message is None:
        return
    replied = message.reply_to_message
    if replied.from_user is None or replied.from_user.id != context.bot.id:
        return
    question = await pending.take_reply(context, user.id, message.chat_id, replied.message_id)
    if question is not None:
        await _answer(update, context, question)


async def _answer(update: Update, context: BotContext, question: Question) -> None:
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    asked = ReasonAsked.of(question)
    try:
        reason = await offload(check_reason, message.text or "")
    except TeamOtpError:
        # Asked again: a reason too long is rewritten, not the whole request.
        await pending.expect_reason(context, user.id, asked)
        raise
    who, asked_in = person(user), Destination.of(message)
    result = await offload(
        context.services.codes.request_by_id,
        who,
        place(message.chat),
        asked.account_id,
        reason=reason,
        origin=origin_of(asked_in),
    )
    await respond(update, context, result, asked_in, who)


@user_errors
async def decision_pressed(update: Update, context: BotContext) -> None:
    """Approve, Approve for 1 h or Deny on an admin's message. The rules let exactly one
    press decide; every other is told who did."""
    query, user = update.callback_query, update.effective_user
    press = await buttons.read(update, context, Kind.APPROVE, Kind.APPROVE_HOUR, Kind.DENY)
    if press is None or query is None or user is None:
        return
    decision = await offload(
        context.services.approvals.decide,
        person(user),
        press.subject,
        approve=press.kind is not Kind.DENY,
        for_seconds=STANDING_SECONDS if press.kind is Kind.APPROVE_HOUR else None,
    )
    lng, request = lang(update, context), decision.request
    pressed = AdminMessage(
        press.message.chat_id, press.message.message_id, context.spoken or user.language_code
    )
    if not decision.won:
        await query.answer(plain(_too_late(lng, request)), show_alert=True)
        if request.status is not Status.PENDING:  # else expired: the sweep tells everyone
            await show_decision(context, request, [pressed])
        return
    await query.answer(plain(_decided(lng, decision)), show_alert=decision.refusal is not None)
    await show_decision(
        context, request, [pressed, *decision.messages], refused_for=decision.refused_for
    )
    await _tell_requester(context, decision)


def _too_late(lng: str, request: Request) -> Html:
    name = request.decided_by or "?"
    if request.status is Status.APPROVED:
        return text(lng, "approval.already_approved", name=name)
    if request.status is Status.DENIED:
        return text(lng, "approval.already_denied", name=name)
    return text(lng, "approval.already_expired")


def _decided(lng: str, decision: Decision) -> Html:
    name = decision.request.requester.full_name
    if decision.request.status is Status.DENIED:
        return text(lng, "approval.pressed_denied", name=name)
    if decision.refused_for is not None:
        reason = text(lng, f"reason.{decision.refused_for}")
        return text(lng, "approval.pressed_undelivered", name=name, reason=reason)
    return text(lng, "approval.pressed_approved", name=name)


async def _tell_requester(context: BotContext, decision: Decision) -> None:
    """The code (by the delivery rule, as any code), or why there is none, where the
    request was made."""
    request = decision.request
    who, to = request.requester, destination_of(request.origin)
    lng = language_for(who.language_code)
    try:
        if decision.granted is not None:
            await hand_over(context, to, decision.granted, lng, who)
        elif decision.refusal is not None:
            await send_text(context, to, error(lng, decision.refusal))
        else:
            body = text(
                lng,
                "approval.denied",
                name=request.decided_by or "?",
                account=request.account.name,
            )
            await send_text(context, to, body)
    except TelegramError as failure:
        # The decision stands (and the audit log has it); the requester may ask again.
        logger.warning(
            "the requester of a decided code request was not told: %s", type(failure).__name__
        )


async def expire_requests(context: BotContext) -> None:
    """The repeating job: requests nobody decided in time are expired, the admins' messages
    say so, and the requester is told (also for requests that ran out while the bot was
    down)."""
    for expired in await offload(context.services.approvals.expire_due):
        request = expired.request
        await show_decision(context, request, expired.messages)
        lng = language_for(request.requester.language_code)
        body = text(lng, "approval.expired", account=request.account.name, minutes=MINUTES)
        try:
            await send_text(context, destination_of(request.origin), body)
        except TelegramError as failure:
            logger.warning(
                "the requester of an expired code request was not told: %s",
                type(failure).__name__,
            )

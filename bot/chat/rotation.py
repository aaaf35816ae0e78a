"""`/secret rotate NAME`: the guided change of an account's authenticator at its site, the
buttons that settle it, and the end of changes nobody confirmed (the rules are in
`bot.rules.rotation`).

The message that holds the new key (text or QR image) has been deleted by the gate or the
intake by the time these run, so replies never quote it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update, User

from bot.chat import buttons, pending
from bot.chat.buttons import Kind
from bot.chat.context import BotContext
from bot.chat.delivery import Destination, send_code
from bot.chat.failures import user_errors
from bot.chat.people import lang, person
from bot.chat.replies import reply
from bot.chat.worker import offload
from bot.messages import Html, text
from bot.rules.clock import utc
from bot.rules.detector import is_secret_alone
from bot.rules.model import Person
from bot.rules.pending import LIFETIME as QUESTION_LIFETIME
from bot.rules.rotation import Rekeying


async def rotate_command(update: Update, context: BotContext, who: Person, args: list[str]) -> None:
    """`/secret rotate NAME` asks for the new key (or shows the change already waiting);
    `/secret rotate NAME SECRET` gives it at once."""
    message = update.effective_message
    if message is None:
        return
    lng, rotations = lang(update, context), context.services.rotations
    if await offload(is_secret_alone, " ".join(args[1:])):
        # `/secret rotate KRSX G5CT MVRX EZLU`: the "name" is the key's first group.
        await reply(update, text(lng, "rotate.name_missing"), quote=False)
        return
    if len(args) >= 3:
        taken = await offload(rotations.take_named, who, args[1], " ".join(args[2:]))
        await _taken(update, context, message, taken)
        return
    begun = await offload(rotations.begin, who, args[1])
    if isinstance(begun, Rekeying):
        await reply(
            update,
            text(lng, "rotate.waiting", name=begun.account.name, until=_time(begun.until)),
        )
        await _show(context, message, begun, lng)
        return
    await pending.expect_rotation(context, who.id, begun.id)
    await reply(
        update,
        text(lng, "rotate.steps", name=begun.name, minutes=int(QUESTION_LIFETIME // 60)),
    )


async def key_sent(
    update: Update,
    context: BotContext,
    message: Message,
    who: Person,
    account_id: int,
    texts: Sequence[str],
    *,
    from_image: bool = False,
) -> None:
    """The answer to `/secret rotate NAME`: a typed key, or what a QR image holds."""
    taken = await offload(
        context.services.rotations.take, who, account_id, list(texts), from_image=from_image
    )
    await _taken(update, context, message, taken)


async def _taken(update: Update, context: BotContext, anchor: Message, taken: Rekeying) -> None:
    lng = lang(update, context)
    body = text(lng, "rotate.taken", name=taken.account.name)
    if taken.short_secret:
        body = Html(body + "\n" + text(lng, "secret.short_warning", bits=taken.secret_bits))
    await reply(update, body, quote=False)
    await _show(context, anchor, taken, lng)


async def _show(context: BotContext, anchor: Message, shown: Rekeying, lng: str) -> None:
    """The new key's code (protected, deleted when it expires, like every code), then
    the buttons that settle the change."""
    await _new_code(context, anchor, shown, lng)
    await anchor.reply_text(
        text(lng, "rotate.confirm", name=shown.account.name, until=_time(shown.until)),
        reply_markup=_keyboard(lng, shown),
        do_quote=False,
    )


async def _new_code(context: BotContext, anchor: Message, shown: Rekeying, lng: str) -> None:
    """Labelled as the new key's: the old key's codes look just the same."""
    label = text(lng, "rotate.code_label", name=shown.account.name)
    issued = replace(shown.issued, account=replace(shown.issued.account, name=label))
    await send_code(context, Destination.of(anchor, quote=False), issued, lng)


def _keyboard(lng: str, shown: Rekeying) -> InlineKeyboardMarkup:
    """One button a row: the labels say what each does to the key, and must not be cut."""
    ticket = (shown.ticket,)
    rows = [
        (Kind.ROTATE, "rotate.confirm_yes"),
        (Kind.ROTATE_CODE, "rotate.new_code"),
        (Kind.NO_ROTATE, "rotate.confirm_no"),
    ]
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    text(lng, key), callback_data=buttons.data(kind, shown.account.id, ticket)
                )
            ]
            for kind, key in rows
        ]
    )


@user_errors
async def rotation_pressed(update: Update, context: BotContext) -> None:
    """Any admin may settle a change; the rules check again that it still waits and that
    this button is one of its own."""
    query, user = update.callback_query, update.effective_user
    press = await buttons.read(update, context, Kind.ROTATE, Kind.NO_ROTATE, Kind.ROTATE_CODE)
    if press is None or query is None or user is None:
        return
    lng, who, rotations = lang(update, context), person(user), context.services.rotations
    ticket = press.extra[0] if len(press.extra) == 1 else 0
    if press.kind is Kind.ROTATE_CODE:
        shown = await offload(rotations.code, who, press.subject, ticket)
        await query.answer()
        await _new_code(context, press.message, shown, lng)
        return
    if press.kind is Kind.NO_ROTATE:
        kept = await offload(rotations.cancel, who, press.subject, ticket)
        await query.answer()
        await query.edit_message_text(text(lng, "rotate.cancelled", name=kept.name))
        return
    done = await offload(rotations.confirm, who, press.subject, ticket)
    await query.answer()
    await query.edit_message_text(text(lng, "rotate.done", name=done.name))


async def cancel_started(context: BotContext, user: User) -> list[str]:
    """`/cancel`: the changes of key this person started and nobody settled yet."""
    return await offload(context.services.rotations.cancel_mine, person(user))


async def expire_rotations(context: BotContext) -> None:
    """The repeating job that ends changes nobody confirmed in time (the rules tell)."""
    await offload(context.services.rotations.expire)


def _time(at: float) -> str:
    return utc(at).strftime("%H:%M UTC")

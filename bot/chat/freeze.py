"""/lock and /unlock: the freeze switch, for the moment a phone or an account is
suspected stolen."""

from __future__ import annotations

from telegram import Update

from bot.chat.context import BotContext
from bot.chat.failures import user_errors
from bot.chat.people import lang, person, place
from bot.chat.replies import reply
from bot.chat.worker import offload
from bot.messages import text


@user_errors
async def lock_command(update: Update, context: BotContext) -> None:
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    done = await offload(context.services.freeze.lock, person(user), place(message.chat))
    if done.changed or done.state is None:
        await reply(update, text(lang(update, context), "lock.done"))
        return
    when = done.state.at.strftime("%Y-%m-%d %H:%M UTC")
    await reply(
        update, text(lang(update, context), "lock.already", name=done.state.by_name, time=when)
    )


@user_errors
async def unlock_command(update: Update, context: BotContext) -> None:
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    done = await offload(context.services.freeze.unlock, person(user), place(message.chat))
    await reply(
        update, text(lang(update, context), "unlock.done" if done.changed else "unlock.not_locked")
    )

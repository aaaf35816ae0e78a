"""/add, /revoke, /promote, /demote, /members."""

from __future__ import annotations

from telegram import Update

from bot.chat.context import BotContext
from bot.chat.failures import user_errors
from bot.chat.people import lang, person
from bot.chat.render import grants, member_list
from bot.chat.replies import reply
from bot.chat.targets import parse_target
from bot.chat.worker import offload
from bot.messages import text


@user_errors
async def add_command(update: Update, context: BotContext) -> None:
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    lng = lang(update)
    target, names = parse_target(message)
    if target is None:
        await reply(update, text(lng, "members.usage_add"))
        return
    view = await offload(context.services.roster.add, person(user), target, names)
    await reply(update, text(lng, "members.added", name=view.name, accounts=grants(lng, view)))


@user_errors
async def revoke_command(update: Update, context: BotContext) -> None:
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    lng = lang(update)
    target, names = parse_target(message)
    if target is None:
        await reply(update, text(lng, "members.usage_revoke"))
        return
    name, left = await offload(context.services.roster.revoke, person(user), target, names)
    if left is None:
        await reply(update, text(lng, "members.revoked", name=name))
    else:
        accounts = grants(lng, left)
        await reply(update, text(lng, "members.narrowed", name=left.name, accounts=accounts))


@user_errors
async def promote_command(update: Update, context: BotContext) -> None:
    await _change_role(update, context, promote=True)


@user_errors
async def demote_command(update: Update, context: BotContext) -> None:
    await _change_role(update, context, promote=False)


async def _change_role(update: Update, context: BotContext, *, promote: bool) -> None:
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    target, _ = parse_target(message)
    if target is None:
        await reply(update, text(lang(update), "members.usage_promote"))
        return
    roster = context.services.roster
    change = roster.promote if promote else roster.demote
    view = await offload(change, person(user), target)
    done = "members.promoted" if promote else "members.demoted"
    await reply(update, text(lang(update), done, name=view.name))


@user_errors
async def members_command(update: Update, context: BotContext) -> None:
    user = update.effective_user
    if user is None:
        return
    views = await offload(context.services.roster.members, person(user))
    for chunk in member_list(lang(update), views):
        await reply(update, chunk)

"""/add, /revoke, /promote, /demote, /members."""

from __future__ import annotations

from telegram import Update

from bot.chat.context import BotContext
from bot.chat.failures import user_errors
from bot.chat.people import lang, person
from bot.chat.render import grants, member_list
from bot.chat.replies import reply
from bot.chat.targets import parse_target
from bot.messages import text


@user_errors
async def add_command(update: Update, context: BotContext) -> None:
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    target, names = parse_target(message)
    if target is None:
        await reply(update, text(lang(update), "members.usage_add"))
        return
    view = context.services.roster.add(person(user), target, names)
    await reply(
        update,
        text(lang(update), "members.added", name=view.name, accounts=grants(lang(update), view)),
    )


@user_errors
async def revoke_command(update: Update, context: BotContext) -> None:
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    target, names = parse_target(message)
    if target is None:
        await reply(update, text(lang(update), "members.usage_revoke"))
        return
    name, left = context.services.roster.revoke(person(user), target, names)
    if left is None:
        await reply(update, text(lang(update), "members.revoked", name=name))
    else:
        await reply(
            update,
            text(
                lang(update),
                "members.narrowed",
                name=left.name,
                accounts=grants(lang(update), left),
            ),
        )


@user_errors
async def promote_command(update: Update, context: BotContext) -> None:
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    target, _ = parse_target(message)
    if target is None:
        await reply(update, text(lang(update), "members.usage_promote"))
        return
    view = context.services.roster.promote(person(user), target)
    await reply(update, text(lang(update), "members.promoted", name=view.name))


@user_errors
async def demote_command(update: Update, context: BotContext) -> None:
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    target, _ = parse_target(message)
    if target is None:
        await reply(update, text(lang(update), "members.usage_promote"))
        return
    view = context.services.roster.demote(person(user), target)
    await reply(update, text(lang(update), "members.demoted", name=view.name))


@user_errors
async def members_command(update: Update, context: BotContext) -> None:
    user = update.effective_user
    if user is None:
        return
    views = context.services.roster.members(person(user))
    for chunk in member_list(lang(update), views):
        await reply(update, chunk)

"""/policy NAME [approval|delivery|members VALUE]: an account's policy, shown or set."""

from __future__ import annotations

from telegram import Update

from bot.chat.context import BotContext
from bot.chat.failures import user_errors
from bot.chat.people import lang, person
from bot.chat.render import policy_view
from bot.chat.replies import reply
from bot.chat.worker import offload
from bot.messages import text


@user_errors
async def policy_command(update: Update, context: BotContext) -> None:
    user = update.effective_user
    if user is None:
        return
    args, lng = context.args or [], lang(update, context)
    policies = context.services.policies
    if len(args) == 1:
        info = await offload(policies.show, person(user), args[0])
    elif len(args) == 3:
        info = await offload(policies.set, person(user), args[0], args[1], args[2])
    else:
        await reply(update, text(lng, "policy.usage"))
        return
    await reply(update, policy_view(lng, info))

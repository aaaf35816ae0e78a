"""/lang: the language the bot speaks to you (in private), or to a group (an admin, there)."""

from __future__ import annotations

from telegram import Chat, Update

from bot.chat.context import BotContext
from bot.chat.failures import user_errors
from bot.chat.groups import spoken_in
from bot.chat.people import lang, person, place
from bot.chat.replies import reply
from bot.chat.worker import offload
from bot.messages import Html, language_for, text


@user_errors
async def lang_command(update: Update, context: BotContext) -> None:
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    languages, words = context.services.languages, context.args or []
    in_group = message.chat.type != Chat.PRIVATE
    if len(words) != 1:
        if in_group:
            chosen = await offload(languages.of_group, message.chat.id)
            state = _state(lang(update, context), chosen, "lang.group_is", "lang.group_auto")
        else:
            state = _state(lang(update, context), context.spoken, "lang.you_are", "lang.you_auto")
        usage = text(lang(update, context), "lang.usage")
        await reply(update, Html(state + "\n\n" + usage))
        return
    if in_group:
        done = await offload(
            languages.choose_for_group, person(user), place(message.chat), words[0]
        )
        # Said in the group's new language (or, back to none, in the admin's).
        lng = await spoken_in(context, message.chat.id, lang(update, context))
        key = "lang.group_set" if done.language else "lang.group_unset"
    else:
        done = await offload(languages.choose, person(user), words[0])
        context.spoken = done.language
        lng = lang(update, context)
        key = "lang.set" if done.language else "lang.unset"
    await reply(update, _said(lng, key, done.language))


def _state(lng: str, chosen: str | None, chosen_key: str, auto_key: str) -> Html:
    return _said(lng, chosen_key, chosen) if chosen else text(lng, auto_key)


def _said(lng: str, key: str, language: str | None) -> Html:
    name = text(lng, f"lang.name.{language_for(language)}") if language else ""
    return text(lng, key, language=name)

"""/add, /revoke, /promote, /demote, /members."""

from __future__ import annotations

from datetime import timedelta

from telegram import Update

from bot.chat import buttons
from bot.chat.buttons import Kind
from bot.chat.context import BotContext
from bot.chat.durations import split_duration
from bot.chat.expiry import tell
from bot.chat.failures import user_errors
from bot.chat.people import lang, person
from bot.chat.render import access_given
from bot.chat.replies import reply
from bot.chat.targets import parse_target
from bot.chat.worker import offload
from bot.messages import Html, language_for, text
from bot.reports import added, grants, member_list, seen_seeds, username_seen
from bot.rules.clock import utc
from bot.rules.errors import InvalidInput
from bot.rules.model import Added, Sighting, Target


@user_errors
async def add_command(update: Update, context: BotContext) -> None:
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    lng, who, roster = lang(update, context), person(user), context.services.roster
    target, words = parse_target(message)
    if target is None:
        await reply(update, text(lng, "members.usage_add"))
        return
    names, lasting = split_duration(words)
    seen = Html("")
    if target.username is not None:
        # Usernames change hands and the Bot API cannot look them up: say whom the name
        # meant when last seen, and ask first when that was long ago.
        sighting = await offload(roster.sighting, who, target.username, names)
        if sighting.stale:
            await _confirm_stale(update, context, sighting, lasting)
            return
        if not sighting.recent:
            seen = Html("\n" + username_seen(lng, sighting))
        target = Target(user_id=sighting.user_id)
    result = await offload(roster.add, who, target, names, lasting=lasting)
    await reply(update, Html(added(lng, result, context.runtime.zone) + seen))
    _tell_member(context, result)


def _tell_member(context: BotContext, result: Added) -> None:
    """The member hears of an end given or taken away (a plain /add stays as quiet as
    before); in the background, and a member who never started the bot is not told."""
    if result.tell_member:
        body = access_given(language_for(result.language_code), result)
        tell(context, result.member.user_id, body)


async def _confirm_stale(
    update: Update, context: BotContext, sighting: Sighting, lasting: timedelta | None
) -> None:
    lng = lang(update, context)
    ask = Html(username_seen(lng, sighting) + "\n" + text(lng, "members.username_stale"))
    # With a duration the button carries its minutes first, under a kind of its own, so
    # that no button made before durations existed is ever read as one.
    kind, extra = Kind.ADD, sighting.account_ids
    if lasting is not None:
        kind, extra = Kind.ADD_FOR, (int(lasting.total_seconds() // 60), *extra)
    if not buttons.fits(kind, sighting.user_id, extra):
        # Too many accounts to carry in a button: the admin sends the id instead.
        await reply(update, Html(ask + "\n" + text(lng, "members.add_by_id_instead")))
        return
    markup = buttons.confirm(lng, "members.add_stale", kind, Kind.NO_ADD, sighting.user_id, extra)
    await reply(update, ask, markup=markup)


@user_errors
async def add_pressed(update: Update, context: BotContext) -> None:
    """The confirmation after `/add @name`: any admin may give it (the rules check)."""
    query, user = update.callback_query, update.effective_user
    press = await buttons.read(update, context, Kind.ADD, Kind.ADD_FOR, Kind.NO_ADD)
    if press is None or query is None or user is None:
        return
    lng = lang(update, context)
    if press.kind is Kind.NO_ADD:
        await buttons.decline(query, lng)
        return
    account_ids, lasting = press.extra, None
    if press.kind is Kind.ADD_FOR:
        if not press.extra:
            raise InvalidInput("grants.bad_duration")
        account_ids, lasting = press.extra[1:], timedelta(minutes=press.extra[0])
    result = await offload(
        context.services.roster.add_confirmed,
        person(user),
        press.subject,
        account_ids,
        lasting=lasting,
    )
    await query.answer()
    await query.edit_message_text(added(lng, result, context.runtime.zone))
    _tell_member(context, result)


@user_errors
async def revoke_command(update: Update, context: BotContext) -> None:
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    lng = lang(update, context)
    target, names = parse_target(message)
    if target is None:
        await reply(update, text(lng, "members.usage_revoke"))
        return
    done = await offload(context.services.roster.revoke, person(user), target, names)
    if done.left is None:
        revoked = text(lng, "members.revoked", name=done.name)
        seen = seen_seeds(lng, done.lost.seen if done.lost else ())
        await reply(update, Html(revoked + "\n" + seen))
    else:
        accounts = grants(lng, done.left, utc(context.runtime.clock()))
        await reply(update, text(lng, "members.narrowed", name=done.left.name, accounts=accounts))


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
        await reply(update, text(lang(update, context), "members.usage_promote"))
        return
    lng, roster = lang(update, context), context.services.roster
    if promote:
        view = await offload(roster.promote, person(user), target)
        await reply(update, text(lng, "members.promoted", name=view.name))
        return
    demoted = await offload(roster.demote, person(user), target)
    said = text(lng, "members.demoted", name=demoted.view.name)
    # They keep their codes; what they saw of the seeds as an admin they keep too.
    await reply(update, Html(said + "\n" + seen_seeds(lng, demoted.lost.seen)))


@user_errors
async def members_command(update: Update, context: BotContext) -> None:
    user = update.effective_user
    if user is None:
        return
    views = await offload(context.services.roster.members, person(user))
    now, zone = utc(context.runtime.clock()), context.runtime.zone
    for chunk in member_list(lang(update, context), views, now, zone):
        await reply(update, chunk)

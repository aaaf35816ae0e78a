"""What the bot waits for from someone in a private chat (`bot.rules.pending` keeps it in
the store): the secret after `/secret add NAME`, a new name after an import, the new
key after `/secret rotate NAME`; and the reason a code request needs, in private or
as a reply to the bot's question in a group.

A question ends when its deadline passes, when it is answered, and when the same person
sends any other command, anywhere. The gate ends it for every command, so knowing whether
there is one must be cheap: `Runtime.asked` holds everyone who may have a question open
(filled from the store at start, added to before each question is stored), and only a
command from one of them pays for the store. Whether a plain private message answers a
question is always read from the store, the one source of truth. Replicas sharing the
store cannot know what the others asked, so there every command pays for the store.
"""

from __future__ import annotations

from bot.chat.context import BotContext, Runtime
from bot.chat.worker import offload
from bot.rules.pending import Question, ReasonAsked, Waiting


async def expect_secret(context: BotContext, user_id: int, name: str) -> None:
    context.runtime.asked.add(user_id)  # first: never fewer than the store holds
    await offload(context.services.questions.expect_secret, user_id, name)


async def offer_rename(context: BotContext, user_id: int, account_id: int) -> None:
    context.runtime.asked.add(user_id)
    await offload(context.services.questions.offer_rename, user_id, account_id)


async def expect_rotation(context: BotContext, user_id: int, account_id: int) -> None:
    context.runtime.asked.add(user_id)
    await offload(context.services.questions.expect_rotation, user_id, account_id)


async def expect_reason(context: BotContext, user_id: int, asked: ReasonAsked) -> None:
    context.runtime.asked.add(user_id)
    await offload(context.services.questions.expect_reason, user_id, asked)


async def awaits_secret(context: BotContext, user_id: int) -> bool:
    """Whether their plain private message is the secret the bot asked them for (an
    account's key, or its new key)."""
    question = await offload(context.services.questions.current, user_id)
    return question is not None and question.waiting.holds_secret


async def take_rotation(context: BotContext, user_id: int) -> int | None:
    """The account whose new key a QR image answers, when that is what was awaited: the
    question is answered. Any other question stays open. Free for those with none."""
    if not _may_have_asked(context.runtime, user_id):
        return None
    question = await offload(context.services.questions.take_if, user_id, Waiting.ROTATION)
    if question is None:
        return None
    context.runtime.asked.discard(user_id)
    return int(question.subject)


async def take(context: BotContext, user_id: int) -> Question | None:
    """What was awaited, answered now by a plain private message. A question asked in a
    group stays open (and its asker in `Runtime.asked`)."""
    question = await offload(context.services.questions.take, user_id)
    if question is not None:
        context.runtime.asked.discard(user_id)
    return question


async def take_reply(
    context: BotContext, user_id: int, chat_id: int, replied_to: int
) -> Question | None:
    """The question a reply in a group answers: the one the bot asked with the message
    replied to, by the same person, still open. Free for everyone who has none."""
    if not _may_have_asked(context.runtime, user_id):
        return None
    question = await offload(
        context.services.questions.take, user_id, reply_to=(chat_id, replied_to)
    )
    if question is not None:
        context.runtime.asked.discard(user_id)
    return question


async def cancel(context: BotContext, user_id: int) -> bool:
    """`/cancel`: forget what was awaited, read from the store; True if something was."""
    context.runtime.asked.discard(user_id)
    return await offload(context.services.questions.cancel, user_id)


async def end(context: BotContext, user_id: int) -> None:
    """Another command (or a secret posted in a group) ends the question, if any: free for
    the many who have none."""
    if _may_have_asked(context.runtime, user_id):
        context.runtime.asked.discard(user_id)
        await offload(context.services.questions.cancel, user_id)


def _may_have_asked(runtime: Runtime, user_id: int) -> bool:
    return runtime.shared or user_id in runtime.asked


async def recall(runtime: Runtime) -> None:
    """At start: who still has a question open, as the store says."""
    runtime.asked.update(await offload(runtime.services.questions.waiting))

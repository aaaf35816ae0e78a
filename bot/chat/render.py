"""Turning domain results into message text and keyboards, from the message catalog."""

from __future__ import annotations

import html
from collections.abc import Sequence
from datetime import UTC, datetime, tzinfo

from telegram import CopyTextButton, InlineKeyboardButton, InlineKeyboardMarkup

from bot.chat.buttons import Kind, data
from bot.chat.coalescing import Tally
from bot.messages import CATALOG, Html, issuer_suffix, listed, text, username_suffix
from bot.reports import CHUNK, chunked, ending, grants, seen_seeds
from bot.rules.clock import stamped
from bot.rules.errors import TeamOtpError
from bot.rules.model import (
    AccountInfo,
    Added,
    Approval,
    CodeRequestNotice,
    Ended,
    ExportNotice,
    GrantsEndedNotice,
    IssuedCode,
    LockNotice,
    Loss,
    LostAccess,
    LostAccessNotice,
    Notice,
    Person,
    Picker,
    Place,
    RosterUnwatchedNotice,
    RotationExpiredNotice,
    RotationNotice,
    SmsEvent,
    SmsNotice,
)
from bot.rules.terms import shown


def error(lang: str, failure: TeamOtpError) -> Html:
    return text(lang, failure.key, **failure.params)


def code_message(
    lang: str, issued: IssuedCode, for_person: Person | None
) -> tuple[Html, InlineKeyboardMarkup]:
    for_whom = text(lang, "code.for_whom", name=for_person.full_name) if for_person else Html("")
    body = text(
        lang,
        "code.reply",
        account=issued.account.name,
        for_whom=for_whom,
        code=issued.code.value,
        seconds=issued.seconds_left,
    )
    buttons = [
        InlineKeyboardButton(
            f"{text(lang, 'code.copy')} {issued.code.value}",
            copy_text=CopyTextButton(issued.code.value),
        )
    ]
    if issued.shows_next:
        body = Html(
            body + text(lang, "code.next", code=issued.code.next_value, seconds=issued.seconds_left)
        )
        buttons.append(
            InlineKeyboardButton(
                f"{text(lang, 'code.copy_next')} {issued.code.next_value}",
                copy_text=CopyTextButton(issued.code.next_value),
            )
        )
    rows = [buttons]
    if issued.account.relayed:
        # The site may send its code by SMS instead: the team's spare phone relays it.
        wait = data(Kind.SMS_WAIT, issued.account.id)
        rows.append([InlineKeyboardButton(text(lang, "sms.wait_button"), callback_data=wait)])
    return body, InlineKeyboardMarkup(rows)


def picker(lang: str, found: Picker) -> tuple[Html, InlineKeyboardMarkup]:
    """One page of accounts, a button each, and "back"/"more" when there are other pages."""
    rows = [
        [InlineKeyboardButton(account.name, callback_data=data(Kind.PICK, account.id))]
        for account in found.accounts
    ]
    turns = [
        InlineKeyboardButton(label, callback_data=data(Kind.PAGE, start, (found.prefix,)))
        for label, start in (
            (text(lang, "code.pick_back"), found.back),
            (text(lang, "code.pick_more"), found.more),
        )
        if start is not None
    ]
    if turns:
        rows.append(turns)
        return text(lang, "code.pick_paged"), InlineKeyboardMarkup(rows)
    return text(lang, "code.pick"), InlineKeyboardMarkup(rows)


def account_list(lang: str, accounts: list[AccountInfo], now: datetime | None = None) -> list[Html]:
    if not accounts:
        return [text(lang, "accounts.none")]
    lines = [
        "• "
        + ending(lang, Html(f"<b>{html.escape(a.name)}</b>"), a.until, now)
        + (text(lang, "accounts.needs_approval") if a.policy.approval is Approval.ADMIN else "")
        for a in accounts
    ]
    return chunked(lang, "accounts.list", lines)


def policy_view(lang: str, account: AccountInfo) -> Html:
    policy = account.policy
    return text(
        lang,
        "policy.shown",
        name=account.name,
        approval=text(lang, f"policy.approval.{policy.approval.value}"),
        delivery=text(lang, f"policy.delivery.{policy.delivery.value}"),
        members=text(lang, f"policy.members.{policy.members.value}"),
    )


def secret_list(lang: str, accounts: list[AccountInfo]) -> list[Html]:
    if not accounts:
        return [text(lang, "secret.list_empty")]
    lines = [
        text(
            lang,
            "secret.list_line",
            name=a.name,
            issuer=issuer_suffix(lang, a.issuer),
            digits=a.digits,
            period=a.period,
            algorithm=a.algorithm,
        )
        # A secret that no longer opens is marked, so an admin sees which one to re-add.
        + ("" if a.readable else text(lang, "secret.list_unreadable"))
        + _under_account(lang, a)
        for a in accounts
    ]
    return chunked(lang, "secret.list", lines, count=len(accounts))


def _under_account(lang: str, account: AccountInfo) -> str:
    """What `/secret list` shows admins under an account: a change of key waiting, and
    the custody note (a note that no longer opens is marked, never an error)."""
    lines: list[str] = []
    if account.rotating:
        lines.append(text(lang, "secret.list_rotating"))
    if not account.note_readable:
        lines.append(text(lang, "secret.list_note_unreadable"))
    elif account.note is not None:
        lines.append(text(lang, "secret.list_note", note=account.note))
    return "".join("\n" + line for line in lines)


def access_given(lang: str, result: Added) -> Html:
    """What the member is told of an /add that gives an end, or takes it away."""
    accounts = grants(lang, result.member, result.at)
    if not result.member.temporary:
        return text(lang, "grants.given_permanent", accounts=accounts)
    return text(lang, "grants.given", accounts=accounts)


def access_ended(lang: str, ended: Ended, now: datetime) -> Html:
    """What a member is told once grants of theirs ended by themselves."""
    body = text(lang, "grants.ended", accounts=_lost(lang, ended), time=shown(ended.at))
    if ended.left is None:
        return body
    return Html(body + text(lang, "grants.still_have", accounts=grants(lang, ended.left, now)))


def _lost(lang: str, ended: Ended) -> Html:
    if ended.everything:
        return text(lang, "members.all_accounts")
    return listed(lang, ended.accounts)


def _ended_notice(lang: str, event: GrantsEndedNotice, zone: tzinfo) -> Html:
    """One message per sweep: as many members as fit, the rest counted."""
    lines: list[str] = []
    size = 0
    for ended in event.ended:
        rest = (
            text(lang, "grants.ended_removed")
            if ended.left is None
            else text(lang, "grants.ended_left", accounts=grants(lang, ended.left, event.at, zone))
        )
        line = text(
            lang,
            "grants.ended_line",
            name=ended.name,
            username=username_suffix(ended.username),
            user_id=ended.user_id,
            accounts=_lost(lang, ended),
            time=shown(ended.at, zone),
            rest=rest,
        )
        if ended.left is None:
            line = Html(line + "\n" + seen_seeds(lang, ended.seen))
        if lines and size + len(line) > CHUNK:
            break
        lines.append(line)
        size += len(line) + 1
    if len(lines) < len(event.ended):
        lines.append(text(lang, "grants.ended_more", count=len(event.ended) - len(lines)))
    return text(lang, "grants.ended_notice", lines=Html("\n".join(lines)))


def notice(lang: str, event: Notice, zone: tzinfo = UTC) -> Html:
    """A notice to an admin (or the audit chat), its times in the team's zone."""
    if isinstance(event, GrantsEndedNotice):
        return _ended_notice(lang, event, zone)
    if isinstance(event, RosterUnwatchedNotice):
        by = text(lang, "lost.removed_by", by=event.by.full_name) if event.by else Html("")
        when = text(lang, "lost.when", time=stamped(event.at, zone))
        return Html(text(lang, "roster.unwatched", group=event.group or "—", by=by) + "\n" + when)
    if isinstance(event, LostAccessNotice):
        when = text(lang, "lost.when", time=stamped(event.at, zone))
        return Html(lost_access(lang, event.lost) + "\n" + when)
    if isinstance(event, RotationNotice):
        return text(
            lang,
            "notify.rotated",
            account=event.account,
            **_by(event.admin, event.at, zone),
        )
    if isinstance(event, RotationExpiredNotice):
        return text(lang, "notify.rotation_expired", account=event.account)
    if isinstance(event, ExportNotice):
        return text(
            lang,
            "notify.export",
            account=event.account,
            **_by(event.owner, event.at, zone),
        )
    if isinstance(event, SmsNotice):
        return _sms_notice(lang, event, zone)
    if isinstance(event, LockNotice):
        return text(
            lang,
            "notify.locked" if event.locked else "notify.unlocked",
            **_by(event.actor, event.at, zone),
        )
    return _code_notice(lang, event, zone)


def _sms_notice(lang: str, event: SmsNotice, zone: tzinfo) -> Html:
    """What became of an SMS (or, to the member, of their wait): never its text."""
    values: dict[str, object] = {"account": event.account, "time": stamped(event.at, zone)}
    if event.person is not None:
        values |= {
            "name": event.person.full_name,
            "username": username_suffix(event.person.username),
            "user_id": event.person.id,
        }
    if event.reason is not None:
        known = f"reason.{event.reason}" in CATALOG
        values["reason"] = text(lang, f"reason.{event.reason}") if known else event.reason
    body = text(lang, f"notify.sms.{event.event.value}", **values)
    if event.for_change and event.event is not SmsEvent.CHANGE_REFUSED:
        body = Html(body + text(lang, "notify.sms.for_change"))
    return body


def lost_access(lang: str, lost: LostAccess) -> Html:
    """Who lost access and why, then which seeds they saw (an owner who left keeps it)."""
    who = lost.person
    values: dict[str, object] = {
        "name": who.full_name,
        "username": username_suffix(who.username),
        "user_id": who.id,
        "by": lost.by.full_name if lost.by is not None else "—",
        "group": lost.group or "—",
    }
    if lost.loss is Loss.REMOVED:
        values["by"] = text(lang, "lost.removed_by", by=lost.by.full_name) if lost.by else Html("")
    headline = text(lang, f"lost.{lost.loss.value}", **values)
    if lost.loss is Loss.OWNER_LEFT:
        return headline
    return Html(headline + "\n" + seen_seeds(lang, lost.seen))


def _by(actor: Person, at: datetime, zone: tzinfo) -> dict[str, object]:
    """Who did what a notice tells, and when: the parameters such notices share."""
    return {
        "name": actor.full_name,
        "username": username_suffix(actor.username),
        "user_id": actor.id,
        "time": stamped(at, zone),
    }


def _code_notice(lang: str, event: CodeRequestNotice, zone: tzinfo) -> Html:
    return text(
        lang,
        "notify.code",
        time=stamped(event.at, zone),
        **_request(lang, event),
    )


def _request(lang: str, event: CodeRequestNotice) -> dict[str, object]:
    """What a notice and a digest line say of one code request: outcome, who, what, where."""
    who = event.requester
    return {
        "outcome": _request_outcome(lang, event.outcome),
        "name": who.full_name,
        "username": username_suffix(who.username),
        "user_id": who.id,
        "account": event.account or text(lang, "notify.no_account"),
        "place": _request_place(lang, event.place, privately=event.privately),
    }


def packed(parts: Sequence[Html]) -> list[Html]:
    """Parts (each under the limit, e.g. from `chunked`) joined by blank lines into as
    few messages as fit under Telegram's length limit."""
    messages: list[Html] = []
    for part in parts:
        if messages and len(messages[-1]) + 2 + len(part) <= CHUNK:
            messages[-1] = Html(messages[-1] + "\n\n" + part)
        else:
            messages.append(part)
    return messages


def _request_outcome(lang: str, outcome: str) -> Html:
    if outcome == "granted":
        return text(lang, "notify.granted")
    if outcome == "undelivered":
        return text(lang, "notify.undelivered")
    reason = text(lang, f"reason.{outcome.removeprefix('denied:')}")
    return text(lang, "notify.denied", reason=reason)


def _request_place(lang: str, where: Place, *, privately: bool = False) -> Html:
    if where.private:
        return text(lang, "notify.private")
    group = text(lang, "notify.group", title=where.title or "", chat_id=where.chat_id)
    # Asked for in the group, delivered in the requester's private chat.
    return text(lang, "notify.then_private", place=group) if privately else group


def digest(lang: str, tallies: Sequence[Tally], uncounted: int) -> Html:
    """Requests of the last minute not told one by one: who asked for what, where, how
    often. As many lines as fit in one message; the rest are counted."""
    lines: list[str] = []
    size = 0
    for tally in tallies:
        times = text(lang, "notify.digest_times", count=tally.times) if tally.times > 1 else ""
        line = text(lang, "notify.digest_line", times=times, **_request(lang, tally.notice))
        if lines and size + len(line) > CHUNK:
            break
        lines.append(line)
        size += len(line) + 1
    more = uncounted + sum(t.times for t in tallies[len(lines) :])
    if more:
        lines.append(text(lang, "notify.digest_more", count=more))
    return text(lang, "notify.digest", lines=Html("\n".join(lines)))

"""Turning domain results into message text and keyboards, from the message catalog."""

from __future__ import annotations

import html
from collections.abc import Sequence

from telegram import CopyTextButton, InlineKeyboardButton, InlineKeyboardMarkup

from bot.chat.buttons import Kind, data
from bot.chat.coalescing import Tally
from bot.messages import CATALOG, Html, issuer_suffix, text, username_suffix
from bot.rules.errors import TeamOtpError
from bot.rules.model import (
    AccountInfo,
    Approval,
    AuditEntry,
    CodeRequestNotice,
    ExportNotice,
    IssuedCode,
    LockNotice,
    MemberView,
    Notice,
    Person,
    Place,
)


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
    return body, InlineKeyboardMarkup([buttons])


def picker(lang: str, accounts: tuple[AccountInfo, ...]) -> tuple[Html, InlineKeyboardMarkup]:
    rows = [
        [InlineKeyboardButton(account.name, callback_data=data(Kind.PICK, account.id))]
        for account in accounts
    ]
    return text(lang, "code.pick"), InlineKeyboardMarkup(rows)


def account_list(lang: str, accounts: list[AccountInfo]) -> list[Html]:
    if not accounts:
        return [text(lang, "accounts.none")]
    lines = [
        f"• <b>{html.escape(a.name)}</b>"
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
            issuer=issuer_suffix(a.issuer),
            digits=a.digits,
            period=a.period,
            algorithm=a.algorithm,
        )
        # A secret that no longer opens is marked, so an admin sees which one to re-add.
        + ("" if a.readable else text(lang, "secret.list_unreadable"))
        for a in accounts
    ]
    return chunked(lang, "secret.list", lines, count=len(accounts))


def grants(lang: str, view: MemberView) -> Html:
    if view.all_accounts and view.accounts:
        # Accounts a plain /add leaves out, granted by name on top.
        return text(lang, "members.all_accounts_plus", accounts=", ".join(view.accounts))
    if view.all_accounts:
        return text(lang, "members.all_accounts")
    if not view.accounts:
        return text(lang, "members.no_accounts")
    return Html(html.escape(", ".join(view.accounts)))


def member_list(lang: str, views: list[MemberView]) -> list[Html]:
    lines = [
        text(
            lang,
            "members.line",
            name=v.name,
            username=username_suffix(v.username),
            role=text(lang, f"role.{v.role.value}"),
            user_id=v.user_id,
            accounts=grants(lang, v),
        )
        for v in views
    ]
    return chunked(lang, "members.list", lines, count=len(views))


# Telegram's limit is 4096 characters after parsing; leave room for the header.
_CHUNK = 3500


def chunked(lang: str, key: str, lines: Sequence[str], **params: object) -> list[Html]:
    """The catalog message `key` (with a {lines} placeholder) once per chunk of whole
    lines, each under Telegram's length limit: long lists become several messages."""
    chunks: list[list[str]] = [[]]
    size = 0
    for line in lines:
        if chunks[-1] and size + len(line) > _CHUNK:
            chunks.append([])
            size = 0
        chunks[-1].append(line)
        size += len(line) + 1
    return [text(lang, key, lines=Html("\n".join(chunk)), **params) for chunk in chunks]


def audit_list(lang: str, entries: list[AuditEntry]) -> list[Html]:
    if not entries:
        return [text(lang, "audit.empty")]
    lines = [
        text(
            lang,
            "audit.line",
            time=e.at.strftime("%m-%d %H:%M:%S"),
            actor=e.actor_name or "—",
            event=_audit_event(lang, e),
            outcome=_audit_outcome(lang, e.outcome),
        )
        + (text(lang, "audit.times", count=e.count) if e.count > 1 else "")
        for e in entries
    ]
    return chunked(lang, "audit.header", lines, count=len(entries))


def _audit_event(lang: str, entry: AuditEntry) -> Html:
    """The event in the reader's language, from its code and parameters."""
    if entry.legacy_detail:
        # Written by an earlier version as free text, which a template would drop (its
        # `member.add` "gmail,aws" would read as all accounts): shown as it was written.
        return _raw_event(entry)
    values: dict[str, object] = {
        "account": entry.account or "—",
        "target": entry.target_name or "—",
        "chat": entry.chat_id if entry.chat_id is not None else "—",
        **dict(entry.params),
    }
    key = f"audit.event.{entry.action}"
    if entry.action == "member.add" and "accounts" not in values:
        values["accounts"] = text(lang, "members.all_accounts")
    if entry.action == "member.revoke" and "accounts" in values:
        key = "audit.event.member.revoke_some"
    if entry.action == "code" and entry.account is None:
        key = "audit.event.code_unnamed"
    if entry.action == "code" and "approved_until" in values:
        key = "audit.event.code_standing"  # granted under an "Approve for 1 h"
    seconds = values.get("for_seconds")
    if entry.action == "code.approved" and isinstance(seconds, int):
        key = "audit.event.code.approved_for"
        values["hours"] = max(1, seconds // 3600)
    try:
        return text(lang, key, **values)
    except KeyError:
        return _raw_event(entry)  # an event this version does not know


def _raw_event(entry: AuditEntry) -> Html:
    """An event with no template, as the first version showed it: code, account, target."""
    parts = [entry.action]
    if entry.account:
        parts.append(entry.account)
    if entry.target_name:
        parts.append(f"→ {entry.target_name}")
    if entry.legacy_detail:
        parts.append(f"({entry.legacy_detail})")
    return Html(html.escape(" ".join(parts), quote=False))


def _audit_outcome(lang: str, outcome: str) -> Html:
    if outcome in ("ok", "owner"):
        return Html("")
    reason = outcome.removeprefix("denied:")
    if reason != outcome and f"reason.{reason}" in CATALOG:
        return text(lang, "audit.refused", reason=text(lang, f"reason.{reason}"))
    if f"audit.outcome.{outcome}" in CATALOG:
        return text(lang, f"audit.outcome.{outcome}")
    return Html(html.escape(f" [{outcome}]", quote=False))


def notice(lang: str, event: Notice) -> Html:
    if isinstance(event, ExportNotice):
        return text(
            lang,
            "notify.export",
            account=event.account,
            name=event.owner.full_name,
            username=username_suffix(event.owner.username),
            user_id=event.owner.id,
            time=event.at.strftime("%Y-%m-%d %H:%M:%S UTC"),
        )
    if isinstance(event, LockNotice):
        return text(
            lang,
            "notify.locked" if event.locked else "notify.unlocked",
            name=event.actor.full_name,
            username=username_suffix(event.actor.username),
            user_id=event.actor.id,
            time=event.at.strftime("%Y-%m-%d %H:%M:%S UTC"),
        )
    return _code_notice(lang, event)


def _code_notice(lang: str, event: CodeRequestNotice) -> Html:
    return text(
        lang,
        "notify.code",
        time=event.at.strftime("%Y-%m-%d %H:%M:%S UTC"),
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
        "place": _request_place(lang, event.place),
    }


def packed(parts: Sequence[Html]) -> list[Html]:
    """Parts (each under the limit, e.g. from `chunked`) joined by blank lines into as
    few messages as fit under Telegram's length limit."""
    messages: list[Html] = []
    for part in parts:
        if messages and len(messages[-1]) + 2 + len(part) <= _CHUNK:
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


def _request_place(lang: str, where: Place) -> Html:
    if where.private:
        return text(lang, "notify.private")
    return text(lang, "notify.group", title=where.title or "", chat_id=where.chat_id)


def digest(lang: str, tallies: Sequence[Tally], uncounted: int) -> Html:
    """Requests of the last minute not told one by one: who asked for what, where, how
    often. As many lines as fit in one message; the rest are counted."""
    lines: list[str] = []
    size = 0
    for tally in tallies:
        times = text(lang, "notify.digest_times", count=tally.times) if tally.times > 1 else ""
        line = text(lang, "notify.digest_line", times=times, **_request(lang, tally.notice))
        if lines and size + len(line) > _CHUNK:
            break
        lines.append(line)
        size += len(line) + 1
    more = uncounted + sum(t.times for t in tallies[len(lines) :])
    if more:
        lines.append(text(lang, "notify.digest_more", count=more))
    return text(lang, "notify.digest", lines=Html("\n".join(lines)))

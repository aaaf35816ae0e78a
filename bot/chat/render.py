"""Turning domain results into message text and keyboards, from the message catalog."""

from __future__ import annotations

import html
from collections.abc import Sequence

from telegram import CopyTextButton, InlineKeyboardButton, InlineKeyboardMarkup

from bot.messages import Html, text
from bot.rules.errors import TeamOtpError
from bot.rules.model import (
    AccountInfo,
    AuditEntry,
    CodeRequestNotice,
    ExportNotice,
    IssuedCode,
    MemberView,
    Notice,
    Person,
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


PICK_PREFIX = "code:"


def picker(lang: str, accounts: tuple[AccountInfo, ...]) -> tuple[Html, InlineKeyboardMarkup]:
    rows = [
        [InlineKeyboardButton(account.name, callback_data=f"{PICK_PREFIX}{account.id}")]
        for account in accounts
    ]
    return text(lang, "code.pick"), InlineKeyboardMarkup(rows)


def account_list(lang: str, accounts: list[AccountInfo]) -> list[Html]:
    if not accounts:
        return [text(lang, "accounts.none")]
    lines = [f"• <b>{html.escape(a.name)}</b>" for a in accounts]
    return _chunked(lang, "accounts.list", lines)


def secret_list(lang: str, accounts: list[AccountInfo]) -> list[Html]:
    if not accounts:
        return [text(lang, "secret.list_empty")]
    lines = [
        text(
            lang,
            "secret.list_line",
            name=a.name,
            issuer=f" ({a.issuer})" if a.issuer else "",
            digits=a.digits,
            period=a.period,
            algorithm=a.algorithm,
        )
        for a in accounts
    ]
    return _chunked(lang, "secret.list", lines, count=len(accounts))


def grants(lang: str, view: MemberView) -> Html:
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
            username=f" @{v.username}" if v.username else "",
            role=text(lang, f"role.{v.role.value}"),
            user_id=v.user_id,
            accounts=grants(lang, v),
        )
        for v in views
    ]
    return _chunked(lang, "members.list", lines, count=len(views))


# Telegram's limit is 4096 characters after parsing; leave room for the header.
_CHUNK = 3500


def _chunked(lang: str, key: str, lines: Sequence[str], **params: object) -> list[Html]:
    """One message per chunk of whole lines, each under Telegram's length limit."""
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
    lines = []
    for e in entries:
        parts = [e.at.strftime("%m-%d %H:%M:%S"), e.actor_name or "—", e.action]
        if e.account:
            parts.append(e.account)
        if e.target_name:
            parts.append(f"→ {e.target_name}")
        if e.outcome != "ok":
            parts.append(f"[{e.outcome}]")
        if e.detail:
            parts.append(f"({e.detail})")
        lines.append(html.escape(" ".join(parts)))
    return _chunked(lang, "audit.header", lines, count=len(entries))


def notice(lang: str, event: Notice) -> Html:
    if isinstance(event, ExportNotice):
        return text(
            lang,
            "notify.export",
            account=event.account,
            name=event.owner.full_name,
            username=f" @{event.owner.username}" if event.owner.username else "",
            user_id=event.owner.id,
            time=event.at.strftime("%Y-%m-%d %H:%M:%S UTC"),
        )
    return _code_notice(lang, event)


def _code_notice(lang: str, event: CodeRequestNotice) -> Html:
    if event.outcome == "granted":
        outcome = text(lang, "notify.granted")
    else:
        reason = text(lang, f"reason.{event.outcome.removeprefix('denied:')}")
        outcome = text(lang, "notify.denied", reason=reason)
    where = (
        text(lang, "notify.private")
        if event.place.private
        else text(lang, "notify.group", title=event.place.title or "", chat_id=event.place.chat_id)
    )
    who = event.requester
    return text(
        lang,
        "notify.code",
        outcome=outcome,
        name=who.full_name,
        username=f" @{who.username}" if who.username else "",
        user_id=who.id,
        account=event.account or text(lang, "notify.no_account"),
        place=where,
        time=event.at.strftime("%Y-%m-%d %H:%M:%S UTC"),
    )

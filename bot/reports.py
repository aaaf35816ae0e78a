"""Reports shared by the chat and the command line, which load no Telegram library."""

from __future__ import annotations

import html
from collections.abc import Sequence
from datetime import UTC, datetime, tzinfo

from bot.messages import CATALOG, Html, Key, listed, text, username_suffix
from bot.rules.clock import zone_name
from bot.rules.model import OPERATOR, Added, AuditEntry, Change, MemberView, SeenSeed, Sighting
from bot.rules.terms import shown
from storage.auditchain import ChainState


def chain_report(lang: str, state: ChainState) -> Html:
    """The audit chain's state in a sentence or two (`/status`, `teamotp audit verify`)."""
    if state.broken_at is not None:
        return text(lang, f"chain.broken.{state.problem}", event_id=state.broken_at)
    if state.head_id is None or state.head_hash is None:
        report = text(lang, "chain.empty")
    else:
        report = text(
            lang,
            "chain.intact",
            rows=state.rows - state.unchained,
            head_id=state.head_id,
            head_hash=state.head_hash,
        )
    if state.unchained:
        report = Html(report + "\n" + text(lang, "chain.unchained", count=state.unchained))
    return report


# Accounts named one by one in a notice: with the rest counted, it stays one message.
_SEEN_SHOWN = 30


# Telegram's limit is 4096 characters after parsing; leave room for the header.
CHUNK = 3500


def grants(lang: str, view: MemberView, now: datetime | None = None, zone: tzinfo = UTC) -> Html:
    """What the member may use, with when each part ends (and, given `now`, how soon)."""
    if view.all_accounts:
        everything = ending(lang, text(lang, "members.all_accounts"), view.until, now, zone)
        if not view.accounts:
            return everything
        if view.until is None:
            # Accounts a plain /add leaves out, granted by name on top.
            named = _named(lang, view, now, zone)
            return text(lang, "members.all_accounts_plus", accounts=named)
        return text(lang, "grants.then", first=everything, then=_named(lang, view, now, zone))
    if not view.accounts:
        return text(lang, "members.no_accounts")
    return _named(lang, view, now, zone)


def _named(lang: str, view: MemberView, now: datetime | None, zone: tzinfo) -> Html:
    """Named grants: one end after them all when they share it, else one after each."""
    ends = view.ends or (None,) * len(view.accounts)
    if len(set(ends)) == 1:
        return ending(lang, listed(lang, view.accounts), ends[0], now, zone)
    return listed(
        lang,
        [
            ending(lang, Html(html.escape(name)), end, now, zone)
            for name, end in zip(view.accounts, ends, strict=True)
        ],
    )


def ending(
    lang: str,
    what: Html,
    end: datetime | None,
    now: datetime | None = None,
    zone: tzinfo = UTC,
) -> Html:
    """`what` and when it ends: the time in the team's zone, and how long from `now` when
    given."""
    if end is None:
        return what
    if now is None:
        return text(lang, "grants.until", accounts=what, time=shown(end, zone))
    left = span(lang, (end - now).total_seconds())
    return text(lang, "grants.until_in", accounts=what, time=shown(end, zone), span=left)


def span(lang: str, seconds: float) -> Html:
    """A time still to run, in whole minutes rounded down (an end on a whole minute counted
    from a moment inside one), in at most two units."""
    minutes = max(1, int(seconds // 60))
    if minutes < 60:
        return text(lang, "span.minutes", minutes=minutes)
    if minutes < 48 * 60:
        hours, rest = divmod(minutes, 60)
        if rest:
            return text(lang, "span.hours_minutes", hours=hours, minutes=rest)
        return text(lang, "span.hours", hours=hours)
    days, rest = divmod(minutes, 24 * 60)
    if rest // 60:
        return text(lang, "span.days_hours", days=days, hours=rest // 60)
    return text(lang, "span.days", days=days)


def added(lang: str, result: Added, zone: tzinfo = UTC) -> Html:
    """The admin's reply to /add: who has what until when, and what changed."""
    view = result.member
    accounts = grants(lang, view, result.at, zone)
    body = text(lang, "members.added", name=view.name, accounts=accounts)
    if result.change in (Change.LONGER, Change.SHORTER, Change.PERMANENT):
        return Html(body + "\n" + text(lang, f"grants.{result.change.value}"))
    return body


def member_list(
    lang: str, views: list[MemberView], now: datetime | None = None, zone: tzinfo = UTC
) -> list[Html]:
    lines = [
        text(
            lang,
            "members.line",
            name=v.name,
            username=username_suffix(v.username),
            role=text(lang, f"role.{v.role.value}"),
            user_id=v.user_id,
            accounts=grants(lang, v, now, zone),
        )
        for v in views
    ]
    return chunked(lang, "members.list", lines, count=len(views))


def chunked(lang: str, key: str, lines: Sequence[str], **params: object) -> list[Html]:
    """The catalog message `key` (with a {lines} placeholder) once per chunk of whole
    lines, each under Telegram's length limit: long lists become several messages."""
    chunks: list[list[str]] = [[]]
    size = 0
    for line in lines:
        if chunks[-1] and size + len(line) > CHUNK:
            chunks.append([])
            size = 0
        chunks[-1].append(line)
        size += len(line) + 1
    return [text(lang, key, lines=Html("\n".join(chunk)), **params) for chunk in chunks]


def seen_seeds(lang: str, seen: Sequence[SeenSeed]) -> Html:
    """The accounts to re-key at the site, or that there are none."""
    if not seen:
        return text(lang, "seen.none")
    lines = [
        text(
            lang,
            "seen.line",
            account=s.account,
            hows=listed(lang, [text(lang, f"seen.how.{how.value}") for how in s.hows]),
        )
        for s in seen[:_SEEN_SHOWN]
    ]
    if len(seen) > _SEEN_SHOWN:
        lines.append(text(lang, "seen.more", count=len(seen) - _SEEN_SHOWN))
    return text(lang, "seen.some", lines=Html("\n".join(lines)))


def username_seen(lang: str, sighting: Sighting) -> Html:
    """Whom an @username meant when the bot last saw it: usernames change hands."""
    return text(
        lang,
        "members.username_seen",
        username=f"@{sighting.username}",
        user_id=sighting.user_id,
        days=sighting.days,
        date=sighting.last_seen.strftime("%Y-%m-%d"),
    )


def audit_list(lang: str, entries: list[AuditEntry], zone: tzinfo = UTC) -> list[Html]:
    """`/audit`: one line an event, its time in the team's zone (named in the header)."""
    if not entries:
        return [text(lang, "audit.empty")]
    lines = [audit_line(lang, e, e.at.astimezone(zone).strftime("%m-%d %H:%M:%S")) for e in entries]
    zone_label = zone_name(zone, entries[-1].at)
    return chunked(lang, "audit.header", lines, count=len(entries), zone=zone_label)


def audit_line(lang: str, entry: AuditEntry, time: str) -> Html:
    """One event as a reader reads it: when (as the caller shows times), who, what, and
    how it ended. `/audit` and `teamotp audit` say it in the same words."""
    line = text(
        lang,
        "audit.line",
        time=time,
        actor=audit_actor(lang, entry),
        event=_audit_event(lang, entry),
        outcome=_audit_outcome(lang, entry.outcome),
    )
    if entry.count > 1:
        return Html(line + text(lang, "audit.times", count=entry.count))
    return line


def audit_actor(lang: str, entry: AuditEntry) -> Html | str:
    """Who did it. What was done on the server (`teamotp members`, `teamotp accounts`) is
    the server's doing: its actor is no Telegram user, and its id (0) names nobody."""
    if entry.actor_id == OPERATOR.id:
        return text(lang, "audit.actor.server")
    return entry.actor_name or "—"


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
    if isinstance(values.get("accounts"), str):
        # Kept as "a, b" (names hold no comma): listed as the reader's language lists.
        values["accounts"] = tuple(str(values["accounts"]).split(", "))
    key = f"audit.event.{entry.action}"
    if entry.action in ("member.add", "member.expire") and "accounts" not in values:
        values["accounts"] = text(lang, "members.all_accounts")
    if entry.action == "member.add" and "until" in values:
        key = "audit.event.member.add_until"
    if entry.action == "member.revoke" and "accounts" in values:
        key = "audit.event.member.revoke_some"
    if entry.action == "member.left_roster" and values.get("how") == "removed":
        key = "audit.event.member.left_roster_removed"
    if entry.action == "sms" and entry.target_name:
        key = "audit.event.sms_to"
    if entry.action == "code" and entry.account is None:
        key = "audit.event.code_unnamed"
    if entry.action == "code" and "approved_until" in values:
        key = "audit.event.code_standing"  # granted under an "Approve for 1 h"
    if entry.action == "chat.language" and f"lang.name.{values.get('language')}" in CATALOG:
        values["language"] = text(lang, f"lang.name.{values['language']}")
    seconds = values.get("for_seconds")
    if entry.action == "code.approved" and isinstance(seconds, int):
        key = "audit.event.code.approved_for"
        values["hours"] = max(1, seconds // 3600)
    if entry.action == "account.policy":
        values.update(_policy_words(values))
    try:
        return text(lang, key, **values)
    except KeyError:
        return _raw_event(entry)  # an event this version does not know


def _policy_words(values: dict[str, object]) -> dict[str, object]:
    """`/policy`'s setting and value are stored as typed (`approval`, `admin`), which the
    chain hashes: named here in the reader's words. A word this version does not know (a
    later version's) stays as stored."""
    setting, value = values.get("setting"), values.get("value")
    named: dict[str, object] = {}
    if isinstance(setting, str) and f"audit.policy.{setting}" in CATALOG:
        named["setting"] = Key(f"audit.policy.{setting}")
        if isinstance(value, str) and f"audit.policy.{setting}.{value}" in CATALOG:
            named["value"] = Key(f"audit.policy.{setting}.{value}")
    return named


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

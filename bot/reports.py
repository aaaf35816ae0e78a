"""Reports shared by the chat and the command line, which load no Telegram library."""

from __future__ import annotations

import html
from collections.abc import Sequence
from datetime import UTC, datetime, tzinfo

from bot.messages import Html, listed, text, username_suffix
from bot.rules.model import Added, Change, MemberView, SeenSeed, Sighting
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


def grants(
    lang: str, view: MemberView, now: datetime | None = None, zone: tzinfo = UTC
) -> Html:
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

"""Grants that end by themselves: how long one may last, and whether it still holds.

An end is kept in the store (`Member.until` for the all-accounts grant, `Grant.until` for
a named account's) and read against the clock at every decision, so a grant is gone the
moment it ends, before any sweep tidies it away, and a restart in between changes
nothing. A member has two layers: the all-accounts grant, and named grants beside it,
each with its own end; what they may use is the union of the layers that still hold.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta, tzinfo

from bot.rules.accounts import policy_of
from bot.rules.clock import stamped, utc
from bot.rules.errors import InvalidInput
from bot.rules.model import PlainAdd
from storage.models import Account, Member

SHORTEST = timedelta(minutes=1)
LONGEST = timedelta(days=90)


def check_term(lasting: timedelta) -> None:
    """Within the limits `/add … for` promises: a duration from anywhere (a forged button
    included) is checked here, by the rules."""
    if not SHORTEST <= lasting <= LONGEST:
        raise InvalidInput("grants.bad_duration")


def ends_at(now: float, lasting: timedelta) -> datetime:
    """The end of a grant lasting `lasting` from `now`, rounded up to a whole minute: the
    time shown ("until 21:30 UTC") is then exactly when it ends, and it never falls short
    of what was asked."""
    check_term(lasting)
    return utc(math.ceil((now + lasting.total_seconds()) / 60) * 60)


def holds(until: datetime | None, now: datetime) -> bool:
    return until is None or until > now


def has_all(member: Member, now: datetime) -> bool:
    """The all-accounts grant holds at `now`."""
    return member.all_accounts and holds(member.until, now)


def live_grants(member: Member, now: datetime) -> dict[int, datetime | None]:
    """The named grants that hold at `now`: account id → end (None: none)."""
    return {g.account_id: g.until for g in member.grants if holds(g.until, now)}


def in_plain_add(account: Account) -> bool:
    """Whether the all-accounts grant (a plain `/add`) covers this account: its policy may
    say that only a grant by name does."""
    return policy_of(account).members is PlainAdd.ALL


def has_account(member: Member, account: Account, now: datetime) -> bool:
    return (has_all(member, now) and in_plain_add(account)) or account.id in live_grants(
        member, now
    )


def end_of(member: Member, account: Account, now: datetime) -> datetime | None:
    """When the member's access to an account they have ends (None: it does not): the
    later of the layers that give it."""
    ends: list[datetime | None] = []
    if has_all(member, now) and in_plain_add(account):
        ends.append(member.until)
    named = live_grants(member, now)
    if account.id in named:
        ends.append(named[account.id])
    known = [end for end in ends if end is not None]
    return None if len(known) < len(ends) or not known else max(known)


def has_ended(member: Member, now: datetime) -> bool:
    """Everything the member was given has ended (it stays in the store until the next
    sweep). A member left with no accounts by `/revoke` has not ended: nothing of theirs
    had an end."""
    something_ended = (member.all_accounts and not holds(member.until, now)) or any(
        not holds(grant.until, now) for grant in member.grants
    )
    return something_ended and not has_all(member, now) and not live_grants(member, now)


def shown(at: datetime, zone: tzinfo = UTC) -> str:
    """An end to the minute, in no language: in UTC as the audit log keeps it, or in the
    team's zone as people read it."""
    return stamped(at, zone, "%Y-%m-%d %H:%M")

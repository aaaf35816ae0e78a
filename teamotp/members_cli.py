"""`teamotp members …`: the team on the server, with the chat's rules and its words: who
is in it (`list`), and `add`, `revoke`, `promote` and `demote` by whoever runs the
command, recorded in the audit log as done by the server operator. The person is named by
their numeric Telegram id, or by an @username the bot has seen; account names and
`for 8h` follow as in the chat. Nobody is notified in Telegram: the audit log has it.
No Telegram library is loaded on this path."""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections.abc import Iterator

from bot.chat.durations import split_duration
from bot.messages import Html, plain, text
from bot.reports import added, grants, member_list, seen_seeds, username_seen
from bot.rules.clock import utc
from bot.rules.errors import TeamOtpError
from bot.rules.model import OPERATOR, Target
from bot.rules.services import Services
from teamotp.config import ConfigError
from teamotp.telling import (
    Parser,
    description,
    examples,
    failure,
    operator_language,
    said,
)
from teamotp.wiring import StartupError, server_rules

_ID = re.compile(r"[0-9]{1,20}")
_USERNAME = re.compile(r"@([A-Za-z][A-Za-z0-9_]{1,31})")


def add_parser(commands: argparse._SubParsersAction[Parser], lang: str) -> None:
    members = commands.add_parser(
        "members",
        lang=lang,
        help=said(lang, "cli.help.members"),
        description=description(lang, said(lang, "cli.help.members_description")),
        epilog=examples(
            lang,
            "teamotp members list",
            "teamotp members add 123456789",
            "teamotp members add @mia amazon-us for 8h",
            "teamotp members revoke @mia",
            "teamotp members promote 123456789",
        ),
    )
    actions = members.add_subparsers(dest="action", required=True, metavar="ACTION")
    actions.add_parser(
        "list",
        lang=lang,
        help=said(lang, "cli.help.members_list"),
        epilog=examples(lang, "teamotp members list"),
    )
    for action, accounts in (
        ("add", True),
        ("revoke", True),
        ("promote", False),
        ("demote", False),
    ):
        parser = actions.add_parser(
            action,
            lang=lang,
            help=said(lang, f"cli.help.members_{action}"),
            epilog=examples(lang, f"teamotp members {action} 123456789")
            if not accounts
            else examples(
                lang,
                f"teamotp members {action} 123456789",
                f"teamotp members {action} @mia amazon-us" + (" for 8h" if action == "add" else ""),
            ),
        )
        parser.add_argument("who", metavar="ID|@USERNAME", help=said(lang, "cli.help.members_who"))
        if accounts:
            parser.add_argument(
                "words",
                nargs="*",
                metavar="ACCOUNT",
                help=said(lang, f"cli.help.members_{action}_accounts"),
            )


def run(args: argparse.Namespace) -> int:
    lang = operator_language()
    try:
        with server_rules() as services:
            for message in _dispatch(args, services, lang):
                print(plain(message))
    except (ConfigError, StartupError) as error:
        print(failure(error, lang), file=sys.stderr)
        return 2
    except TeamOtpError as refused:
        print(plain(text(lang, refused.key, **refused.params)), file=sys.stderr)
        return 1
    return 0


def target(who: str) -> Target:
    """The person as the command line names them: a numeric id, or an @username."""
    if _ID.fullmatch(who):
        return Target(user_id=int(who))
    named = _USERNAME.fullmatch(who)
    if named is not None:
        return Target(username=named.group(1))
    raise TeamOtpError("cli.members.bad_who")


def _dispatch(args: argparse.Namespace, services: Services, lang: str) -> Iterator[Html]:
    roster, now = services.roster, utc(time.time())
    if args.action == "list":
        yield from member_list(lang, roster.members(OPERATOR), now)
        return
    who = target(args.who)
    if args.action == "add":
        names, lasting = split_duration(args.words)
        seen: Html | None = None
        if who.username is not None:
            # Usernames change hands: as in the chat, say whom the name meant when last
            # seen, and add nobody by a name last seen long ago.
            sighting = roster.sighting(OPERATOR, who.username, names)
            seen = username_seen(lang, sighting)
            if sighting.stale:
                yield seen
                yield text(lang, "members.username_stale")
                raise TeamOtpError("cli.members.add_by_id", user_id=sighting.user_id)
            who = Target(user_id=sighting.user_id)
            seen = None if sighting.recent else seen
        yield added(lang, roster.add(OPERATOR, who, names, lasting=lasting))
        if seen is not None:
            yield seen
    elif args.action == "revoke":
        done = roster.revoke(OPERATOR, who, args.words)
        if done.left is None:
            yield text(lang, "members.revoked", name=done.name)
            yield seen_seeds(lang, done.lost.seen if done.lost else ())
        else:
            left = grants(lang, done.left, now)
            yield text(lang, "members.narrowed", name=done.left.name, accounts=left)
    elif args.action == "promote":
        yield text(lang, "members.promoted", name=roster.promote(OPERATOR, who).name)
    else:
        demoted = roster.demote(OPERATOR, who)
        yield text(lang, "members.demoted", name=demoted.view.name)
        yield seen_seeds(lang, demoted.lost.seen)

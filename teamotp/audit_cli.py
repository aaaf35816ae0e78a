"""`teamotp audit verify`: check the audit log's hash chain on the server.

Exit code 0 when the chain is intact, 1 when it is broken (naming the first broken link),
2 when the store cannot be opened. No Telegram library is loaded on this path."""

from __future__ import annotations

import argparse
import sys
from typing import TextIO

from bot.messages import plain
from bot.reports import chain_report
from bot.rules.model import OPERATOR
from teamotp.config import ConfigError
from teamotp.help_format import HelpFormatter
from teamotp.wiring import StartupError, operator_language, server_rules


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    audit = commands.add_parser(
        "audit",
        help="check the audit log",
        description="Check that no audit event was changed, removed or added behind the "
        "bot's back.",
        epilog="example:\n  teamotp audit verify",
        formatter_class=HelpFormatter,
    )
    actions = audit.add_subparsers(dest="action", required=True, metavar="ACTION")
    actions.add_parser(
        "verify",
        help="check the hash chain; exit 1 and name the first broken link if broken",
        description="Check the audit log's hash chain: exit 0 and print its head when it is "
        "intact, exit 1 and name the first broken link when it is not.",
        epilog="example:\n  teamotp audit verify && echo intact",
        formatter_class=HelpFormatter,
    )


def run(args: argparse.Namespace, out: TextIO | None = None) -> int:
    out = sys.stdout if out is None else out
    lang = operator_language()
    try:
        with server_rules() as services:
            state = services.audit.chain(OPERATOR)
    except (ConfigError, StartupError) as error:
        print(f"teamotp: {error}", file=sys.stderr)
        return 2
    print(plain(chain_report(lang, state)), file=out if state.intact else sys.stderr)
    return 0 if state.intact else 1

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
from teamotp.telling import Parser, description, failure, operator_language, said
from teamotp.wiring import StartupError, server_rules


def add_parser(commands: argparse._SubParsersAction[Parser], lang: str) -> None:
    audit = commands.add_parser(
        "audit",
        lang=lang,
        help=said(lang, "cli.help.audit"),
        description=description(lang, said(lang, "cli.help.audit_description")),
    )
    actions = audit.add_subparsers(dest="action", required=True, metavar="ACTION")
    actions.add_parser("verify", lang=lang, help=said(lang, "cli.help.audit_verify"))


def run(args: argparse.Namespace, out: TextIO | None = None) -> int:
    out = sys.stdout if out is None else out
    lang = operator_language()
    try:
        with server_rules() as services:
            state = services.audit.chain(OPERATOR)
    except (ConfigError, StartupError) as error:
        print(failure(error, lang), file=sys.stderr)
        return 2
    print(plain(chain_report(lang, state)), file=out if state.intact else sys.stderr)
    return 0 if state.intact else 1

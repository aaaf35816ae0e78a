"""`teamotp audit verify`: check the audit log's hash chain on the server.

Exit code 0 when the chain is intact, 1 when it is broken (naming the first broken link),
2 when the store cannot be opened. No Telegram library is loaded on this path."""

from __future__ import annotations

import argparse
import os
import sys
import time
from typing import TextIO

from bot.messages import language_for, plain
from bot.reports import chain_report
from bot.rules.model import OPERATOR, Notice
from teamotp.config import ConfigError, load_settings
from teamotp.wiring import StartupError, build_rules, open_configured_store


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    audit = commands.add_parser(
        "audit",
        help="check the audit log",
        description="Check that no audit event was changed, removed or added behind the "
        "bot's back.",
    )
    actions = audit.add_subparsers(dest="action", required=True, metavar="ACTION")
    actions.add_parser(
        "verify", help="check the hash chain; exit 1 and name the first broken link if broken"
    )


def run(args: argparse.Namespace, out: TextIO | None = None) -> int:
    out = sys.stdout if out is None else out
    lang = language_for(os.environ.get("LC_ALL") or os.environ.get("LANG"))
    try:
        settings = load_settings()
        store = open_configured_store(settings)
    except (ConfigError, StartupError) as error:
        print(f"teamotp: {error}", file=sys.stderr)
        return 2
    try:
        services = build_rules(settings, store, _NoNotices(), time.time, audit_chat=False)
        state = services.audit.chain(OPERATOR)
    finally:
        store.close()
    print(plain(chain_report(lang, state)), file=out if state.intact else sys.stderr)
    return 0 if state.intact else 1


class _NoNotices:
    """Verifying tells nobody anything."""

    def publish(self, notice: Notice) -> None:
        return None

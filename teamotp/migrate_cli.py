"""`teamotp migrate`: bring the store's schema to this version's, by hand.

The bot does the same at start unless `TEAMOTP_AUTO_MIGRATE=0`; operators who set that
run this once after an upgrade of teamotp (before starting the new version), or `--check`
in a deployment script. The master key is checked first: a store written with another
key is left as it is."""

from __future__ import annotations

import argparse
import sys
from typing import TextIO

from bot.messages import plain, text
from storage.database import StoreError, schema_state
from teamotp.config import ConfigError, load_settings
from teamotp.telling import Parser, description, examples, failure, operator_language, said
from teamotp.wiring import StartupError, open_configured_store


def add_parser(commands: argparse._SubParsersAction[Parser], lang: str) -> None:
    migrate = commands.add_parser(
        "migrate",
        lang=lang,
        help=said(lang, "cli.help.migrate"),
        description=description(lang, said(lang, "cli.help.migrate_description")),
        epilog=examples(lang, "teamotp migrate --check", "teamotp migrate"),
    )
    migrate.add_argument("--check", action="store_true", help=said(lang, "cli.help.migrate_check"))


def run(args: argparse.Namespace, out: TextIO | None = None) -> int:
    out = sys.stdout if out is None else out
    lang = operator_language()
    try:
        settings = load_settings()
        before, has_tables, head = schema_state(settings.database_url)
        shown = before or text(lang, "cli.schema_before" if has_tables else "cli.schema_none")
        if args.check:
            key = "cli.schema_current" if before == head else "cli.schema_behind"
            print(plain(text(lang, key, found=shown, head=head)), file=out)
            return 0 if before == head else 1
        open_configured_store(settings, migrate=True).close()
    except (ConfigError, StartupError, StoreError) as error:
        print(failure(error, lang), file=sys.stderr)
        return 2
    if before == head:
        print(plain(text(lang, "cli.schema_current", found=head, head=head)), file=out)
    else:
        print(plain(text(lang, "cli.schema_upgraded", found=shown, head=head)), file=out)
    return 0

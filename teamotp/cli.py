"""The `teamotp` command line."""

from __future__ import annotations

import asyncio
import dataclasses
import signal
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from bot.messages import Key
from teamotp import (
    __version__,
    accounts_cli,
    audit_cli,
    backup_cli,
    logs,
    migrate_cli,
    rotate_key_cli,
)
from teamotp.config import VARIABLES, ConfigError, load_settings
from teamotp.telling import (
    DESCRIPTION_WIDTH,
    Parser,
    description,
    failure,
    operator_language,
    said,
    wrapped,
)
from teamotp.wiring import StartupError, open_configured_store

if TYPE_CHECKING:
    from teamotp.app import BotApplication


def main(argv: Sequence[str] | None = None) -> int:
    # The server's locale: `--help` and what stops a command are told in its language.
    lang = operator_language()
    parser = Parser(
        prog="teamotp", lang=lang, description=description(lang, said(lang, "cli.help.teamotp"))
    )
    parser.add_argument(
        "--version",
        action="version",
        version=f"teamotp {__version__}",
        help=said(lang, "cli.help.version"),
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    run = commands.add_parser(
        "run",
        lang=lang,
        help=said(lang, "cli.help.run"),
        description=description(lang, said(lang, "cli.help.run_description")),
        epilog=_settings_help(lang),
    )
    run.add_argument("--webhook", action="store_true", help=said(lang, "cli.help.webhook"))
    accounts_cli.add_parser(commands, lang)
    audit_cli.add_parser(commands, lang)
    migrate_cli.add_parser(commands, lang)
    backup_cli.add_parsers(commands, lang)
    rotate_key_cli.add_parser(commands, lang)
    args = parser.parse_args(argv)
    if args.command == "run":
        return _run(lang, webhook=args.webhook)
    if args.command == "accounts":
        logs.configure("WARNING")
        return accounts_cli.run(args)
    if args.command == "audit":
        logs.configure("WARNING")
        return audit_cli.run(args)
    if args.command == "migrate":
        logs.configure("WARNING")
        return migrate_cli.run(args)
    if args.command == "backup":
        logs.configure("WARNING")
        return backup_cli.run_backup(args)
    if args.command == "restore":
        logs.configure("WARNING")
        return backup_cli.run_restore(args)
    if args.command == "rotate-key":
        logs.configure("WARNING")
        return rotate_key_cli.run(args)
    parser.error(f"unknown command {args.command}")
    return 2


def _settings_help(lang: str) -> str:
    """Every setting `load_settings` reads, with its default: from the one list of them."""
    lines = [said(lang, "cli.help.settings")]
    for variable in VARIABLES:
        default = variable.default
        shown = said(lang, default) if isinstance(default, Key) else default
        lines.append(f"  {variable.name}  {shown}")
        lines += wrapped(lang, said(lang, variable.meaning), DESCRIPTION_WIDTH, indent="      ")
    return "\n".join(lines)


def _run(lang: str, *, webhook: bool = False) -> int:
    # Imported here: `teamotp accounts` and `--version` need no Telegram library.
    from teamotp.app import build_application

    try:
        settings = load_settings()
        if webhook:
            settings = dataclasses.replace(settings, mode="webhook")
        logs.configure(settings.log_level)
        token = settings.require_token()
        logs.redact([token])
        if settings.mode == "webhook":
            logs.redact([settings.require_webhook().secret.get()])
        store = open_configured_store(settings)
    except (ConfigError, StartupError) as error:
        print(failure(error, lang), file=sys.stderr)
        return 2
    try:
        application = build_application(settings, store)
        asyncio.run(_serve_until_signalled(application))
    except StartupError as error:
        print(failure(error, lang), file=sys.stderr)
        return 1
    finally:
        store.close()
    return 0


async def _serve_until_signalled(application: BotApplication) -> None:
    from teamotp.app import serve

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    await serve(application, stop)

"""The `teamotp` command line."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import signal
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from bot.messages import Key
from teamotp import (
    __version__,
    accounts_cli,
    audit_cli,
    backup_cli,
    check_cli,
    init_cli,
    logs,
    members_cli,
    migrate_cli,
    rotate_key_cli,
)
from teamotp.config import VARIABLES, ConfigError, load_settings
from teamotp.telling import (
    DESCRIPTION_WIDTH,
    Parser,
    Told,
    description,
    examples,
    failure,
    operator_language,
    said,
    wrapped,
)
from teamotp.wiring import StartupError, open_configured_store

if TYPE_CHECKING:
    from teamotp.app import BotApplication


def build_parser(lang: str | None = None) -> Parser:
    """Every command's parser, saying its help in `lang` (by default the server's)."""
    lang = operator_language() if lang is None else lang
    parser = Parser(
        prog="teamotp",
        lang=lang,
        description=description(lang, said(lang, "cli.help.teamotp")),
        epilog=examples(
            lang, "teamotp init", "teamotp check", "teamotp run", "teamotp COMMAND --help"
        ),
    )
    parser.add_argument(
        "--version",
        action="version",
        version=f"teamotp {__version__}",
        help=said(lang, "cli.help.version"),
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    init_cli.add_parser(commands, lang)
    check_cli.add_parser(commands, lang)
    run = commands.add_parser(
        "run",
        lang=lang,
        help=said(lang, "cli.help.run"),
        description=description(lang, said(lang, "cli.help.run_description")),
        epilog=examples(
            lang, "TEAMOTP_BOT_TOKEN=123456:ABC... teamotp run", "teamotp run --webhook"
        )
        + "\n\n"
        + _settings_help(lang),
    )
    run.add_argument("--webhook", action="store_true", help=said(lang, "cli.help.webhook"))
    accounts_cli.add_parser(commands, lang)
    members_cli.add_parser(commands, lang)
    audit_cli.add_parser(commands, lang)
    migrate_cli.add_parser(commands, lang)
    backup_cli.add_parsers(commands, lang)
    rotate_key_cli.add_parser(commands, lang)
    return parser


# The server commands, by name: each configures logging for itself (warnings only: what
# they print is their answer) and returns its exit code.
_SERVER_COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "accounts": accounts_cli.run,
    "members": members_cli.run,
    "audit": audit_cli.run,
    "migrate": migrate_cli.run,
    "backup": backup_cli.run_backup,
    "restore": backup_cli.run_restore,
    "rotate-key": rotate_key_cli.run,
    "check": check_cli.run,
}


def main(argv: Sequence[str] | None = None) -> int:
    # The server's locale: `--help` and what stops a command are told in its language.
    lang = operator_language()
    parser = build_parser(lang)
    args = parser.parse_args(argv)
    if args.command == "run":
        return _run(lang, webhook=args.webhook)
    if args.command == "init":
        # `init` says itself what it made (the key file's "keep a copy" included).
        logs.configure("ERROR")
        return init_cli.run(args)
    command = _SERVER_COMMANDS.get(args.command)
    if command is None:
        parser.error(f"unknown command {args.command}")
    logs.configure("WARNING", Told(lang))
    return command(args)


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

"""The `teamotp` command line."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import signal
import sys
import textwrap
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from teamotp import (
    __version__,
    accounts_cli,
    audit_cli,
    backup_cli,
    check_cli,
    init_cli,
    logs,
    migrate_cli,
    rotate_key_cli,
)
from teamotp.config import VARIABLES, ConfigError, load_settings
from teamotp.help_format import HelpFormatter
from teamotp.wiring import StartupError, open_configured_store

if TYPE_CHECKING:
    from teamotp.app import BotApplication


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="teamotp",
        description="A team's shared authenticator, as a self-hosted Telegram bot.",
        epilog="examples:\n"
        "  teamotp init        # make the data directory, the master key and the database\n"
        "  teamotp check       # is everything in place? (settings, store, key, Bot API)\n"
        "  teamotp run         # start the bot\n"
        "  teamotp COMMAND --help",
        formatter_class=HelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"teamotp {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    init_cli.add_parser(commands)
    check_cli.add_parser(commands)
    run = commands.add_parser(
        "run",
        help="start the bot (long polling, or a webhook); stops cleanly on SIGTERM or Ctrl-C",
        description=textwrap.fill(
            "Start the bot. Its settings come from TEAMOTP_* environment variables and "
            "from ./.env (the environment wins); the README says more.",
            width=88,
        ),
        epilog="examples:\n"
        "  TEAMOTP_BOT_TOKEN=123456:ABC... teamotp run\n"
        "  teamotp run --webhook     # with TEAMOTP_WEBHOOK_URL and TEAMOTP_WEBHOOK_SECRET set\n"
        "\n" + _settings_help(),
        formatter_class=HelpFormatter,
    )
    run.add_argument(
        "--webhook",
        action="store_true",
        help="take updates from Telegram's webhook instead of polling (as TEAMOTP_MODE=webhook): "
        "needs TEAMOTP_WEBHOOK_URL and TEAMOTP_WEBHOOK_SECRET; listens on "
        "TEAMOTP_LISTEN_HOST:TEAMOTP_LISTEN_PORT and serves /healthz",
    )
    accounts_cli.add_parser(commands)
    audit_cli.add_parser(commands)
    migrate_cli.add_parser(commands)
    backup_cli.add_parsers(commands)
    rotate_key_cli.add_parser(commands)
    return parser


# The server commands, by name: each configures logging for itself (warnings only: what
# they print is their answer) and returns its exit code.
_SERVER_COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "accounts": accounts_cli.run,
    "audit": audit_cli.run,
    "migrate": migrate_cli.run,
    "backup": backup_cli.run_backup,
    "restore": backup_cli.run_restore,
    "rotate-key": rotate_key_cli.run,
    "check": check_cli.run,
}


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "run":
        return _run(webhook=args.webhook)
    if args.command == "init":
        # `init` says itself what it made (the key file's "keep a copy" included).
        logs.configure("ERROR")
        return init_cli.run(args)
    command = _SERVER_COMMANDS.get(args.command)
    if command is None:
        parser.error(f"unknown command {args.command}")
    logs.configure("WARNING")
    return command(args)


def _settings_help() -> str:
    """Every setting `load_settings` reads, with its default: from the one list of them."""
    lines = ["settings, each with its default:"]
    for variable in VARIABLES:
        lines.append(f"  {variable.name}  {variable.default}")
        lines += textwrap.wrap(
            variable.meaning, width=88, initial_indent="      ", subsequent_indent="      "
        )
    return "\n".join(lines)


def _run(*, webhook: bool = False) -> int:
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
        print(f"teamotp: {error}", file=sys.stderr)
        return 2
    try:
        application = build_application(settings, store)
        asyncio.run(_serve_until_signalled(application))
    except StartupError as error:
        print(f"teamotp: {error}", file=sys.stderr)
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

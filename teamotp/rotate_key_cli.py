"""`teamotp rotate-key`: every secret in the store re-sealed under a new master key, which
replaces the one in the key file (see `storage.keyrotation` for why a crash at any moment
leaves the store readable, and how the next start finishes the job).

Bots that are running keep the old key in memory: they must be restarted right after
(better: stopped before). No Telegram library is loaded on this path."""

from __future__ import annotations

import argparse
import sys
from typing import TextIO

from bot.messages import text
from storage.keyrotation import RotationError, rotate_key
from storage.sealed import UnreadableSecrets
from teamotp.backup_cli import secrets
from teamotp.config import ConfigError, load_settings
from teamotp.telling import Parser, description, examples, failure, operator_language, said
from teamotp.wiring import StartupError, open_configured_store


def add_parser(commands: argparse._SubParsersAction[Parser], lang: str) -> None:
    commands.add_parser(
        "rotate-key",
        lang=lang,
        help=said(lang, "cli.help.rotate_key"),
        description=description(lang, said(lang, "cli.help.rotate_key_description")),
        epilog=examples(lang, "teamotp rotate-key && systemctl restart teamotp"),
    )


def run(args: argparse.Namespace, out: TextIO | None = None) -> int:
    out = sys.stdout if out is None else out
    lang = operator_language()
    try:
        settings = load_settings()
        if settings.master_key is not None:
            print(
                said(lang, "cli.failed", reason=text(lang, "cli.rotate_key.env_key")),
                file=sys.stderr,
            )
            return 2
        store = open_configured_store(settings)
        try:
            rotated = rotate_key(store, settings.master_key_file)
        finally:
            store.close()
    except (ConfigError, StartupError) as error:
        print(failure(error, lang), file=sys.stderr)
        return 2
    except (RotationError, UnreadableSecrets) as error:
        print(failure(error, lang), file=sys.stderr)
        return 1
    shown = secrets(lang, rotated.resealed)
    print(said(lang, "cli.rotate_key.done", secrets=shown, path=settings.master_key_file), file=out)
    print(said(lang, "cli.rotate_key.kept", path=rotated.old_key_file), file=out)
    print(said(lang, "cli.rotate_key.restart"), file=out)
    return 0

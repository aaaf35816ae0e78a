"""`teamotp rotate-key`: every secret in the store re-sealed under a new master key, which
replaces the one in the key file (see `storage.keyrotation` for why a crash at any moment
leaves the store readable, and how the next start finishes the job).

Bots that are running keep the old key in memory: they must be restarted right after
(better: stopped before). No Telegram library is loaded on this path."""

from __future__ import annotations

import argparse
import sys
from typing import TextIO

from storage.keyrotation import RotationError, rotate_key
from storage.sealed import UnreadableSecrets
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
    try:
        settings = load_settings()
        if settings.master_key is not None:
            print(
                "teamotp: the master key comes from TEAMOTP_MASTER_KEY, which rotate-key "
                "cannot change: put the key in the file TEAMOTP_MASTER_KEY_FILE names, unset "
                "TEAMOTP_MASTER_KEY, and run it again",
                file=sys.stderr,
            )
            return 2
        store = open_configured_store(settings)
        try:
            rotated = rotate_key(store, settings.master_key_file)
        finally:
            store.close()
    except (ConfigError, StartupError) as error:
        print(failure(error, operator_language()), file=sys.stderr)
        return 2
    except (RotationError, UnreadableSecrets) as error:
        print(failure(error, operator_language()), file=sys.stderr)
        return 1
    print(
        f"Re-sealed {_secrets(rotated.resealed)} under a new master key, now in "
        f"{settings.master_key_file}.",
        file=out,
    )
    print(
        f"The previous key is kept in {rotated.old_key_file}: backups made before now need "
        "it (teamotp restore FILE --key-file ...); move it off this server.",
        file=out,
    )
    print("Restart every running bot now: until then it still holds the previous key.", file=out)
    return 0


def _secrets(count: int) -> str:
    return f"{count} secret{'' if count == 1 else 's'}"

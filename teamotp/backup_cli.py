"""`teamotp backup FILE` and `teamotp restore FILE`: the store copied out while the bot runs,
and put back (on this server or another, into SQLite or PostgreSQL, whichever it came from).

A backup holds the secrets sealed, as the store does, and not the master key: it restores
with the key the store had, or into a store with another key when that key is given
(`--key-file`), its secrets then re-sealed under the store's own. No Telegram library is
loaded on this path."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TextIO

from bot.messages import Html, Key, text
from storage.backup import BackupError, Counts, StoreNotEmpty, open_backup, restore, write_backup
from storage.crypto import SecretBox
from storage.database import StoreError, open_for_backup
from storage.keys import MasterKeyError, load_master_key, read_key_file
from storage.sealed import UnreadableSecrets
from teamotp import __version__
from teamotp.config import ConfigError, Settings, load_settings
from teamotp.progress import TerminalProgress
from teamotp.telling import Parser, description, examples, failure, operator_language, said
from teamotp.wiring import StartupError, open_configured_store


def add_parsers(commands: argparse._SubParsersAction[Parser], lang: str) -> None:
    backup = commands.add_parser(
        "backup",
        lang=lang,
        help=said(lang, "cli.help.backup"),
        description=description(lang, said(lang, "cli.help.backup_description")),
        epilog=examples(lang, "teamotp backup /backups/teamotp-$(date +%F).db"),
    )
    backup.add_argument("file", type=Path, metavar="FILE")
    restoring = commands.add_parser(
        "restore",
        lang=lang,
        help=said(lang, "cli.help.restore"),
        description=description(lang, said(lang, "cli.help.restore_description")),
        epilog=examples(
            lang,
            "teamotp restore /backups/teamotp-2026-01-01.db",
            "teamotp restore FILE --force",
            "teamotp restore FILE --key-file old-master.key",
        ),
    )
    restoring.add_argument("file", type=Path, metavar="FILE")
    restoring.add_argument(
        "--key-file", type=Path, metavar="OLD", help=said(lang, "cli.help.restore_key_file")
    )
    restoring.add_argument(
        "--force", action="store_true", help=said(lang, "cli.help.restore_force")
    )


def run_backup(args: argparse.Namespace, out: TextIO | None = None) -> int:
    out = sys.stdout if out is None else out
    lang = operator_language()
    try:
        settings = load_settings()
        engine = open_for_backup(settings.database_url)
        try:
            made = write_backup(
                engine,
                args.file,
                made_by=f"teamotp {__version__}",
                progress=TerminalProgress(lang, "cli.progress.backup"),
            )
        finally:
            engine.dispose()
    except (ConfigError, StoreError, BackupError) as error:
        print(failure(error, lang), file=sys.stderr)
        return 2 if isinstance(error, ConfigError | StoreError) else 1
    print(
        said(
            lang,
            "cli.backup.done",
            counts=counted(lang, made.counts),
            revision=made.revision,
            path=args.file,
        ),
        file=out,
    )
    print(said(lang, "cli.backup.key_apart"), file=out)
    return 0


def run_restore(args: argparse.Namespace, out: TextIO | None = None) -> int:
    out = sys.stdout if out is None else out
    lang = operator_language()
    try:
        settings = load_settings()
        with open_backup(args.file) as backup:
            made_under = _key_of_backup(args, settings, backup.key_check)
            store = open_configured_store(settings)
            try:
                restored = restore(store, backup, made_under=made_under, force=args.force)
            finally:
                store.close()
            made_at = backup.info.get("made_at") or Key("cli.restore.made_unknown")
    except (ConfigError, StartupError) as error:
        print(failure(error, lang), file=sys.stderr)
        return 2
    except StoreNotEmpty as error:
        print(failure(error, lang, held=counted(lang, error.held)), file=sys.stderr)
        return 1
    except (BackupError, MasterKeyError, UnreadableSecrets) as error:
        print(failure(error, lang), file=sys.stderr)
        return 1
    done = {"counts": counted(lang, restored.counts), "path": args.file, "made_at": made_at}
    if restored.replaced is None:
        print(said(lang, "cli.restore.done", **done), file=out)
    else:
        replaced = counted(lang, restored.replaced)
        print(said(lang, "cli.restore.done_replacing", **done, replaced=replaced), file=out)
    if restored.resealed:
        shown = secrets(lang, restored.resealed)
        print(said(lang, "cli.restore.resealed", secrets=shown), file=out)
    print(said(lang, "cli.restore.start"), file=out)
    return 0


def counted(lang: str, counts: Counts) -> Html:
    """What a store or a backup holds, in the operator's words (English counts one and
    many apart; Chinese does not)."""
    accounts, members, entries = counts.accounts, counts.members, counts.audit_entries
    return text(
        lang,
        "cli.backup.counts",
        accounts=text(
            lang, "cli.count.account" if accounts == 1 else "cli.count.accounts", count=accounts
        ),
        members=text(
            lang, "cli.count.member" if members == 1 else "cli.count.members", count=members
        ),
        audit_entries=text(
            lang,
            "cli.count.audit_entry" if entries == 1 else "cli.count.audit_entries",
            count=entries,
        ),
    )


def secrets(lang: str, count: int) -> Html:
    """How many sealed values were re-sealed, in the operator's words."""
    return text(lang, "cli.count.secret" if count == 1 else "cli.count.secrets", count=count)


def _key_of_backup(
    args: argparse.Namespace, settings: Settings, key_check: bytes
) -> SecretBox | None:
    """The key given for a backup made under another key (checked against the backup);
    None when the configured key is the backup's. Read before the store is opened: a new
    store would otherwise get a key of its own made for nothing."""
    if args.key_file is not None:
        given = SecretBox(read_key_file(args.key_file))
        if not given.matches(key_check):
            raise BackupError(
                f"the key in {args.key_file} is not the one the backup {args.file} was made "
                "under: nothing was changed",
                "backup.key_not_the_backups",
                key_file=args.key_file,
                path=args.file,
            )
        return given
    configured = _configured_key(settings)
    if configured is None:
        raise BackupError(
            f"the backup {args.file} needs the master key it was made under, and there is no "
            f"key here yet (no key file at {settings.master_key_file}): put that key file "
            "there, or give it with --key-file FILE to re-seal the backup under a new key",
            "backup.needs_its_key",
            path=args.file,
            key_file=settings.master_key_file,
        )
    if SecretBox(configured).matches(key_check):
        return None
    if settings.master_key is not None:
        raise BackupError(
            f"the backup {args.file} was made under another master key than "
            "TEAMOTP_MASTER_KEY holds: give the backup's key with --key-file FILE (its "
            "secrets are then re-sealed under this store's key)",
            "backup.other_key_env",
            path=args.file,
        )
    raise BackupError(
        f"the backup {args.file} was made under another master key than the key file "
        f"{settings.master_key_file} holds: give the backup's key with --key-file FILE (its "
        "secrets are then re-sealed under this store's key)",
        "backup.other_key_file",
        path=args.file,
        key_file=settings.master_key_file,
    )


def _configured_key(settings: Settings) -> bytes | None:
    if settings.master_key is None and not settings.master_key_file.exists():
        return None
    return load_master_key(
        settings.master_key.get() if settings.master_key else None,
        settings.master_key_file,
        may_create=False,
    )

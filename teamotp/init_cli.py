"""`teamotp init`: the data directory, the master key file and the store made before the
first start, and the steps that are left said in the operator's language.

The store is made by the code `teamotp run` opens it with (`open_configured_store`), so
`init` makes nothing the bot would not, and on a failure leaves nothing half-made (no
folder, key file or database of this attempt). A store that is there already is only
looked at: its key must open it, and nothing about it changes. No Telegram library is
loaded on this path."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import TextIO

from bot.messages import Html, plain, text
from storage.database import KeyMatch, StoreError, StoreState, match_key, read_state
from storage.keyrotation import pending_key_file
from teamotp.config import ConfigError, Settings, load_settings
from teamotp.telling import Parser, description, examples, operator_language, said
from teamotp.wiring import StartupError, open_configured_store

_Say = Callable[[Html], None]


def add_parser(commands: argparse._SubParsersAction[Parser], lang: str) -> None:
    commands.add_parser(
        "init",
        lang=lang,
        help=said(lang, "cli.help.init"),
        description=description(lang, said(lang, "cli.help.init_description")),
        epilog=examples(
            lang,
            "teamotp init",
            "TEAMOTP_DATA_DIR=/srv/teamotp teamotp init",
            "docker run --rm -v teamotp-data:/data teamotp init",
        ),
    )


def run(args: argparse.Namespace, out: TextIO | None = None) -> int:
    out = sys.stdout if out is None else out
    lang = operator_language()

    def say(message: Html) -> None:
        print(plain(message), file=out)

    try:
        settings = load_settings()
        state = read_state(settings.database_url)
        if state.key_check is not None:
            _already(settings, state, state.key_check, lang, say)
        else:
            _make(settings, lang, say)
    except (ConfigError, StartupError, StoreError) as error:
        print(f"teamotp: {error}", file=sys.stderr)
        return 2
    say(text(lang, "cli.init.next"))
    if settings.bot_token is None:
        say(text(lang, "cli.init.step_token"))
    else:
        say(text(lang, "cli.init.step_token_set"))
    if settings.owner_ids:
        ids = ", ".join(str(owner) for owner in sorted(settings.owner_ids))
        say(text(lang, "cli.init.step_owner_set", ids=ids))
    else:
        say(text(lang, "cli.init.step_owner"))
    if settings.master_key is None:
        say(text(lang, "cli.init.step_backup_file", path=settings.master_key_file))
    else:
        say(text(lang, "cli.init.step_backup_env"))
    say(text(lang, "cli.init.step_run"))
    return 0


def _already(settings: Settings, state: StoreState, key_check: bytes, lang: str, say: _Say) -> None:
    """A store that holds a key check value was made before: its key is checked, and
    nothing else is done (no upgrade either: `teamotp migrate` or the bot's start do it)."""
    match, _ = match_key(
        key_check,
        settings.master_key.get() if settings.master_key is not None else None,
        settings.master_key_file,
    )
    if match is KeyMatch.WRONG:
        raise StoreError(
            "the master key does not match the store (it was written with another key); "
            "nothing was changed"
        )
    if settings.master_key is not None:
        where = text(lang, "cli.check.where_env")
    elif match is KeyMatch.ROTATION_CUT_SHORT:
        where = text(lang, "cli.check.where_file", path=pending_key_file(settings.master_key_file))
    else:
        where = text(lang, "cli.check.where_file", path=settings.master_key_file)
    found = state.revision or plain(text(lang, "cli.schema_before"))
    say(text(lang, "cli.init.already", database=state.shown, found=found, where=where))
    if match is KeyMatch.ROTATION_CUT_SHORT:
        say(text(lang, "cli.check.key_rotation", path=pending_key_file(settings.master_key_file)))
    if state.revision != state.head:
        say(text(lang, "cli.init.already_behind", found=found, head=state.head))


def _make(settings: Settings, lang: str, say: _Say) -> None:
    made_dir = not settings.data_dir.exists()
    key_was_there = settings.master_key_file.exists() or settings.master_key_file.is_symlink()
    store = open_configured_store(settings, migrate=True)
    store.close()
    if made_dir and settings.data_dir.is_dir():
        say(text(lang, "cli.init.made_dir", path=settings.data_dir))
    if settings.master_key is not None:
        say(text(lang, "cli.init.env_key"))
    elif key_was_there:
        say(text(lang, "cli.init.kept_key", path=settings.master_key_file))
    else:
        say(text(lang, "cli.init.made_key", path=settings.master_key_file))
    state = read_state(settings.database_url)
    say(text(lang, "cli.init.made_store", database=state.shown, head=state.head))

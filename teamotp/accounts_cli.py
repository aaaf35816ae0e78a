"""`teamotp accounts ...`: managing accounts on the server, with no chat involved.

For admins who would rather not send a secret through any chat. The same rules
and messages as in Telegram (the domain and the catalog are shared); secrets can
come from standard input so they stay out of the shell history.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path
from typing import Protocol, TextIO

from bot.messages import Html, issuer_suffix, plain, text
from bot.rules.errors import TeamOtpError
from bot.rules.model import OPERATOR, AddedAccount, ImportReport
from bot.rules.qrcodes import MAX_IMAGE_BYTES, InvalidImage, read_qr_codes
from bot.rules.services import Services
from teamotp.config import ConfigError
from teamotp.progress import TerminalProgress
from teamotp.telling import Parser, description, examples, failure, operator_language, said
from teamotp.wiring import StartupError, server_rules

STDIN = "-"


def add_parser(commands: argparse._SubParsersAction[Parser], lang: str) -> None:
    accounts = commands.add_parser(
        "accounts",
        lang=lang,
        help=said(lang, "cli.help.accounts"),
        description=description(lang, said(lang, "cli.help.accounts_description")),
        epilog=examples(
            lang,
            "teamotp accounts add amazon-us --secret",
            "teamotp accounts import --qr export.png",
            "teamotp accounts list",
            "teamotp accounts remove amazon-us --yes",
        ),
    )
    actions = accounts.add_subparsers(dest="action", required=True, metavar="ACTION")

    add = actions.add_parser(
        "add",
        lang=lang,
        help=said(lang, "cli.help.accounts_add"),
        epilog=examples(
            lang,
            "teamotp accounts add amazon-us --secret",
            'echo "$KEY" | teamotp accounts add amazon-us --secret -',
            "teamotp accounts add amazon-us --uri 'otpauth://totp/...'",
            "teamotp accounts add amazon-us --qr screenshot.png",
        ),
    )
    add.add_argument("name", help=said(lang, "cli.help.accounts_name"))
    source = add.add_mutually_exclusive_group(required=True)
    source.add_argument(
        "--secret", nargs="?", const=STDIN, help=said(lang, "cli.help.accounts_secret")
    )
    source.add_argument("--uri", nargs="?", const=STDIN, help=said(lang, "cli.help.accounts_uri"))
    source.add_argument("--qr", type=Path, metavar="IMAGE", help=said(lang, "cli.help.accounts_qr"))

    imports = actions.add_parser(
        "import",
        lang=lang,
        help=said(lang, "cli.help.accounts_import"),
        epilog=examples(
            lang,
            "teamotp accounts import --qr google-authenticator-export.png",
            "teamotp accounts import --uri -",
        ),
    )
    source = imports.add_mutually_exclusive_group(required=True)
    source.add_argument(
        "--uri", nargs="?", const=STDIN, help=said(lang, "cli.help.accounts_import_uri")
    )
    source.add_argument(
        "--qr", type=Path, metavar="IMAGE", help=said(lang, "cli.help.accounts_import_qr")
    )

    actions.add_parser(
        "list",
        lang=lang,
        help=said(lang, "cli.help.accounts_list"),
        epilog=examples(lang, "teamotp accounts list"),
    )

    remove = actions.add_parser(
        "remove",
        lang=lang,
        help=said(lang, "cli.help.accounts_remove"),
        epilog=examples(lang, "teamotp accounts remove amazon-us --yes"),
    )
    remove.add_argument("name")
    remove.add_argument("--yes", action="store_true", help=said(lang, "cli.help.accounts_yes"))


class _Say(Protocol):
    def __call__(self, message: Html, stream: TextIO = ..., /) -> None: ...


def run(args: argparse.Namespace, stdin: TextIO | None = None, out: TextIO | None = None) -> int:
    """The streams default to `sys.stdin`/`sys.stdout` as they are when called, not when
    this module was imported: a caller that replaced them since (a test) gets the I/O."""
    stdin = sys.stdin if stdin is None else stdin
    out = sys.stdout if out is None else out
    lang = operator_language()

    def say(message: Html, stream: TextIO = out) -> None:
        print(plain(message), file=stream)

    try:
        with server_rules() as services:
            return _dispatch(args, services, lang, stdin, say)
    except (ConfigError, StartupError) as error:
        print(failure(error, lang), file=sys.stderr)
        return 2
    except TeamOtpError as refused:
        say(text(lang, refused.key, **refused.params), sys.stderr)
        return 1


def _dispatch(
    args: argparse.Namespace, services: Services, lang: str, stdin: TextIO, say: _Say
) -> int:
    vault = services.vault
    if args.action == "list":
        accounts = vault.list(OPERATOR)
        if not accounts:
            say(text(lang, "cli.list_empty"))
        for account in accounts:
            line = text(
                lang,
                "secret.list_line",
                name=account.name,
                issuer=issuer_suffix(lang, account.issuer),
                digits=account.digits,
                period=account.period,
                algorithm=account.algorithm,
            )
            if not account.readable:  # changed outside the bot: to be re-added
                line = Html(line + text(lang, "secret.list_unreadable"))
            say(line)
        return 0
    if args.action == "remove":
        info = vault.check_removable(OPERATOR, args.name)
        if not args.yes:
            if not stdin.isatty():
                say(text(lang, "cli.need_yes", name=info.name))
                return 1
            say(text(lang, "secret.confirm_remove", name=info.name))
            if input(plain(text(lang, "cli.confirm_prompt"))).strip().lower() not in {"y", "yes"}:
                say(text(lang, "secret.kept", name=info.name))
                return 1
        vault.remove(OPERATOR, info.id)
        say(text(lang, "secret.removed", name=info.name))
        return 0
    if args.action == "add" and args.qr is None:
        secret = _read_secret(args.secret or args.uri, stdin, lang)
        _show_added(lang, vault.add(OPERATOR, args.name, secret), say)
        return 0
    if args.qr is not None:
        texts = read_qr_codes(_read_image(args.qr))
        name = args.name if args.action == "add" else None
    else:
        texts = _read_secret(args.uri, stdin, lang).split()
        name = None
    progress = TerminalProgress(lang, "cli.progress.import")
    _show_report(lang, vault.import_texts(OPERATOR, texts, name, progress=progress), say)
    return 0


def _read_secret(value: str, stdin: TextIO, lang: str) -> str:
    if value != STDIN:
        return value
    if stdin.isatty():
        return getpass.getpass(plain(text(lang, "cli.secret_prompt")))
    return stdin.read().strip()


def _read_image(path: Path) -> bytes:
    try:
        if path.stat().st_size > MAX_IMAGE_BYTES:
            raise InvalidImage("image.too_big", max_mb=MAX_IMAGE_BYTES // (1024 * 1024))
        return path.read_bytes()
    except OSError:
        raise TeamOtpError("cli.file_unreadable", path=str(path)) from None


def _show_added(lang: str, added: AddedAccount, say: _Say) -> None:
    account, code = added.issued.account, added.issued
    say(
        text(
            lang,
            "cli.added",
            name=account.name,
            code=code.code.value,
            seconds=code.seconds_left,
        )
    )
    if added.short_secret:
        say(text(lang, "secret.short_warning", bits=added.secret_bits))


def _show_report(lang: str, report: ImportReport, say: _Say) -> None:
    for added in report.added:
        _show_added(lang, added, say)
    if report.batch is not None:
        number, size = report.batch
        say(text(lang, "import.batch", number=number, size=size))
    for skipped in report.skipped:
        reason = text(lang, skipped.reason, **dict(skipped.params))
        say(text(lang, "import.skipped_line", label=skipped.label, reason=reason))

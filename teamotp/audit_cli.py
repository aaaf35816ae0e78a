"""`teamotp audit`: the audit log on the server, read (as text, CSV or JSON) or its hash
chain checked (`verify`). The text is for the operator to read, in their language and in
`/audit`'s words; CSV and JSON are for programs: event codes and parameters as stored.

`verify` exits 0 when the chain is intact, 1 when it is broken (naming the first broken
link); every form exits 2 when the store cannot be opened. No Telegram library is loaded
on this path."""

from __future__ import annotations

import argparse
import csv
import json
import re
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TextIO

from bot.messages import plain
from bot.reports import audit_line, chain_report
from bot.rules.model import OPERATOR, AuditEntry
from teamotp.config import ConfigError
from teamotp.telling import Parser, description, examples, failure, operator_language, said
from teamotp.wiring import StartupError, server_rules

_BACK = re.compile(r"(\d+)([mhd])")
_UNIT = {"m": 60, "h": 3600, "d": 86400}
COLUMNS = (
    "at",
    "actor_id",
    "actor",
    "action",
    "outcome",
    "account",
    "chat_id",
    "target_id",
    "target",
    "count",
    "params",
)


def add_parser(commands: argparse._SubParsersAction[Parser], lang: str) -> None:
    audit = commands.add_parser(
        "audit",
        lang=lang,
        help=said(lang, "cli.help.audit"),
        description=description(lang, said(lang, "cli.help.audit_description")),
        epilog=examples(
            lang,
            "teamotp audit --since 7d",
            "teamotp audit --since 2026-03-01 --csv > audit.csv",
            "teamotp audit verify",
        ),
    )
    audit.add_argument(
        "--since", type=moment, metavar="WHEN", help=said(lang, "cli.help.audit_since")
    )
    form = audit.add_mutually_exclusive_group()
    form.add_argument("--csv", action="store_true", help=said(lang, "cli.help.audit_csv"))
    form.add_argument("--json", action="store_true", help=said(lang, "cli.help.audit_json"))
    actions = audit.add_subparsers(dest="action", metavar="ACTION")
    actions.add_parser(
        "verify",
        lang=lang,
        help=said(lang, "cli.help.audit_verify"),
        description=description(lang, said(lang, "cli.help.audit_verify")),
        epilog=examples(lang, "teamotp audit verify && echo intact"),
    )


def moment(typed: str) -> float:
    """`--since`: the Unix time a date, a UTC date and time, or a span back from now means."""
    back = _BACK.fullmatch(typed.strip().lower())
    if back is not None:
        return time.time() - int(back.group(1)) * _UNIT[back.group(2)]
    try:
        parsed = datetime.fromisoformat(typed.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            said(operator_language(), "cli.audit.bad_since", typed=repr(typed))
        ) from None
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).timestamp()


def run(args: argparse.Namespace, out: TextIO | None = None) -> int:
    out = sys.stdout if out is None else out
    lang = operator_language()
    try:
        with server_rules() as services:
            if args.action == "verify":
                state = services.audit.chain(OPERATOR)
            else:
                entries = services.audit.since(OPERATOR, args.since)
    except (ConfigError, StartupError) as error:
        print(failure(error, lang), file=sys.stderr)
        return 2
    if args.action == "verify":
        print(plain(chain_report(lang, state)), file=out if state.intact else sys.stderr)
        return 0 if state.intact else 1
    if args.csv:
        write_csv(entries, out)
    elif args.json:
        json.dump([as_record(entry) for entry in entries], out, ensure_ascii=False, indent=1)
        out.write("\n")
    else:
        for entry in entries:
            print(as_line(lang, entry), file=out)
    return 0


def actor_of(entry: AuditEntry) -> str | None:
    """Who did it, for a machine to read: what was done on the server (`teamotp accounts`,
    …) is named so in every language, as the event codes are."""
    return OPERATOR.first_name if entry.actor_id == OPERATOR.id else entry.actor_name


def as_record(entry: AuditEntry) -> dict[str, object]:
    return {
        "at": entry.at.isoformat(timespec="seconds"),
        "actor_id": entry.actor_id,
        "actor": actor_of(entry),
        "action": entry.action,
        "outcome": entry.outcome,
        "account": entry.account,
        "chat_id": entry.chat_id,
        "target_id": entry.target_id,
        "target": entry.target_name,
        "count": entry.count,
        "params": dict(entry.params)
        or ({"detail": entry.legacy_detail} if entry.legacy_detail else {}),
    }


def as_line(lang: str, entry: AuditEntry) -> str:
    """One event on one line, in the operator's words (those `/audit` uses in the chat):
    when (in UTC, as `--since` takes it), who, what and how it ended. A line break in a
    name stays on the line."""
    stamp = entry.at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    return " ".join(plain(audit_line(lang, entry, stamp)).split())


def write_csv(entries: Sequence[AuditEntry], out: TextIO) -> None:
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for entry in entries:
        record = as_record(entry)
        record["params"] = json.dumps(record["params"], ensure_ascii=False, sort_keys=True)
        writer.writerow([_cell(record[column]) for column in COLUMNS])


def _cell(value: object) -> str:
    """A cell a spreadsheet shows as text: names and reasons come from Telegram users, and
    one starting with = + - @ (or a tab or carriage return) would be run as a formula."""
    shown = "" if value is None else str(value)
    if shown and not isinstance(value, int) and shown[0] in "=+-@\t\r":
        return "'" + shown
    return shown

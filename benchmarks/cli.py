"""`python -m benchmarks [--quick] [--store small|large] [--server unlimited|limited]
[--database sqlite|postgresql] [--profile OUT]`: runs the matrix and prints the tables.

Without flags: both stores, both server modes, SQLite, and PostgreSQL too when
TEAMOTP_DATABASE_URL names one (its database is emptied first: give it one of its own).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sqlite3
import sys
import time
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path
from typing import cast

from benchmarks import report
from benchmarks.run import BotRun, Database, Plan, ServerMode, full_phases, quick_phases, run
from benchmarks.team import StoreSize

DATABASE_URL = "TEAMOTP_DATABASE_URL"
LIBRARIES = ("python-telegram-bot", "httpx", "SQLAlchemy", "cryptography", "psycopg")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="What a /code costs teamotp, against a bare python-telegram-bot bot.",
    )
    parser.add_argument(
        "--quick", action="store_true", help="a few seconds: small store, a few requests"
    )
    parser.add_argument("--store", choices=["small", "large"], help="one store size only")
    parser.add_argument("--server", choices=["unlimited", "limited"], help="one server mode only")
    parser.add_argument(
        "--database",
        choices=["sqlite", "postgresql"],
        help=f"one database only (PostgreSQL: the URL in {DATABASE_URL})",
    )
    parser.add_argument(
        "--phase",
        choices=["burst", "20/s", "50/s"],
        help="one phase only (with --profile: the burst shows where a /code's CPU goes)",
    )
    parser.add_argument(
        "--profile",
        type=Path,
        metavar="OUT",
        help="run teamotp under cProfile (all threads); write OUT.<store>-<database> "
        "and print the top functions",
    )
    parser.add_argument(
        "--logs",
        type=Path,
        metavar="DIR",
        help="keep the bots' logs and stores in DIR (by default they are deleted)",
    )
    parser.add_argument(
        "--json", type=Path, metavar="FILE", help="also write every figure to FILE as JSON"
    )
    return parser


def plan_of(args: argparse.Namespace) -> Plan:
    url = os.environ.get(DATABASE_URL) or None
    if args.database == "postgresql" and not (url and url.startswith("postgresql")):
        raise SystemExit(f"--database postgresql needs a PostgreSQL URL in {DATABASE_URL}")
    if args.database is not None:
        databases: tuple[Database, ...] = (cast(Database, args.database),)
    elif url and url.startswith("postgresql") and not args.quick:
        databases = ("sqlite", "postgresql")
    else:
        databases = ("sqlite",)
    stores: tuple[StoreSize, ...] = (
        (cast(StoreSize, args.store),)
        if args.store
        else (("small",) if args.quick else ("small", "large"))
    )
    servers: tuple[ServerMode, ...] = (
        (cast(ServerMode, args.server),) if args.server else ("unlimited", "limited")
    )
    phases = quick_phases() if args.quick else full_phases()
    if args.phase is not None:
        phases = {
            mode: tuple(p for p in plans if p.name == args.phase) for mode, plans in phases.items()
        }
    return Plan(
        stores=stores,
        databases=databases,
        servers=servers,
        phases=phases,
        warmup=20 if args.quick else 200,
        idle_seconds=0.5 if args.quick else 3.0,
        wait_for_deletions=not args.quick,
        quiet_seconds=0.3 if args.quick else 1.0,
        phase_grace=20.0 if args.quick else 60.0,
        database_url=url,
        profile=args.profile,
        logs=args.logs,
    )


def machine() -> list[str]:
    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="ascii").splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    versions = []
    for name in LIBRARIES:
        try:
            versions.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            continue
    return [
        f"Machine: {model}, {os.cpu_count()} CPUs; {platform.system()} {platform.release()}; "
        f"SQLite {sqlite3.sqlite_version}",
        f"Python {platform.python_version()}; " + ", ".join(versions),
    ]


def profiled_requests(run: BotRun) -> int:
    """The requests the profiled process (the bot's first) answered: in the warm-up, and
    in the phases up to the first it could not keep up with (a fresh process took the
    rest)."""
    count = 0
    for phase in [*run.warmups[:1], *run.phases]:
        count += phase.answered
        if phase.stalled:
            break
    return count


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    plan = plan_of(args)
    started = time.monotonic()
    load_before = os.getloadavg()[0]

    def say(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    runs = run(plan, say)
    if args.json is not None:
        args.json.write_text(
            json.dumps([r.to_json() for r in runs], indent=1, default=str), encoding="utf-8"
        )
    lines = [
        *machine(),
        f"Run: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
        f"{time.monotonic() - started:.0f} s, load average {load_before:.1f} before and "
        f"{os.getloadavg()[0]:.1f} after, python -m benchmarks "
        + " ".join(argv if argv is not None else sys.argv[1:]),
        "",
        "Each phase",
        "",
        *report.phases_table(runs),
        "",
        "Each bot process",
        "",
        *report.processes_table(runs),
        "",
        "teamotp ÷ bare bot",
        "",
        *report.ratios_table(runs),
        "",
        "Targets",
        "",
        *report.targets_table(runs),
    ]
    warned = [r for r in runs if r.log_warnings]
    if warned:
        lines += ["", "Log warnings (each line once, with how often)", ""]
        for r in warned:
            for line, count in sorted(r.log_warnings.items(), key=lambda kv: -kv[1])[:10]:
                lines.append(f"- {r.bot} {r.store} {r.database}: {count}× {line}")
    unknown = {m: n for r in runs for m, n in r.unknown_methods.items()}
    if unknown:
        lines += ["", f"Methods the server does not know, called: {unknown}"]
    for r in runs:
        if r.profile is not None and r.profile.exists():
            lines += ["", *report.profile_top(r.profile, profiled_requests(r))]
    print("\n".join(lines))
    return 0

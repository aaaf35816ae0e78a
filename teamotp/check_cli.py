"""`teamotp check`: whether this server is ready to run the bot, one line per check.

It reads and asks, and changes nothing: the settings as `teamotp run` reads them, the
database (reached, at this version's schema: reported, never upgraded), the master key
against the store's key check value, every stored secret opened once, and, unless
`--offline`, the Bot API: `getMe` (is the token taken, is privacy mode on) and the
`Date` header of its answer (is the server's clock right: codes depend on it).

`--offline` is what the container's HEALTHCHECK runs: everything the bot needs from
this host, and nothing a network outage elsewhere could fail. The token never shows:
it is in the Bot API's URL, so neither the URL nor the HTTP client's errors are printed
as they are. No Telegram library is loaded on this path."""

from __future__ import annotations

import argparse
import email.utils
import sys
import time
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, TextIO

import httpx
from sqlalchemy.exc import SQLAlchemyError

from bot.chat.health import LIMIT as CLOCK_LIMIT
from bot.messages import Html, plain, text
from bot.rules.clock import Clock
from bot.rules.model import OPERATOR
from storage.database import (
    KeyMatch,
    StoreError,
    StoreState,
    match_key,
    open_as_it_is,
    read_state,
)
from storage.keyrotation import pending_key_file
from teamotp import logs
from teamotp.config import ConfigError, Settings, load_settings
from teamotp.telling import Parser, description, examples, operator_language, reason, said
from teamotp.wiring import rules_on

# Seconds to wait for the Bot API: what a healthy connection needs many times over.
API_TIMEOUT = 10.0
# What the Bot API answers a token it does not take: 401, or 404 for one of the wrong shape
# (in its own JSON: a 404 page from a server that is not the Bot API blames no token).
TOKEN_REFUSED = frozenset({401, 404})


def add_parser(commands: argparse._SubParsersAction[Parser], lang: str) -> None:
    check = commands.add_parser(
        "check",
        lang=lang,
        help=said(lang, "cli.help.check"),
        description=description(lang, said(lang, "cli.help.check_description")),
        epilog=examples(lang, "teamotp check", "teamotp check --offline"),
    )
    check.add_argument("--offline", action="store_true", help=said(lang, "cli.help.check_offline"))


class Outcome(Enum):
    OK = "ok"
    FAIL = "fail"
    WARN = "warn"
    SKIP = "skip"


@dataclass
class Report:
    """The lines printed so far: each as soon as its check is done, so a check that
    hangs (a database that does not answer) shows where."""

    lang: str
    out: TextIO
    outcomes: list[Outcome] = field(default_factory=list)

    def line(self, outcome: Outcome, key: str, **params: object) -> None:
        self.outcomes.append(outcome)
        marks = {o: plain(text(self.lang, f"cli.check.{o.value}")) for o in Outcome}
        width = max(len(mark) for mark in marks.values())
        said = plain(text(self.lang, key, **params))
        print(f"{marks[outcome].ljust(width)} {said}", file=self.out, flush=True)

    def why(self, key: str) -> Html:
        return text(self.lang, f"cli.check.why_{key}")

    def why_not(self, error: Exception) -> str:
        """A failed check's reason, from the catalog entry the error names."""
        return reason(error, self.lang)

    def finish(self) -> int:
        failed = self.outcomes.count(Outcome.FAIL)
        warned = self.outcomes.count(Outcome.WARN)
        done = len(self.outcomes) - self.outcomes.count(Outcome.SKIP)
        if failed:
            summary = text(self.lang, "cli.check.summary_failed", count=failed, total=done)
        elif warned:
            summary = text(self.lang, "cli.check.summary_warned", count=warned)
        else:
            summary = text(self.lang, "cli.check.summary_ok")
        print(plain(summary), file=self.out)
        return 1 if failed else 0


def run(
    args: argparse.Namespace,
    out: TextIO | None = None,
    clock: Clock = time.time,
) -> int:
    report = Report(operator_language(), sys.stdout if out is None else out)
    try:
        settings = load_settings()
    except ConfigError as error:
        report.line(Outcome.FAIL, "cli.check.settings_bad", reason=report.why_not(error))
        report.line(Outcome.SKIP, "cli.check.needs_settings")
        return report.finish()
    token = settings.bot_token.get() if settings.bot_token is not None else None
    logs.redact([token] if token else [])
    _check_settings(report, settings)
    _check_store(report, settings, clock)
    if args.offline:
        report.line(Outcome.SKIP, "cli.check.network_skipped", why=report.why("offline"))
    elif token is None:
        report.line(Outcome.SKIP, "cli.check.network_skipped", why=report.why("no_token"))
    else:
        _check_bot_api(report, settings.api_url, token, clock)
    return report.finish()


def _check_settings(report: Report, settings: Settings) -> None:
    """What `teamotp run` asks of them beyond their form: a token, and in webhook mode
    the webhook's URL and secret."""
    problems = []
    try:
        settings.require_token()
    except ConfigError as error:
        problems.append(report.why_not(error))
    if settings.mode == "webhook":
        try:
            settings.require_webhook()
        except ConfigError as error:
            problems.append(report.why_not(error))
    if problems:
        joined = said(report.lang, "cli.check.reasons_joined").join(problems)
        report.line(Outcome.FAIL, "cli.check.settings_bad", reason=joined)
    else:
        report.line(Outcome.OK, "cli.check.settings_ok", mode=settings.mode)


def _check_store(report: Report, settings: Settings, clock: Clock) -> None:
    try:
        state = read_state(settings.database_url)
    except StoreError as error:
        report.line(Outcome.FAIL, "cli.check.database_bad", reason=report.why_not(error))
        report.line(Outcome.SKIP, "cli.check.key_skipped", why=report.why("no_database"))
        report.line(Outcome.SKIP, "cli.check.secrets_skipped", why=report.why("no_database"))
        return
    if not state.has_tables and state.key_check is None:
        report.line(Outcome.FAIL, "cli.check.no_store", database=state.shown)
        report.line(Outcome.SKIP, "cli.check.key_skipped", why=report.why("no_store"))
        report.line(Outcome.SKIP, "cli.check.secrets_skipped", why=report.why("no_store"))
        return
    _check_schema(report, settings, state)
    key = _check_key(report, settings, state)
    if not state.current:
        report.line(Outcome.SKIP, "cli.check.secrets_skipped", why=report.why("schema"))
    elif not state.secrets_bound:
        report.line(Outcome.SKIP, "cli.check.secrets_skipped", why=report.why("unbound"))
    elif key is None:
        report.line(Outcome.SKIP, "cli.check.secrets_skipped", why=report.why("no_key"))
    else:
        _check_secrets(report, settings, key, clock)


def _check_schema(report: Report, settings: Settings, state: StoreState) -> None:
    found = state.revision or plain(
        text(report.lang, "cli.schema_before" if state.has_tables else "cli.schema_none")
    )
    where = {"database": state.shown, "found": found, "head": state.head}
    if not state.known:
        report.line(Outcome.FAIL, "cli.check.schema_newer", **where)
    elif state.current:
        report.line(Outcome.OK, "cli.check.database_ok", database=state.shown, head=state.head)
    elif settings.auto_migrate:  # `teamotp run` upgrades it: nothing is wrong yet
        report.line(Outcome.WARN, "cli.check.schema_behind_auto", **where)
    else:
        report.line(Outcome.FAIL, "cli.check.schema_behind", **where)


def _check_key(report: Report, settings: Settings, state: StoreState) -> bytes | None:
    """The key that opens the store, when the configured one (or the new key of a rotation
    cut short) does."""
    if state.key_check is None:
        report.line(Outcome.SKIP, "cli.check.key_skipped", why=report.why("no_key_check"))
        return None
    if settings.master_key is not None:
        where = text(report.lang, "cli.check.where_env")
    else:
        where = text(report.lang, "cli.check.where_file", path=settings.master_key_file)
    try:
        match, key = match_key(
            state.key_check,
            settings.master_key.get() if settings.master_key is not None else None,
            settings.master_key_file,
        )
    except StoreError as error:
        report.line(Outcome.FAIL, "cli.check.key_bad", reason=report.why_not(error))
        return None
    if match is KeyMatch.MATCHES:
        report.line(Outcome.OK, "cli.check.key_ok", where=where)
        return key
    if match is KeyMatch.ROTATION_CUT_SHORT:
        path = pending_key_file(settings.master_key_file)
        report.line(Outcome.WARN, "cli.check.key_rotation", path=path)
        return key
    report.line(Outcome.FAIL, "cli.check.key_wrong", where=where)
    return None


def _check_secrets(report: Report, settings: Settings, key: bytes, clock: Clock) -> None:
    """Each secret opened and turned into a code once, as the bot does at start; the
    accounts whose secret does not open are named, their secrets never shown."""
    store = open_as_it_is(settings.database_url, key)
    try:
        integrity = rules_on(settings, store, clock).integrity
        total = integrity.team_size(OPERATOR).accounts
        broken = integrity.broken_secrets()
    except SQLAlchemyError as error:
        report.line(Outcome.FAIL, "cli.check.secrets_unreadable", reason=type(error).__name__)
        return
    finally:
        store.close()
    if broken:
        report.line(
            Outcome.FAIL,
            "cli.check.secrets_broken",
            count=len(broken),
            total=total,
            names=", ".join(broken),
        )
    elif total:
        report.line(Outcome.OK, "cli.check.secrets_ok", count=total)
    else:
        report.line(Outcome.OK, "cli.check.secrets_none")


@dataclass(frozen=True)
class Answer:
    """The Bot API's answer to getMe: its status and JSON (None when it sent none), and
    its clock (from the `Date` header) against ours at the middle of the request."""

    status: int
    reason: str  # the HTTP reason phrase
    body: dict[str, Any] | None  # the Bot API's JSON envelope; None: the reply is not one
    offset: float | None  # our clock minus the Bot API's, in seconds


def ask_get_me(api_url: str, token: str, clock: Clock) -> Answer:
    """Raises `httpx.HTTPError` (or `httpx.InvalidURL`) when there is no answer; the
    caller must not print its text as it is, which may quote the URL and the token."""
    with httpx.Client(timeout=API_TIMEOUT, follow_redirects=False) as client:
        sent = clock()
        response = client.get(f"{api_url}/bot{token}/getMe")
        received = clock()
    try:
        body = response.json()
    except ValueError:
        body = None
    envelope = body if isinstance(body, dict) and isinstance(body.get("ok"), bool) else None
    return Answer(
        response.status_code,
        response.reason_phrase,
        envelope,
        _offset(response.headers.get("date"), (sent + received) / 2),
    )


def _offset(date: str | None, ours: float) -> float | None:
    """Our clock minus the one the `Date` header gives, which counts whole seconds: the
    Bot API's time is anywhere in the second it names, so the middle of it is taken."""
    if not date:
        return None
    try:
        theirs = email.utils.parsedate_to_datetime(date).timestamp() + 0.5
    except (TypeError, ValueError):
        return None
    return ours - theirs


def _check_bot_api(report: Report, api_url: str, token: str, clock: Clock) -> None:
    try:
        answer = ask_get_me(api_url, token, clock)
    except (httpx.HTTPError, httpx.InvalidURL) as error:
        # The HTTP client's words (its own, in English), with the token scrubbed out.
        said_by = logs.scrub(str(error) or type(error).__name__, [token])
        report.line(Outcome.FAIL, "cli.check.api_unreachable", url=api_url, reason=said_by)
        report.line(Outcome.SKIP, "cli.check.privacy_skipped", why=report.why("no_answer"))
        report.line(Outcome.SKIP, "cli.check.clock_skipped", why=report.why("no_answer"))
        return
    body = answer.body or {}
    result = body.get("result")
    if answer.status == 200 and body.get("ok") is True and isinstance(result, dict):
        report.line(
            Outcome.OK,
            "cli.check.api_ok",
            url=api_url,
            username=result.get("username", "?"),
            id=result.get("id", "?"),
        )
        _check_privacy(report, result.get("can_read_all_group_messages"))
    else:
        if answer.body is None:
            description = plain(text(report.lang, "cli.check.not_bot_api", reason=answer.reason))
        else:
            description = str(body.get("description") or answer.reason)
        described = {
            "url": api_url,
            "status": answer.status,
            "description": logs.scrub(description, [token]),
        }
        if answer.status in TOKEN_REFUSED and answer.body is not None:
            report.line(Outcome.FAIL, "cli.check.token_refused", **described)
            report.line(Outcome.SKIP, "cli.check.privacy_skipped", why=report.why("refused"))
        else:
            report.line(Outcome.FAIL, "cli.check.api_error", **described)
            report.line(Outcome.SKIP, "cli.check.privacy_skipped", why=report.why("no_answer"))
    _check_clock(report, answer.offset)


def _check_privacy(report: Report, reads_all: object) -> None:
    """Privacy mode on is what teamotp is made for: in a group it acts on commands and on
    replies to its own messages (bot.chat.gate), which Telegram delivers either way, and
    where it is an admin (the only place it could delete a pasted secret) it gets every
    message anyway. Off, the bot works the same but is sent all of the group's chat."""
    if reads_all is False:
        report.line(Outcome.OK, "cli.check.privacy_on")
    elif reads_all is True:
        report.line(Outcome.WARN, "cli.check.privacy_off")
    else:
        report.line(Outcome.WARN, "cli.check.privacy_unknown")


def _check_clock(report: Report, offset: float | None) -> None:
    """Against the limit the running bot warns its owners beyond (bot.chat.health)."""
    if offset is None:
        report.line(Outcome.WARN, "cli.check.clock_unknown")
        return
    seconds, limit = round(abs(offset)), round(CLOCK_LIMIT)
    if abs(offset) <= CLOCK_LIMIT:
        report.line(Outcome.OK, "cli.check.clock_ok", seconds=seconds, limit=limit)
    else:
        key = "cli.check.clock_ahead" if offset > 0 else "cli.check.clock_behind"
        report.line(Outcome.WARN, key, seconds=seconds, limit=limit)

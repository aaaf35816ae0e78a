"""What the server's commands tell whoever runs them: from the message catalog, in the
server's language (LC_ALL, else LANG: `zh_CN.UTF-8` → Chinese, anything else → English).

The command line has no markup: the catalog's HTML is made plain here. Chinese entries
mark what the operator types (`polling`, `A-Z`) as <code>, which vanishes at the terminal.
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import sys
import textwrap
from collections.abc import Iterable, Mapping
from functools import partial
from typing import Any, NoReturn

from bot.messages import CATALOG, ENGLISH, language_for, plain, text
from storage.logged import KEY, PARAMS
from teamotp import logs


def operator_language() -> str:
    """The server's locale decides the language of what the commands print."""
    return language_for(os.environ.get("LC_ALL") or os.environ.get("LANG"))


def said(lang: str, key: str, **params: object) -> str:
    """The catalog's `key` as a line for the terminal."""
    return plain(text(lang, key, **params))


class OperatorError(Exception):
    """Something stops a server command, named by a catalog key. `str()` is the English
    (for a log line, or whoever catches it); `failure()` tells it in the operator's
    language."""

    def __init__(self, key: str, **params: object) -> None:
        super().__init__(said(ENGLISH, key, **params))
        self.key = key
        self.params = params


def failure(error: Exception, lang: str, **shown: object) -> str:
    """The one line a command prints before it exits: `teamotp: <why>`, the reason told
    as `reason` tells it."""
    return said(lang, "cli.failed", reason=reason(error, lang, **shown))


def reason(error: Exception, lang: str, **shown: object) -> str:
    """Why something stopped, in `lang`: from the catalog entry the error names (its `key`
    and `params`, as `OperatorError` and the storage layer's errors carry them). An error
    that names none (a library's) is told as its own text says it. `shown` replaces some
    of the error's values with what the command made of them in `lang` (the storage layer
    hands numbers, not words)."""
    key, params = getattr(error, "key", None), getattr(error, "params", None)
    if isinstance(key, str) and key in CATALOG and isinstance(params, Mapping):
        return said(lang, key, **in_words(lang, {**params, **shown}))
    return str(error)


# The operating system's reasons (`OSError.strerror`, as the storage layer hands them on),
# in the catalog's words: "Permission denied" inside a Chinese line is English all the same.
_OS_REASONS = {
    "Permission denied": "os.permission_denied",
    "Operation not permitted": "os.not_permitted",
    "No such file or directory": "os.no_such_file",
    "Is a directory": "os.is_a_directory",
    "Not a directory": "os.not_a_directory",
    "File exists": "os.exists",
    "No space left on device": "os.no_space",
    "Read-only file system": "os.read_only",
    "Disk quota exceeded": "os.no_space",
}


def in_words(lang: str, params: Mapping[str, object]) -> dict[str, object]:
    """`params` with each operating-system reason told in `lang`."""
    return {
        name: said(lang, _OS_REASONS[value])
        if isinstance(value, str) and value in _OS_REASONS
        else value
        for name, value in params.items()
    }


class Told(logging.Formatter):
    """How a server command prints what is logged while it runs (its warnings): a record
    that names a catalog entry (`storage.logged`) as a line of the command's own, in the
    operator's language; any other (a library's) as the log file has it."""

    def __init__(self, lang: str) -> None:
        super().__init__(logs.FORMAT)
        self.lang = lang

    def format(self, record: logging.LogRecord) -> str:
        key, params = getattr(record, KEY, None), getattr(record, PARAMS, None)
        if not (isinstance(key, str) and key in CATALOG and isinstance(params, Mapping)):
            return super().format(record)
        frame = "cli.logged_warning" if record.levelno >= logging.WARNING else "cli.logged"
        line = said(self.lang, frame, message=said(self.lang, key, **in_words(self.lang, params)))
        # The values were never formatted into the record's message, which the log's
        # filter scrubbed: they are scrubbed here.
        return logs.scrub(line, logs.install().secrets)


class Parser(argparse.ArgumentParser):
    """argparse, saying its own words ("usage:", "options", "show this help message and
    exit", "error:") in `lang` too. Subcommands' parsers are made by this class as well:
    give each `lang=` where it is added. Descriptions come wrapped (`wrapped`)."""

    def __init__(self, *args: Any, lang: str = ENGLISH, **kwargs: Any) -> None:
        self.lang = lang
        add_help = kwargs.get("add_help", True)
        kwargs.update(add_help=False, formatter_class=partial(_Formatter, lang=lang))
        super().__init__(*args, **kwargs)
        self._positionals.title = said(lang, "cli.help.positionals")
        self._optionals.title = said(lang, "cli.help.options")
        if add_help:
            self.add_argument(
                "-h",
                "--help",
                action="help",
                default=argparse.SUPPRESS,
                help=said(lang, "cli.help.help"),
            )

    def error(self, message: str) -> NoReturn:
        """argparse's reason stays as argparse words it: it has no Chinese."""
        self.print_usage(sys.stderr)
        self.exit(2, said(self.lang, "cli.help.error", prog=self.prog, message=message) + "\n")


class _Formatter(argparse.RawDescriptionHelpFormatter):
    """Descriptions as given (already wrapped); help lines wrapped by columns, so Chinese
    breaks between characters, not only at spaces."""

    def __init__(self, prog: str, *, lang: str) -> None:
        super().__init__(prog)
        self._lang = lang

    def add_usage(
        self,
        usage: str | None,
        actions: Iterable[argparse.Action],
        groups: Iterable[argparse._MutuallyExclusiveGroup],
        prefix: str | None = None,
    ) -> None:
        shown = said(self._lang, "cli.help.usage") if prefix is None else prefix
        super().add_usage(usage, actions, groups, shown)

    def _split_lines(self, text: str, width: int) -> list[str]:
        return wrapped(self._lang, " ".join(text.split()), width)

    def format_help(self) -> str:
        """argparse puts a colon after each section's title; Chinese takes a full-width one."""
        shown = super().format_help()
        if self._lang == ENGLISH:
            return shown
        for title in ("cli.help.positionals", "cli.help.options"):
            heading = said(self._lang, title)
            shown = shown.replace(
                f"\n{heading}:\n", f"\n{heading}{said(self._lang, 'cli.help.colon')}\n"
            )
        return shown


def examples(lang: str, *lines: str) -> str:
    """A parser's epilog: how the command is typed, one example a line, kept as written."""
    return "\n".join([said(lang, "cli.help.examples"), *(f"  {line}" for line in lines)])


def description(lang: str, words: str) -> str:
    """A parser's description, wrapped as `teamotp run --help` shows its own."""
    return "\n".join(wrapped(lang, words, DESCRIPTION_WIDTH))


DESCRIPTION_WIDTH = 88


def wrapped(lang: str, words: str, width: int, indent: str = "") -> list[str]:
    """`words` in lines of at most `width` columns. English breaks at spaces; Chinese also
    between its characters (two columns each), never inside a Latin word."""
    if lang == ENGLISH:
        return textwrap.wrap(words, width, initial_indent=indent, subsequent_indent=indent)
    lines: list[str] = []
    line = ""
    for token in re.findall(r"[!-~]+|\s+|.", words):
        # A mark that closes a clause stays at the end of its line, as Chinese is set.
        fits = token in _CLOSING or _columns(indent + line + token.rstrip()) <= width
        if line and not fits:
            lines.append(indent + line.rstrip())
            line = "" if token.isspace() else token
        elif line or not token.isspace():
            line += token
    if line.strip():
        lines.append(indent + line.rstrip())
    return lines


_CLOSING = frozenset("，。；：、）」』！？")


def _columns(line: str) -> int:
    return sum(2 if ord(ch) >= 0x2E80 else 1 for ch in line)

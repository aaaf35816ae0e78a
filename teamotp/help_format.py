"""How every `teamotp` command's `--help` is laid out."""

from __future__ import annotations

import argparse


class HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """A one-paragraph description is wrapped to the terminal, as argparse does; text
    written line by line (the examples of an epilog) is kept as written, so each example
    reads as it is typed."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        if "\n" in text:
            return super()._fill_text(text, width, indent)
        return argparse.HelpFormatter._fill_text(self, text, width, indent)

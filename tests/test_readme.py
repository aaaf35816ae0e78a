"""What the README tells a newcomer to type works as typed: the commands it shows are
there after the install it gives, and the playground's options are explained."""

from __future__ import annotations

import re
from pathlib import Path

from tests.fake_telegram.playground import build_parser

README = Path(__file__).resolve().parents[1] / "README.md"
ACTIVATE = re.compile(r"^(?:\.|source) \.venv/bin/activate\b", re.MULTILINE)
# A line that runs `teamotp` found on the PATH (also at the end of a pipe).
BARE = re.compile(r"^(?:[^#\n]*\|\s*)?teamotp \w.*$", re.MULTILINE)


def shell_blocks() -> list[tuple[int, str]]:
    """Each ```sh block of the README, with where it starts."""
    text = README.read_text(encoding="utf-8")
    return [(m.start(), m.group(1)) for m in re.finditer(r"```sh\n(.*?)```", text, re.DOTALL)]


def test_a_bare_teamotp_command_comes_after_the_venv_it_was_installed_into_is_activated() -> None:
    """The install puts `teamotp` into `.venv/bin`, which is on nobody's PATH: a bare
    `teamotp ...` works only once the README has said to activate it."""
    blocks = shell_blocks()
    install = next(block for _, block in blocks if "python3 -m venv .venv" in block)
    assert ".venv/bin/teamotp" in install
    bare = [(start, block) for start, block in blocks if BARE.search(block)]
    assert bare, "the README shows no server command: the check reads nothing"
    first_start, first_block = bare[0]
    activated = [start for start, block in blocks if ACTIVATE.search(block)]
    assert activated, "no block activates .venv"
    line = BARE.search(first_block)
    assert line is not None
    assert activated[0] <= first_start, f"bare `teamotp` before .venv is activated: {line[0]}"
    if activated[0] == first_start:  # the same block: the activation comes first in it
        assert ACTIVATE.search(first_block.split(line[0], 1)[0]), line[0]


def test_the_playground_section_explains_every_option_of_the_playground() -> None:
    section = README.read_text(encoding="utf-8").split("## Try it by hand", 1)[1]
    section = section.split("\n## ", 1)[0]
    options = [
        option
        for action in build_parser()._actions
        for option in action.option_strings
        if option.startswith("--") and option != "--help"
    ]
    assert {"--port", "--keep"} <= set(options)
    for option in options:
        assert re.search(rf"`{option}\b[^`]*`", section), f"{option} is not in the README"

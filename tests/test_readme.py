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


README_ZH = README.with_name("README.zh-CN.md")


def table_of(path: Path, heading: str) -> list[list[str]]:
    """The cells of the first table under `heading` (a `## ` heading of `path`)."""
    section = path.read_text(encoding="utf-8").split(f"\n## {heading}\n", 1)[1]
    section = section.split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("|")]
    return [re.split(r"(?<!\\)\|", row.strip("|")) for row in rows[2:]]


def commands(path: Path, heading: str) -> set[str]:
    """The commands the first column of the table names, with their subcommand
    (`/secret add NAME SECRET` is `/secret add`)."""
    found = set()
    for row in table_of(path, heading):
        for typed in re.findall(r"`(/[^`]+)`", row[0]):
            words = typed.split()
            kept = [words[0], *(w for w in words[1:2] if re.fullmatch(r"[a-z]+", w))]
            found.add(" ".join(kept))
    return found


def test_the_chinese_readme_is_linked_from_the_top_of_the_english_one() -> None:
    top = README.read_text(encoding="utf-8").split("\n## ", 1)[0]
    assert "(README.zh-CN.md)" in top
    assert "(README.md)" in README_ZH.read_text(encoding="utf-8").split("\n## ", 1)[0]


def test_every_command_of_the_english_table_is_in_the_chinese_one() -> None:
    english = commands(README, "Commands / 命令")
    assert len(english) > 20, english
    assert english - commands(README_ZH, "命令") == set()


def test_every_setting_of_the_english_configuration_is_in_the_chinese_one() -> None:
    def settings(path: Path, heading: str) -> set[str]:
        return {
            cell
            for row in table_of(path, heading)
            for cell in re.findall(r"`(TEAMOTP_\w+)`", row[0])
        }

    english = settings(README, "Configuration")
    assert len(english) > 10, english
    assert english - settings(README_ZH, "配置") == set()

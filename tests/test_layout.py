"""The house rules of the code, read from the source: which package may import what.

The import graph is read with `ast`, imports inside functions included, so a rule
cannot be dodged by a late import. Each rule is also run against a small module
that breaks it, so a checker that silently finds nothing would fail here too.
"""

from __future__ import annotations

import ast
import importlib.metadata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

import bot
import storage
import storage.models as storage_models
import teamotp

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("teamotp", "bot", "storage")


@dataclass(frozen=True)
class Import:
    module: str  # the importing module, e.g. "bot.rules.codes"
    target: str  # what it imports, e.g. "storage.repositories" or "telegram.ext"
    names: tuple[str, ...]  # for `from X import a, b`
    line: int

    def of(self, package: str) -> bool:
        return self.target == package or self.target.startswith(f"{package}.")

    def __str__(self) -> str:
        return f"{self.module}:{self.line} imports {self.target}"


def imports_in(source: str, module: str) -> Iterator[Import]:
    """Every import in a module's source, at any depth, relative ones made absolute."""
    package = module.rsplit(".", 1)[0] if "." in module else module
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield Import(module, alias.name, (), node.lineno)
        elif isinstance(node, ast.ImportFrom):
            target = node.module or ""
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join([*base, target] if target else base)
            yield Import(module, target, tuple(a.name for a in node.names), node.lineno)


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def project_imports() -> list[Import]:
    found: list[Import] = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            found += imports_in(path.read_text(encoding="utf-8"), module_name(path))
    return found


# Each rule: (what it says, the modules it applies to, the imports it forbids there).
Rule = tuple[str, str, tuple[str, ...]]

RULES: tuple[Rule, ...] = (
    (
        "storage imports nothing of bot, teamotp or telegram",
        "storage",
        ("bot", "teamotp", "telegram"),
    ),
    (
        "the rules never import telegram or the chat layer",
        "bot.rules",
        ("telegram", "bot.chat", "teamotp"),
    ),
    ("the chat layer does not reach back into the wiring", "bot.chat", ("teamotp",)),
    ("the catalog stands alone", "bot.messages", ("telegram", "bot.chat", "bot.rules", "storage")),
)


def in_scope(item: Import, scope: str) -> bool:
    return item.module == scope or item.module.startswith(f"{scope}.")


def broken(imports: list[Import]) -> list[str]:
    """Every import that breaks a house rule, as a readable line."""
    problems: list[str] = []
    for says, scope, forbidden in RULES:
        for item in imports:
            if in_scope(item, scope) and any(item.of(f) for f in forbidden):
                problems.append(f"{item} ({says})")
    for item in imports:
        if item.of("cryptography.hazmat") and item.module != "storage.crypto":
            problems.append(f"{item} (only storage.crypto uses cryptography.hazmat)")
        if item.of("storage.database") and not in_scope(item, "teamotp"):
            problems.append(f"{item} (only the wiring in teamotp opens the store)")
        if "ApplicationBuilder" in item.names and not in_scope(item, "teamotp"):
            problems.append(f"{item} (only teamotp builds the Telegram application)")
    return problems


def test_the_import_graph_keeps_the_house_rules() -> None:
    imports = project_imports()
    assert len(imports) > 200, "the checker read the project"
    assert broken(imports) == []


@pytest.mark.parametrize(
    ("module", "source"),
    [
        ("storage.repositories", "from bot.rules.model import Role"),
        ("storage.models", "def f():\n    import telegram\n"),
        ("bot.rules.codes", "def f():\n    from telegram import Update\n"),
        ("bot.rules.vault", "from ..chat import render"),
        ("bot.rules.vault", "from cryptography.hazmat.primitives import hashes"),
        ("bot.chat.codes", "from storage.database import open_store"),
        ("bot.chat.handlers", "from telegram.ext import ApplicationBuilder"),
        ("bot.chat.codes", "import teamotp.app"),
        ("bot.messages", "from bot.rules.model import Role"),
    ],
)
def test_the_checker_finds_a_broken_rule(module: str, source: str) -> None:
    assert broken(list(imports_in(source, module))), source


def rows_built(source: str, module: str) -> list[str]:
    """Calls that build a database row (a model class) inside the rules: repositories
    take plain values and build rows themselves."""
    models = {
        name
        for name, value in vars(storage_models).items()
        if isinstance(value, type) and issubclass(value, storage_models.Base)
    }
    return [
        f"{module}:{node.lineno} builds {node.func.id}"
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in models
    ]


def test_the_rules_build_no_database_rows() -> None:
    built = [
        row
        for path in sorted((ROOT / "bot" / "rules").rglob("*.py"))
        for row in rows_built(path.read_text(encoding="utf-8"), module_name(path))
    ]
    assert built == []
    assert rows_built("tx.members.add(Member(user_id=1))", "bot.rules.roster")


def test_the_three_packages_come_from_one_installation() -> None:
    """`bot` and `storage` are generic names: a stray `storage.py` in the working
    directory, or another distribution's `bot` package, must not be what runs."""
    homes = {Path(package.__file__ or "").resolve().parent.parent for package in (bot, storage)}
    assert homes == {Path(teamotp.__file__ or "").resolve().parent.parent}
    top_level = importlib.metadata.distribution("teamotp").read_text("top_level.txt") or ""
    assert set(top_level.split()) == set(PACKAGES)

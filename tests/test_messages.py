"""The message catalog: both languages for every key, the same placeholders, valid Telegram
HTML, and every key the code asks for exists with the parameters the code passes."""

from __future__ import annotations

import ast
import re
import string
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.chat.commands import COMMANDS
from bot.messages import CATALOG, CHINESE, ENGLISH, Html, language_for, text
from bot.rules.model import Role
from tests.fake_telegram.html_entities import parse_html

ROOT = Path(__file__).resolve().parent.parent
SOURCES = [ROOT / package for package in ("teamotp", "bot", "storage")]

# Functions whose argument at this position is a catalog key (`line`: the lines of
# `teamotp check`, each with its outcome first).
KEY_ARGUMENT = {"text": 1, "chunked": 1, "line": 1}
# TeamOtpError and its subclasses take the key first; NotAMember/ChatNotApproved pass it
# to super().__init__.
ERROR_CLASSES = {
    "TeamOtpError",
    "InvalidInput",
    "NotAllowed",
    "InvalidSecret",
    "InvalidImage",
    "__init__",
}
# chunked fills {lines} itself.
IMPLICIT_PARAMS = {"chunked": {"lines"}}


def placeholders(template: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(template) if field}


@pytest.mark.parametrize("key", sorted(CATALOG))
def test_every_key_has_both_languages_with_the_same_placeholders(key: str) -> None:
    entry = CATALOG[key]
    assert set(entry) == {ENGLISH, CHINESE}
    assert entry[ENGLISH].strip()
    assert entry[CHINESE].strip()
    assert placeholders(entry[ENGLISH]) == placeholders(entry[CHINESE])


@pytest.mark.parametrize("key", sorted(CATALOG))
@pytest.mark.parametrize("lang", [ENGLISH, CHINESE])
def test_every_message_is_valid_telegram_html_with_hostile_values(key: str, lang: str) -> None:
    """Values are escaped: a name like `<b>&` can never break a message."""
    values = dict.fromkeys(placeholders(CATALOG[key][lang]), "<b>Tom & Jerry</b>")
    rendered = text(lang, key, **values)
    plain, _ = parse_html(rendered)
    if values:
        assert "<b>Tom & Jerry</b>" in plain


def test_chinese_is_chosen_for_every_zh_language_code() -> None:
    assert language_for("zh-hans") == CHINESE
    assert language_for("zh") == CHINESE
    assert language_for("ZH-HANT") == CHINESE
    for other in (None, "", "en", "de", "ja", "en-zh"):
        assert language_for(other) == ENGLISH, other


def test_chinese_messages_are_actually_chinese() -> None:
    """A key copied without translating would reach Chinese users in English."""

    def words(template: str) -> str:  # what a reader reads: no tags, no placeholders
        return re.sub(r"<[^>]+>|\{\w+\}", "", template)

    identical = {
        key
        for key, entry in CATALOG.items()
        if entry[ENGLISH] == entry[CHINESE] and any(c.isalpha() for c in words(entry[ENGLISH]))
    }
    assert identical == set()


# ------------------------------------------------------------ keys the code asks for


@dataclass(frozen=True)
class Use:
    where: str
    keys: tuple[str, ...]  # the literal keys this argument can be
    prefix: str | None  # an f-string key: f"cmd.{...}"
    params: frozenset[str] | None  # keyword names passed; None when **kwargs are splatted


def _in_the_bot(path: Path) -> bool:
    """Only the bot's errors carry catalog keys: the storage layer's exceptions hold text
    for the operator, who reads it in the server's log or terminal."""
    return path.is_relative_to(ROOT / "bot")


def _func_name(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Name):
        return call.func.id
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return None


def _literals(node: ast.expr, scope: dict[str, ast.expr]) -> tuple[tuple[str, ...], str | None]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return (node.value,), None
    if isinstance(node, ast.IfExp):
        body, p1 = _literals(node.body, scope)
        orelse, p2 = _literals(node.orelse, scope)
        return body + orelse, p1 or p2
    if isinstance(node, ast.JoinedStr):
        first = node.values[0] if node.values else None
        if isinstance(first, ast.Constant) and isinstance(first.value, str):
            return (), first.value
    if isinstance(node, ast.Name) and node.id in scope:
        return _literals(scope[node.id], scope)
    return (), None


def _scopes(tree: ast.Module) -> Iterator[tuple[ast.AST, dict[str, ast.expr]]]:
    """Every function (and the module) with its simple `name = value` assignments."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.FunctionDef | ast.AsyncFunctionDef):
            scope: dict[str, ast.expr] = {}
            for inner in ast.walk(node):
                if isinstance(inner, ast.Assign) and len(inner.targets) == 1:
                    target = inner.targets[0]
                    if isinstance(target, ast.Name):
                        scope[target.id] = inner.value
            yield node, scope


def key_uses() -> list[Use]:
    uses: dict[tuple[str, int], Use] = {}
    for path in sorted(p for source in SOURCES for p in source.rglob("*.py")):
        if path.name == "messages.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for scope_node, scope in _scopes(tree):
            for call in ast.walk(scope_node):
                if not isinstance(call, ast.Call):
                    continue
                name = _func_name(call)
                if name in KEY_ARGUMENT:
                    position = KEY_ARGUMENT[name]
                elif name in ERROR_CLASSES and (name != "__init__" or _in_the_bot(path)):
                    position = 0
                else:
                    continue
                if len(call.args) <= position:
                    continue
                keys, prefix = _literals(call.args[position], scope)
                if not keys and prefix is None:
                    continue  # e.g. text(lang, failure.key, ...): checked where raised
                splat = any(k.arg is None for k in call.keywords)
                params = None if splat else frozenset(k.arg for k in call.keywords if k.arg)
                if params is not None:
                    params |= IMPLICIT_PARAMS.get(name, set())
                where = f"{path.relative_to(ROOT)}:{call.lineno}"
                uses[(where, call.col_offset)] = Use(where, keys, prefix, params)
    return list(uses.values())


USES = key_uses()


def test_the_scan_finds_the_code_that_uses_the_catalog() -> None:
    found = {key for use in USES for key in use.keys}
    # A sample across the layers: gate, handlers, domain errors, renderers.
    for key in (
        "access.admin_only",
        "access.owner_only",
        "access.not_member",
        "members.added",
        "members.unknown_username",
        "account.unknown",
        "chats.added_by_stranger",
        "code.chat_not_approved",
        "members.list",
    ):
        assert key in found, key
    assert {use.prefix for use in USES if use.prefix} >= {"cmd.", "role.", "reason.", "notify."}
    assert {"cli.check.key_wrong", "cli.check.clock_ahead"} <= found, "teamotp check's lines"


@pytest.mark.parametrize("use", USES, ids=lambda use: use.where)
def test_every_key_the_code_uses_exists_with_every_parameter_it_needs(use: Use) -> None:
    for key in use.keys:
        assert key in CATALOG, f"{use.where}: no catalog key {key!r}"
        if use.params is not None:
            # A missing value is a KeyError at run time, in front of a user.
            missing = placeholders(CATALOG[key][ENGLISH]) - use.params
            assert not missing, f"{use.where}: {key} needs {missing}"
    if use.prefix is not None:
        assert any(key.startswith(use.prefix) for key in CATALOG), use.where


def test_keys_built_from_parts_exist() -> None:
    """The f-string keys: each command in the menu, each role, each notify choice and each
    reason a denied code request can carry."""
    for command in COMMANDS:
        if command.in_menu:
            assert f"cmd.{command.name}" in CATALOG
            for lang in (ENGLISH, CHINESE):
                assert 1 <= len(text(lang, f"cmd.{command.name}")) <= 256
    for role in Role:
        assert f"role.{role.value}" in CATALOG
    for choice in ("on", "off"):
        assert f"notify.{choice}" in CATALOG
    codes_py = (ROOT / "bot" / "rules" / "codes.py").read_text(encoding="utf-8")
    reasons = {
        node.value.removeprefix("denied:")
        for node in ast.walk(ast.parse(codes_py))
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and node.value.startswith("denied:")
        and node.value != "denied:"  # the constant part of f"denied:{...}"
    }
    # The code.* errors a /code request can end in become "denied:<rest>".
    reasons |= {
        key.removeprefix("code.")
        for use in USES
        if use.where.startswith("bot/rules/codes.py:")
        for key in use.keys
        if key.startswith("code.")
    }
    assert {"not_member", "chat_not_approved", "no_accounts"} <= reasons
    for reason in reasons:
        assert f"reason.{reason}" in CATALOG, reason


def test_html_fragments_are_not_escaped_twice() -> None:
    fragment = text(ENGLISH, "members.all_accounts")
    assert isinstance(fragment, Html)
    assert text(ENGLISH, "members.added", name="A&B", accounts=fragment) == (
        "✅ A&amp;B is a member, with all accounts."
    )

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
from bot.messages import CATALOG, CHINESE, ENGLISH, Html, language_for, plain, text
from bot.rules.model import Role
from tests.fake_telegram.html_entities import parse_html

ROOT = Path(__file__).resolve().parent.parent
SOURCES = [ROOT / package for package in ("teamotp", "bot", "storage")]

# Functions whose argument at this position is a catalog key (`Key` marks a value that is
# one, rendered in the reader's language; `line`: the lines of `teamotp check`, each with
# its outcome first).
KEY_ARGUMENT = {
    "text": 1,
    "chunked": 1,
    "line": 1,
    "Key": 0,
    "said": 1,
    "StoreError": 1,
    "MasterKeyError": 1,
    "BackupError": 1,
    "RotationError": 1,
    "SchemaError": 1,
    "keyed": 0,  # a log record's catalog entry (storage.logged)
}
# TeamOtpError and its subclasses take the key first; NotAMember/ChatNotApproved pass it
# to super().__init__.
ERROR_CLASSES = {
    "TeamOtpError",
    "InvalidInput",
    "NotAllowed",
    "InvalidSecret",
    "InvalidImage",
    "__init__",
    # What stops a server command (teamotp.telling.OperatorError and its kinds).
    "OperatorError",
    "ConfigError",
    "StartupError",
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


_TAGS = re.compile(r"<(/?)([a-z-]+)[^>]*>")


@pytest.mark.parametrize("key", sorted(CATALOG))
def test_every_tag_a_message_opens_it_closes_in_both_languages(key: str) -> None:
    """Checked on the template itself, not only once rendered: a `<b>` left open in a
    fragment would still parse alone and break the message it is put into."""
    for lang in (ENGLISH, CHINESE):
        open_tags: list[str] = []
        for closing, tag in _TAGS.findall(CATALOG[key][lang]):
            if closing:
                assert open_tags, f"{key} ({lang}): </{tag}> closes nothing"
                assert open_tags.pop() == tag, f"{key} ({lang}): </{tag}> crosses a tag"
            else:
                open_tags.append(tag)
        assert open_tags == [], f"{key} ({lang}): <{open_tags[-1]}> is never closed"


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


# What a Chinese reader may see in Latin letters, besides what they type or copy (commands,
# <code>, links, options and setting names) and the values filled in. Kept short: each is
# how the thing is spelled where the reader meets it too.
LATIN_ALLOWED = {
    "teamotp",  # the bot's name
    "Telegram",  # the app's name, also in its own Chinese interface
    "English",  # the language's own name, beside 英文, for a reader who chose it
    "Google",  # "Google 身份验证器" is the app's Chinese name
    "Start",  # the button Telegram shows under a bot's first message
    "ID",  # Telegram's Chinese interface says ID too
    "2SV",  # Seller Central's own wording: 两步验证（2SV）
    "TOTP",  # the kinds of code, named next to a Chinese explanation
    "HOTP",
    "otpauth",  # the scheme of the link the reader pastes
    "SHA1",  # algorithms, spelled as the site's link spells them
    "SHA256",
    "SHA512",
    "base32",  # what sites call the key's letters
    "base64",
    "PNG",  # file kinds and size, as phones show them
    "JPEG",
    "WEBP",
    "MB",
    "UTC",  # times are given in UTC
    "NTP",  # what the server's operator enables
    "amazon-us",  # the example account name, which the reader may type as it is
    "SmsForwarder",  # the forwarding app, by the name it has in Chinese app stores too
    "Webhook",  # SmsForwarder's own label for the kind of sender
    "POST",  # the request method SmsForwarder asks for, as it spells it
    "HTTPS",  # what keeps the relay's address private
    "SIM",  # SIM 卡, as phones say it
}
# And what the server's operator reads at the terminal (the command line, its settings,
# why it stops) the way their tools spell it.
OPERATOR_KEYS = ("cli.", "config.", "startup.", "store.", "key.", "setting.")
LATIN_ALLOWED_OPERATOR = {
    "webhook",  # a mode's name: TEAMOTP_MODE=webhook, --webhook
    "polling",  # the other mode's name: TEAMOTP_MODE=polling
    "Bot",  # Telegram's Bot API, by its name
    "API",
    "getMe",  # the Bot API's method `teamotp check` asks
    "SQLite",  # the database software, by name
    "SQLAlchemy",
    "README",  # the file
    "uid",  # the Unix user id, as `id` and `ls -n` show it
    "CSV",  # the formats `teamotp audit` writes
    "JSON",
    "DNS",  # what the operator checks when the Bot API cannot be reached
    "Date",  # the HTTP header the clock is compared with
    "can_read_all_group_messages",  # the getMe field that says privacy mode is off
    "Enable",  # @BotFather's buttons, as it shows them
    "Token",
    "env",  # the .env file
    "verify",  # `teamotp audit verify`, as typed
}

# A sample value for a placeholder, by its name: what the code fills in there. Values are
# removed before the scan, so a name or a code in Latin letters is no leak.
SAMPLES = {
    "user_id": "123456789",
    "chat_id": "-1001234567890",
    "code": "123456",
    "username": " @lilei",
    "name": "Li Lei",
    "account": "amazon-us",
    "issuer": "Amazon",
    "uri": "otpauth://totp/amazon-us?secret=<hidden>",
    "time": "2025-03-01 08:00 UTC",
    "algorithm": "MD5",
    "version": "1.4.0",
    "database": "postgresql",
    "kind": "OperationalError",
    "head_hash": "9f2c",
}


def _scanned(rendered: str, values: list[str]) -> str:
    """What the reader reads as prose: no <code>, tags, values, links, commands with their
    arguments, command-line options or setting names."""
    prose = plain(re.sub(r"<code>.*?</code>", " ", rendered, flags=re.DOTALL))
    for value in sorted(values, key=len, reverse=True):
        prose = prose.replace(value, " ")
    prose = re.sub(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s，。；（）]*", " ", prose)
    prose = re.sub(r"`[^`]*`|@[A-Za-z0-9_]+", " ", prose)  # a shell command; a @username
    # A command runs to the end of its clause: the next full-width mark, dash or line.
    prose = re.sub(r"(?:(?<![\w/])/[a-z_]+|teamotp [a-z-]+)[^\n，。：；、！？（）“”—]*", " ", prose)
    prose = re.sub(r"--[a-z-]+", " ", prose)
    return re.sub(r"\bTEAMOTP_[A-Z_]*", " ", prose)


def latin_words(rendered: str, values: list[str], allowed: set[str] = LATIN_ALLOWED) -> set[str]:
    words = re.findall(r"[A-Za-z0-9][A-Za-z0-9_+-]*", _scanned(rendered, values))
    return {w for w in words if sum(c.isascii() and c.isalpha() for c in w) >= 2} - allowed


@pytest.mark.parametrize("key", sorted(CATALOG))
def test_a_chinese_message_shows_no_english(key: str) -> None:
    """The Chinese side rendered with sample values for its placeholders: any Latin word
    left in its prose (outside commands, <code>, links, values and the short list of
    accepted terms) is English reaching a Chinese reader."""
    template = CATALOG[key][CHINESE]
    values = {name: SAMPLES.get(name, "示例") for name in placeholders(template)}
    rendered = text(CHINESE, key, **values)
    allowed = LATIN_ALLOWED | (LATIN_ALLOWED_OPERATOR if key.startswith(OPERATOR_KEYS) else set())
    assert latin_words(rendered, list(values.values()), allowed) == set(), rendered


def test_the_english_scan_finds_english() -> None:
    """The scan above is no scan if it finds nothing: an untranslated clause is caught, and
    commands, <code> and values are not."""
    assert latin_words("请发送 /add @alice amazon-us for 8h，或者 ask an admin。", []) == {
        "ask",
        "an",
        "admin",
    }
    assert latin_words("末尾加 <code>for 8h</code>：Li Lei 的 base32 密钥", ["Li Lei"]) == set()


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
        "uri.malformed",
        "config.token_missing",
        "startup.token_refused",
        "store.wrong_key",
        "key.file_missing",
        "cli.help.run",
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

"""Configuration from the environment and an optional `.env` file.

Everything is read once at start-up into an immutable `Settings`; a bad value
stops the bot with a one-line reason instead of failing later, mid-request.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, tzinfo
from pathlib import Path
from typing import Generic, Literal, TypeVar
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dotenv import dotenv_values

from bot.messages import Key
from bot.rules.limits import DEFAULT_CODES_PER_MINUTE
from teamotp.telling import OperatorError

T = TypeVar("T")

DEFAULT_API_URL = "https://api.telegram.org"
DEFAULT_LISTEN_HOST = "127.0.0.1"
DEFAULT_LISTEN_PORT = 8080
DEFAULT_DATA_DIR = "./data"
DEFAULT_LOG_LEVEL = "INFO"
# Telegram's "about 30 messages a second" to all chats, with one to spare for timing.
DEFAULT_SENDS_PER_SECOND = 29

Mode = Literal["polling", "webhook"]
# What Telegram accepts as a webhook's secret token (setWebhook's `secret_token`).
_WEBHOOK_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")
# The ports api.telegram.org posts to; a self-hosted Bot API server (`--local`) takes any.
WEBHOOK_PORTS = (443, 80, 88, 8443)
# Where the webhook server answers a load balancer's health check.
HEALTH_PATH = "/healthz"
# Where the SMS relay's phone posts (`/sms/<relay id>`), on the same server.
SMS_PATH = "/sms/"


@dataclass(frozen=True)
class Variable:
    """A setting as the operator meets it: `teamotp run --help` lists these, and
    `load_settings` reads no other, so the list cannot leave one out."""

    name: str
    default: str  # as shown: a value, or (a `Key`) what happens without one
    meaning: Key


VARIABLES: tuple[Variable, ...] = (
    Variable("TEAMOTP_BOT_TOKEN", Key("setting.required"), Key("setting.bot_token")),
    Variable("TEAMOTP_OWNER_IDS", Key("setting.owner_ids_default"), Key("setting.owner_ids")),
    Variable("TEAMOTP_DATA_DIR", DEFAULT_DATA_DIR, Key("setting.data_dir")),
    Variable("TEAMOTP_DATABASE_URL", "sqlite:///DATA_DIR/teamotp.db", Key("setting.database_url")),
    Variable("TEAMOTP_MASTER_KEY", Key("setting.master_key_default"), Key("setting.master_key")),
    Variable("TEAMOTP_MASTER_KEY_FILE", "DATA_DIR/master.key", Key("setting.master_key_file")),
    Variable("TEAMOTP_API_URL", DEFAULT_API_URL, Key("setting.api_url")),
    Variable("TEAMOTP_AUDIT_CHAT_ID", Key("setting.none"), Key("setting.audit_chat_id")),
    Variable("TEAMOTP_CODE_TTL", "0", Key("setting.code_ttl")),
    Variable("TEAMOTP_LOG_LEVEL", DEFAULT_LOG_LEVEL, Key("setting.log_level")),
    Variable("TEAMOTP_TIMEZONE", "UTC", Key("setting.timezone")),
    Variable(
        "TEAMOTP_CODES_PER_MINUTE", str(DEFAULT_CODES_PER_MINUTE), Key("setting.codes_per_minute")
    ),
    Variable("TEAMOTP_AUTO_MIGRATE", "1", Key("setting.auto_migrate")),
    Variable("TEAMOTP_MODE", "polling", Key("setting.mode")),
    Variable("TEAMOTP_WEBHOOK_URL", Key("setting.webhook_required"), Key("setting.webhook_url")),
    Variable(
        "TEAMOTP_WEBHOOK_SECRET", Key("setting.webhook_required"), Key("setting.webhook_secret")
    ),
    Variable("TEAMOTP_LISTEN_HOST", DEFAULT_LISTEN_HOST, Key("setting.listen_host")),
    Variable("TEAMOTP_LISTEN_PORT", str(DEFAULT_LISTEN_PORT), Key("setting.listen_port")),
    Variable(
        "TEAMOTP_SENDS_PER_SECOND", str(DEFAULT_SENDS_PER_SECOND), Key("setting.sends_per_second")
    ),
    Variable("TEAMOTP_HTTP_HOST", DEFAULT_LISTEN_HOST, Key("setting.http_host")),
    Variable("TEAMOTP_HTTP_PORT", Key("setting.http_port_default"), Key("setting.http_port")),
    Variable("TEAMOTP_HTTP_URL", Key("setting.none"), Key("setting.http_url")),
)


class ConfigError(OperatorError):
    """A setting is missing or malformed. The message names the variable, never its value."""


class Secret(Generic[T]):
    """A value that must not show up in a repr, a log line or a traceback's locals dump."""

    __slots__ = ("_value",)

    def __init__(self, value: T) -> None:
        self._value = value

    def get(self) -> T:
        return self._value

    def __repr__(self) -> str:
        return "Secret('**********')"

    __str__ = __repr__


@dataclass(frozen=True)
class Webhook:
    """Where Telegram posts updates, the secret it sends with each, and where the bot
    listens for them (behind the TLS-terminating proxy that `url` reaches)."""

    url: str
    secret: Secret[str]
    listen_host: str
    listen_port: int

    @property
    def path(self) -> str:
        """The path the bot serves updates on: the one Telegram posts to."""
        return urlsplit(self.url).path or "/"


@dataclass(frozen=True)
class Settings:
    bot_token: Secret[str] | None
    owner_ids: frozenset[int]
    data_dir: Path
    database_url: str
    master_key: Secret[str] | None
    master_key_file: Path
    api_url: str
    audit_chat_id: int | None
    code_ttl: int
    log_level: str
    codes_per_minute: int = DEFAULT_CODES_PER_MINUTE
    # The team's time zone: times in /audit, notices and /members are shown in it.
    timezone: tzinfo = UTC
    # Whether `teamotp run` upgrades the store's schema itself (else `teamotp migrate` does).
    auto_migrate: bool = True
    # How updates arrive: `getUpdates` (polling) or Telegram posting them (webhook).
    mode: Mode = "polling"
    webhook_url: str | None = None
    webhook_secret: Secret[str] | None = None
    listen_host: str = DEFAULT_LISTEN_HOST
    listen_port: int = DEFAULT_LISTEN_PORT
    # Where the SMS relay's phone posts (polling mode; in webhook mode the webhook's server
    # takes its posts): no port, no listener. `http_url`: how the phone reaches it, shown
    # by `/sms add`.
    http_host: str = DEFAULT_LISTEN_HOST
    http_port: int | None = None
    http_url: str | None = None
    # At most this many sends a second to all chats together (0: not paced).
    sends_per_second: int = DEFAULT_SENDS_PER_SECOND

    @property
    def listener(self) -> tuple[str, int] | None:
        """The address of the HTTP server that takes the phone's posts, if any."""
        if self.mode == "webhook":
            return self.listen_host, self.listen_port
        if self.http_port is None:
            return None
        return self.http_host, self.http_port

    @property
    def bot_id(self) -> int | None:
        """The bot's own Telegram user id: a token is `<bot id>:<secret part>`."""
        if self.bot_token is None:
            return None
        prefix = self.bot_token.get().partition(":")[0]
        return int(prefix) if prefix.isascii() and prefix.isdecimal() else None

    def require_token(self) -> str:
        if self.bot_token is None:
            raise ConfigError("config.token_missing")
        return self.bot_token.get()

    def require_webhook(self) -> Webhook:
        """What webhook mode needs: asked for only in that mode, as the token is."""
        if self.webhook_url is None:
            raise ConfigError("config.webhook_url_missing")
        if self.webhook_secret is None:
            raise ConfigError("config.webhook_secret_missing")
        return Webhook(self.webhook_url, self.webhook_secret, self.listen_host, self.listen_port)


def load_settings(
    environ: Mapping[str, str] | None = None, env_file: Path | None = Path(".env")
) -> Settings:
    """Read settings; real environment variables win over the `.env` file."""
    values: dict[str, str] = {}
    if env_file is not None and env_file.is_file():
        values.update({k: v for k, v in dotenv_values(env_file).items() if v is not None})
    values.update(os.environ if environ is None else environ)

    known = {variable.name for variable in VARIABLES}

    def get(name: str) -> str:
        if name not in known:  # a setting nobody could find in `teamotp run --help`
            raise KeyError(f"{name} is not in teamotp.config.VARIABLES")
        return values.get(name, "").strip()

    data_dir = Path(get("TEAMOTP_DATA_DIR") or DEFAULT_DATA_DIR)
    token = get("TEAMOTP_BOT_TOKEN")
    master_key = get("TEAMOTP_MASTER_KEY")
    api_url = _parse_api_url(get("TEAMOTP_API_URL") or DEFAULT_API_URL)
    webhook_secret = get("TEAMOTP_WEBHOOK_SECRET")
    return Settings(
        bot_token=Secret(token) if token else None,
        owner_ids=_parse_ids("TEAMOTP_OWNER_IDS", get("TEAMOTP_OWNER_IDS")),
        data_dir=data_dir,
        database_url=get("TEAMOTP_DATABASE_URL") or f"sqlite:///{data_dir / 'teamotp.db'}",
        master_key=Secret(master_key) if master_key else None,
        master_key_file=Path(get("TEAMOTP_MASTER_KEY_FILE") or data_dir / "master.key"),
        api_url=api_url,
        audit_chat_id=_parse_int("TEAMOTP_AUDIT_CHAT_ID", get("TEAMOTP_AUDIT_CHAT_ID")),
        code_ttl=_parse_ttl(get("TEAMOTP_CODE_TTL")),
        log_level=_parse_level(get("TEAMOTP_LOG_LEVEL") or DEFAULT_LOG_LEVEL),
        codes_per_minute=_parse_rate(get("TEAMOTP_CODES_PER_MINUTE")),
        timezone=_parse_zone(get("TEAMOTP_TIMEZONE")),
        auto_migrate=_parse_switch("TEAMOTP_AUTO_MIGRATE", get("TEAMOTP_AUTO_MIGRATE"), True),
        mode=_parse_mode(get("TEAMOTP_MODE")),
        webhook_url=_parse_webhook_url(get("TEAMOTP_WEBHOOK_URL"), api_url),
        webhook_secret=_parse_webhook_secret(webhook_secret),
        listen_host=get("TEAMOTP_LISTEN_HOST") or DEFAULT_LISTEN_HOST,
        listen_port=_parse_port("TEAMOTP_LISTEN_PORT", get("TEAMOTP_LISTEN_PORT")),
        http_host=get("TEAMOTP_HTTP_HOST") or DEFAULT_LISTEN_HOST,
        http_port=_parse_http_port(
            get("TEAMOTP_HTTP_PORT"), get("TEAMOTP_MODE"), get("TEAMOTP_LISTEN_PORT")
        ),
        http_url=_parse_http_url(get("TEAMOTP_HTTP_URL")),
        sends_per_second=_parse_sends(get("TEAMOTP_SENDS_PER_SECOND")),
    )


def _parse_ids(name: str, raw: str) -> frozenset[int]:
    """Numeric ids only: an @username or a name cannot be told apart from someone else's, and
    the bot shows each person their id on /start."""
    ids = set()
    for part in raw.replace(";", ",").split(","):
        if part.strip():
            word = part.strip()
            if not (word.isascii() and word.isdecimal()) or int(word) <= 0:
                raise ConfigError("config.ids", name=name)
            ids.add(int(word))
    return frozenset(ids)


def _parse_int(name: str, raw: str) -> int | None:
    if not raw:
        return None
    try:
        return int(raw)
    except ValueError:
        raise ConfigError("config.whole_number", name=name) from None


def _parse_ttl(raw: str) -> int:
    ttl = _parse_int("TEAMOTP_CODE_TTL", raw)
    if ttl is None:
        return 0
    if ttl < -1:
        raise ConfigError("config.code_ttl")
    return ttl


def _parse_rate(raw: str) -> int:
    rate = _parse_int("TEAMOTP_CODES_PER_MINUTE", raw)
    if rate is None:
        return DEFAULT_CODES_PER_MINUTE
    if rate < 0:
        raise ConfigError("config.codes_per_minute")
    return rate


def _parse_zone(raw: str) -> tzinfo:
    """An IANA zone name (`Asia/Shanghai`), as the system's time zone database knows it."""
    if not raw or raw.upper() == "UTC":
        return UTC
    try:
        return ZoneInfo(raw)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError("config.timezone", value=raw) from None


def _parse_switch(name: str, raw: str, default: bool) -> bool:
    word = raw.lower()
    if not word:
        return default
    if word in {"1", "true", "yes", "on"}:
        return True
    if word in {"0", "false", "no", "off"}:
        return False
    raise ConfigError("config.switch", name=name)


def _parse_api_url(raw: str) -> str:
    """An http(s) URL with a host: anything else can never reach a Bot API, so the bot
    stops at once instead of retrying it."""
    try:
        parts = urlsplit(raw.strip())
        usable = parts.scheme in ("http", "https") and bool(parts.hostname)
        parts.port  # noqa: B018 - raises for a port that is no number
    except ValueError:
        usable = False
    if not usable or any(c.isspace() for c in raw.strip()):
        raise ConfigError("config.api_url")
    return raw.strip().rstrip("/")


def _parse_mode(raw: str) -> Mode:
    word = raw.lower()
    if word in ("", "polling"):
        return "polling"
    if word == "webhook":
        return "webhook"
    raise ConfigError("config.mode")


def _parse_webhook_url(raw: str, api_url: str) -> str | None:
    """An https URL on a port Telegram posts to. A self-hosted Bot API server (another
    TEAMOTP_API_URL) also posts to http:// and to any port, so there only the shape is
    checked."""
    if not raw:
        return None
    own_server = api_url != DEFAULT_API_URL
    schemes = ("https", "http") if own_server else ("https",)
    try:
        parts = urlsplit(raw)
        port = parts.port
        usable = parts.scheme in schemes and bool(parts.hostname) and not parts.fragment
    except ValueError:
        usable, port = False, None
    if not usable or any(c.isspace() for c in raw):
        raise ConfigError("config.webhook_url")
    if not own_server and port is not None and port not in WEBHOOK_PORTS:
        raise ConfigError("config.webhook_port")
    if parts.path.rstrip("/") == HEALTH_PATH:
        raise ConfigError("config.webhook_health", path=HEALTH_PATH)
    if parts.path.startswith(SMS_PATH):
        raise ConfigError("config.webhook_health", path=SMS_PATH)
    return raw


def _parse_webhook_secret(raw: str) -> Secret[str] | None:
    if not raw:
        return None
    if not _WEBHOOK_SECRET.fullmatch(raw):
        raise ConfigError("config.webhook_secret")
    return Secret(raw)


def _parse_port(name: str, raw: str) -> int:
    port = _parse_int(name, raw)
    if port is None:
        return DEFAULT_LISTEN_PORT
    if not 1 <= port <= 65535:
        raise ConfigError("config.port", name=name)
    return port


def _parse_http_port(raw: str, mode: str, listen_port: str) -> int | None:
    """In webhook mode the webhook's server takes the phone's posts too: a port of its own
    would be a second server nobody asked for, so only the same port is accepted."""
    if not raw:
        return None
    port = _parse_port("TEAMOTP_HTTP_PORT", raw)
    if mode.lower() == "webhook" and port != _parse_port("TEAMOTP_LISTEN_PORT", listen_port):
        raise ConfigError("config.http_port_webhook")
    return port


def _parse_sends(raw: str) -> int:
    sends = _parse_int("TEAMOTP_SENDS_PER_SECOND", raw)
    if sends is None:
        return DEFAULT_SENDS_PER_SECOND
    if sends < 0:
        raise ConfigError("config.sends_per_second")
    return sends


def _parse_http_url(raw: str) -> str | None:
    """The address the phone posts to, as it reaches the bot (through a proxy or not)."""
    if not raw:
        return None
    try:
        parts = urlsplit(raw)
        usable = parts.scheme in ("https", "http") and bool(parts.hostname)
    except ValueError:
        usable = False
    if not usable or parts.query or parts.fragment or any(c.isspace() for c in raw):
        raise ConfigError("config.http_url")
    return raw.rstrip("/")


def _parse_level(raw: str) -> str:
    level = raw.upper()
    if level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
        raise ConfigError("config.log_level")
    return level

"""Configuration from the environment and an optional `.env` file.

Everything is read once at start-up into an immutable `Settings`; a bad value
stops the bot with a one-line reason instead of failing later, mid-request.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, TypeVar
from urllib.parse import urlsplit

from dotenv import dotenv_values

from bot.rules.limits import DEFAULT_CODES_PER_MINUTE

T = TypeVar("T")

DEFAULT_API_URL = "https://api.telegram.org"


class ConfigError(Exception):
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
    # Whether `teamotp run` upgrades the store's schema itself (else `teamotp migrate` does).
    auto_migrate: bool = True

    @property
    def bot_id(self) -> int | None:
        """The bot's own Telegram user id: a token is `<bot id>:<secret part>`."""
        if self.bot_token is None:
            return None
        prefix = self.bot_token.get().partition(":")[0]
        return int(prefix) if prefix.isascii() and prefix.isdecimal() else None

    def require_token(self) -> str:
        if self.bot_token is None:
            raise ConfigError(
                "TEAMOTP_BOT_TOKEN is not set: get a token from @BotFather and set it "
                "in the environment or in .env"
            )
        return self.bot_token.get()


def load_settings(
    environ: Mapping[str, str] | None = None, env_file: Path | None = Path(".env")
) -> Settings:
    """Read settings; real environment variables win over the `.env` file."""
    values: dict[str, str] = {}
    if env_file is not None and env_file.is_file():
        values.update({k: v for k, v in dotenv_values(env_file).items() if v is not None})
    values.update(os.environ if environ is None else environ)

    def get(name: str) -> str:
        return values.get(name, "").strip()

    data_dir = Path(get("TEAMOTP_DATA_DIR") or "./data")
    token = get("TEAMOTP_BOT_TOKEN")
    master_key = get("TEAMOTP_MASTER_KEY")
    return Settings(
        bot_token=Secret(token) if token else None,
        owner_ids=_parse_ids("TEAMOTP_OWNER_IDS", get("TEAMOTP_OWNER_IDS")),
        data_dir=data_dir,
        database_url=get("TEAMOTP_DATABASE_URL") or f"sqlite:///{data_dir / 'teamotp.db'}",
        master_key=Secret(master_key) if master_key else None,
        master_key_file=Path(get("TEAMOTP_MASTER_KEY_FILE") or data_dir / "master.key"),
        api_url=_parse_api_url(get("TEAMOTP_API_URL") or DEFAULT_API_URL),
        audit_chat_id=_parse_int("TEAMOTP_AUDIT_CHAT_ID", get("TEAMOTP_AUDIT_CHAT_ID")),
        code_ttl=_parse_ttl(get("TEAMOTP_CODE_TTL")),
        log_level=_parse_level(get("TEAMOTP_LOG_LEVEL") or "INFO"),
        codes_per_minute=_parse_rate(get("TEAMOTP_CODES_PER_MINUTE")),
        auto_migrate=_parse_switch("TEAMOTP_AUTO_MIGRATE", get("TEAMOTP_AUTO_MIGRATE"), True),
    )


def _parse_ids(name: str, raw: str) -> frozenset[int]:
    ids = set()
    for part in raw.replace(";", ",").split(","):
        if part.strip():
            value = _parse_int(name, part.strip())
            if value is None or value <= 0:
                raise ConfigError(f"{name} must be comma-separated positive Telegram user ids")
            ids.add(value)
    return frozenset(ids)


def _parse_int(name: str, raw: str) -> int | None:
    if not raw:
        return None
    try:
        return int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number") from None


def _parse_ttl(raw: str) -> int:
    ttl = _parse_int("TEAMOTP_CODE_TTL", raw)
    if ttl is None:
        return 0
    if ttl < -1:
        raise ConfigError("TEAMOTP_CODE_TTL must be -1 (keep), 0 (delete at expiry) or seconds")
    return ttl


def _parse_rate(raw: str) -> int:
    rate = _parse_int("TEAMOTP_CODES_PER_MINUTE", raw)
    if rate is None:
        return DEFAULT_CODES_PER_MINUTE
    if rate < 0:
        raise ConfigError("TEAMOTP_CODES_PER_MINUTE must be 0 (no limit) or a positive number")
    return rate


def _parse_switch(name: str, raw: str, default: bool) -> bool:
    word = raw.lower()
    if not word:
        return default
    if word in {"1", "true", "yes", "on"}:
        return True
    if word in {"0", "false", "no", "off"}:
        return False
    raise ConfigError(f"{name} must be 1 or 0")


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
        raise ConfigError(
            "TEAMOTP_API_URL must be an http:// or https:// URL, like https://api.telegram.org"
        )
    return raw.strip().rstrip("/")


def _parse_level(raw: str) -> str:
    level = raw.upper()
    if level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
        raise ConfigError("TEAMOTP_LOG_LEVEL must be DEBUG, INFO, WARNING, ERROR or CRITICAL")
    return level

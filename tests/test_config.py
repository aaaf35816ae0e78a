"""Settings from the environment and `.env` (PRODUCT.md, Configuration)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from teamotp.config import DEFAULT_API_URL, ConfigError, Secret, Settings, load_settings

TOKEN = "123456789:AAH-test-token-secret"
KEY = "q83vEjRWeJ0hDsrDCfjAZoOOIKy6skLqXnkbxuYk+oA="


def settings(**env: str) -> Settings:
    return load_settings(env, env_file=None)


def test_defaults_match_the_configuration_table() -> None:
    s = settings()
    assert s.bot_token is None
    assert s.owner_ids == frozenset()
    assert s.data_dir == Path("data")
    assert s.database_url == "sqlite:///data/teamotp.db"
    assert s.master_key is None
    assert s.master_key_file == Path("data") / "master.key"
    assert s.api_url == DEFAULT_API_URL == "https://api.telegram.org"
    assert s.audit_chat_id is None
    assert s.code_ttl == 0
    assert s.log_level == "INFO"
    assert s.codes_per_minute == 6


def test_database_and_key_file_follow_the_data_dir(tmp_path: Path) -> None:
    s = settings(TEAMOTP_DATA_DIR=str(tmp_path / "state"))
    assert s.data_dir == tmp_path / "state"
    assert s.database_url == f"sqlite:///{tmp_path / 'state' / 'teamotp.db'}"
    assert s.master_key_file == tmp_path / "state" / "master.key"


def test_explicit_database_url_and_key_file_win_over_the_data_dir(tmp_path: Path) -> None:
    s = settings(
        TEAMOTP_DATA_DIR=str(tmp_path / "state"),
        TEAMOTP_DATABASE_URL="postgresql+psycopg://teamotp@db/teamotp",
        TEAMOTP_MASTER_KEY_FILE=str(tmp_path / "keys" / "teamotp.key"),
    )
    assert s.database_url == "postgresql+psycopg://teamotp@db/teamotp"
    assert s.master_key_file == tmp_path / "keys" / "teamotp.key"


def test_token_key_and_other_values_are_read() -> None:
    s = settings(
        TEAMOTP_BOT_TOKEN=f"  {TOKEN} ",
        TEAMOTP_MASTER_KEY=KEY,
        TEAMOTP_API_URL="http://127.0.0.1:8081/",
        TEAMOTP_AUDIT_CHAT_ID="-1001234567890",
        TEAMOTP_LOG_LEVEL="debug",
    )
    assert s.require_token() == TOKEN
    assert s.master_key is not None
    assert s.master_key.get() == KEY
    assert s.api_url == "http://127.0.0.1:8081"  # {url}/bot{token}/... without "//"
    assert s.audit_chat_id == -1001234567890
    assert s.log_level == "DEBUG"


def test_missing_or_blank_token_is_refused_only_when_needed() -> None:
    for blank in ({}, {"TEAMOTP_BOT_TOKEN": "   "}):
        s = settings(**blank)
        assert s.bot_token is None
        with pytest.raises(ConfigError, match="TEAMOTP_BOT_TOKEN is not set"):
            s.require_token()


@pytest.mark.parametrize(
    ("raw", "ids"),
    [
        ("", frozenset()),
        ("42", frozenset({42})),
        ("1, 2 ,3", frozenset({1, 2, 3})),
        ("1;2", frozenset({1, 2})),
        ("7,", frozenset({7})),
        ("5,5", frozenset({5})),
    ],
)
def test_owner_ids_are_comma_separated(raw: str, ids: frozenset[int]) -> None:
    assert settings(TEAMOTP_OWNER_IDS=raw).owner_ids == ids


@pytest.mark.parametrize("raw", ["abc", "12,abc", "0", "-5", "1 2", "@olga", "٣"])
def test_malformed_owner_ids_are_refused_saying_what_an_id_is_and_where_to_see_it(
    raw: str,
) -> None:
    with pytest.raises(ConfigError) as refused:
        settings(TEAMOTP_OWNER_IDS=raw)
    assert str(refused.value) == (
        "TEAMOTP_OWNER_IDS must be comma-separated numeric Telegram user ids "
        "(send /start to the bot to see yours)"
    )
    assert raw not in str(refused.value)


@pytest.mark.parametrize(("raw", "ttl"), [("", 0), ("0", 0), ("-1", -1), ("30", 30), (" 5 ", 5)])
def test_code_ttl_accepts_keep_at_expiry_and_seconds(raw: str, ttl: int) -> None:
    assert settings(TEAMOTP_CODE_TTL=raw).code_ttl == ttl


@pytest.mark.parametrize("raw", ["-2", "-60", "soon", "1.5", "30s"])
def test_code_ttl_below_minus_one_or_not_a_number_is_refused(raw: str) -> None:
    with pytest.raises(ConfigError, match="TEAMOTP_CODE_TTL"):
        settings(TEAMOTP_CODE_TTL=raw)


@pytest.mark.parametrize(
    ("name", "raw"),
    [("TEAMOTP_LOG_LEVEL", "LOUD"), ("TEAMOTP_AUDIT_CHAT_ID", "the-team")],
)
def test_other_malformed_values_are_refused_naming_the_variable(name: str, raw: str) -> None:
    with pytest.raises(ConfigError, match=name) as refused:
        settings(**{name: raw})
    assert raw not in str(refused.value)


def test_repr_of_settings_shows_neither_token_nor_key() -> None:
    s = settings(TEAMOTP_BOT_TOKEN=TOKEN, TEAMOTP_MASTER_KEY=KEY)
    for shown in (repr(s), str(s), f"{s}", repr(dataclasses.asdict(s))):
        assert TOKEN not in shown
        assert TOKEN.split(":")[1] not in shown
        assert KEY not in shown
    assert repr(Secret(TOKEN)) == str(Secret(TOKEN)) == "Secret('**********')"


def test_settings_cannot_be_changed_after_loading() -> None:
    s = settings()
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.code_ttl = 5  # type: ignore[misc]


def test_env_file_is_read_and_the_environment_wins(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text(
        "# comments and quotes as people write them\n"
        f'TEAMOTP_BOT_TOKEN="{TOKEN}"\n'
        "TEAMOTP_OWNER_IDS=1,2\n"
        "TEAMOTP_CODE_TTL=30\n"
        "export TEAMOTP_LOG_LEVEL=warning\n"
        "TEAMOTP_AUDIT_CHAT_ID\n"
    )
    s = load_settings({"TEAMOTP_CODE_TTL": "-1"}, env_file=env_file)
    assert s.require_token() == TOKEN
    assert s.owner_ids == frozenset({1, 2})
    assert s.code_ttl == -1
    assert s.log_level == "WARNING"
    assert s.audit_chat_id is None


def test_env_file_is_optional(tmp_path: Path) -> None:
    s = load_settings({"TEAMOTP_BOT_TOKEN": TOKEN}, env_file=tmp_path / "absent.env")
    assert s.require_token() == TOKEN


def test_default_env_file_is_the_one_in_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / ".env").write_text("TEAMOTP_OWNER_IDS=77\n")
    monkeypatch.chdir(tmp_path)
    assert load_settings({}).owner_ids == frozenset({77})


def test_real_environment_is_read_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEAMOTP_OWNER_IDS", "99")
    assert load_settings(env_file=None).owner_ids == frozenset({99})


@pytest.mark.parametrize(("raw", "rate"), [("", 6), ("0", 0), ("12", 12), (" 3 ", 3)])
def test_codes_per_minute_is_read_and_zero_means_no_limit(raw: str, rate: int) -> None:
    assert settings(TEAMOTP_CODES_PER_MINUTE=raw).codes_per_minute == rate


@pytest.mark.parametrize("raw", ["-1", "six", "1.5"])
def test_malformed_codes_per_minute_is_refused_naming_the_variable(raw: str) -> None:
    with pytest.raises(ConfigError, match="TEAMOTP_CODES_PER_MINUTE") as refused:
        settings(TEAMOTP_CODES_PER_MINUTE=raw)
    assert raw not in str(refused.value)


@pytest.mark.parametrize(("raw", "sends"), [("", 29), ("0", 0), ("100", 100)])
def test_sends_per_second_is_read_and_zero_means_not_paced(raw: str, sends: int) -> None:
    assert settings(TEAMOTP_SENDS_PER_SECOND=raw).sends_per_second == sends


@pytest.mark.parametrize("raw", ["-1", "fast", "2.5"])
def test_malformed_sends_per_second_is_refused_naming_the_variable(raw: str) -> None:
    with pytest.raises(ConfigError, match="TEAMOTP_SENDS_PER_SECOND"):
        settings(TEAMOTP_SENDS_PER_SECOND=raw)


# ------------------------------------------------------------------ the SMS relay's server


def test_the_sms_relay_server_is_off_in_polling_mode_until_a_port_is_set() -> None:
    assert settings().listener is None
    assert settings(TEAMOTP_HTTP_PORT="8088").listener == ("127.0.0.1", 8088)
    on_lan = settings(TEAMOTP_HTTP_PORT="8088", TEAMOTP_HTTP_HOST="0.0.0.0")  # noqa: S104
    assert on_lan.listener == ("0.0.0.0", 8088)  # noqa: S104


@pytest.mark.parametrize("raw", ["otp.example.com", "ftp://otp.example.com", "https://x/?a=1"])
def test_an_sms_url_that_is_no_web_address_is_refused(raw: str) -> None:
    with pytest.raises(ConfigError, match="TEAMOTP_HTTP_URL"):
        settings(TEAMOTP_HTTP_URL=raw)


# ------------------------------------------------------------------ webhook mode

WEBHOOK_SECRET = "s3cr3t-webhook_token"


def test_polling_is_the_default_and_webhook_settings_have_the_tables_defaults() -> None:
    s = settings()
    assert s.mode == "polling"
    assert s.webhook_url is None
    assert s.webhook_secret is None
    assert (s.listen_host, s.listen_port) == ("127.0.0.1", 8080)


def test_webhook_mode_reads_the_url_the_secret_and_where_to_listen() -> None:
    s = settings(
        TEAMOTP_MODE="Webhook",
        TEAMOTP_WEBHOOK_URL="https://bot.example.com:8443/telegram/updates",
        TEAMOTP_WEBHOOK_SECRET=f" {WEBHOOK_SECRET} ",
        TEAMOTP_LISTEN_HOST="::",
        TEAMOTP_LISTEN_PORT="9000",
    )
    assert s.mode == "webhook"
    webhook = s.require_webhook()
    assert webhook.url == "https://bot.example.com:8443/telegram/updates"
    assert webhook.path == "/telegram/updates"
    assert webhook.secret.get() == WEBHOOK_SECRET
    assert (webhook.listen_host, webhook.listen_port) == ("::", 9000)


def test_a_webhook_url_without_a_path_is_served_at_the_root() -> None:
    s = settings(TEAMOTP_WEBHOOK_URL="https://bot.example.com", TEAMOTP_WEBHOOK_SECRET="x")
    assert s.require_webhook().path == "/"


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"TEAMOTP_WEBHOOK_SECRET": WEBHOOK_SECRET}, "TEAMOTP_WEBHOOK_URL is not set"),
        ({"TEAMOTP_WEBHOOK_URL": "https://bot.example.com/t"}, "TEAMOTP_WEBHOOK_SECRET is not set"),
    ],
)
def test_webhook_mode_refuses_a_missing_url_or_secret_in_one_line(
    env: dict[str, str], named: str
) -> None:
    s = settings(TEAMOTP_MODE="webhook", **env)
    with pytest.raises(ConfigError, match=named) as refused:
        s.require_webhook()
    assert "\n" not in str(refused.value)


@pytest.mark.parametrize(
    ("name", "raw", "says"),
    [
        ("TEAMOTP_MODE", "push", "polling or webhook"),
        ("TEAMOTP_WEBHOOK_URL", "http://bot.example.com/t", "https://"),
        ("TEAMOTP_WEBHOOK_URL", "bot.example.com/t", "https://"),
        ("TEAMOTP_WEBHOOK_URL", "https:///t", "https://"),
        ("TEAMOTP_WEBHOOK_URL", "https://bot.example.com/a b", "https://"),
        ("TEAMOTP_WEBHOOK_URL", "https://bot.example.com:99999/t", "https://"),
        ("TEAMOTP_WEBHOOK_URL", "https://bot.example.com:8080/t", "443, 80, 88 or 8443"),
        ("TEAMOTP_WEBHOOK_URL", "https://bot.example.com/healthz", "health check"),
        ("TEAMOTP_WEBHOOK_SECRET", "base64+with/slashes=", "A-Z, a-z, 0-9, _ and -"),
        ("TEAMOTP_WEBHOOK_SECRET", "x" * 257, "1-256 characters"),
        ("TEAMOTP_WEBHOOK_SECRET", "geheimnis-ä", "A-Z, a-z, 0-9, _ and -"),
        ("TEAMOTP_LISTEN_PORT", "http", "TEAMOTP_LISTEN_PORT must be"),
        ("TEAMOTP_LISTEN_PORT", "0", "1-65535"),
        ("TEAMOTP_LISTEN_PORT", "65536", "1-65535"),
    ],
)
def test_malformed_webhook_settings_are_refused_in_one_line_naming_the_variable(
    name: str, raw: str, says: str
) -> None:
    with pytest.raises(ConfigError, match=name) as refused:
        settings(**{name: raw})
    assert says in str(refused.value)
    assert "\n" not in str(refused.value)
    if name == "TEAMOTP_WEBHOOK_SECRET":
        assert raw not in str(refused.value)


def test_with_a_self_hosted_bot_api_the_webhook_may_be_http_on_any_port() -> None:
    s = settings(
        TEAMOTP_API_URL="http://127.0.0.1:8081",
        TEAMOTP_WEBHOOK_URL="http://127.0.0.1:9000/hook",
        TEAMOTP_WEBHOOK_SECRET=WEBHOOK_SECRET,
    )
    assert s.require_webhook().url == "http://127.0.0.1:9000/hook"


def test_repr_of_settings_does_not_show_the_webhook_secret() -> None:
    s = settings(
        TEAMOTP_WEBHOOK_URL="https://bot.example.com/t", TEAMOTP_WEBHOOK_SECRET=WEBHOOK_SECRET
    )
    for shown in (repr(s), str(s), repr(s.require_webhook()), repr(dataclasses.asdict(s))):
        assert WEBHOOK_SECRET not in shown


def test_the_team_s_time_zone_is_an_iana_name_and_utc_by_default() -> None:
    assert settings().timezone.utcoffset(None) is not None
    assert str(settings(TEAMOTP_TIMEZONE="Asia/Shanghai").timezone) == "Asia/Shanghai"
    assert settings(TEAMOTP_TIMEZONE="utc").timezone is settings().timezone


@pytest.mark.parametrize("raw", ["Beijing", "UTC+8", "../../etc/passwd", "Asia/"])
def test_a_time_zone_this_system_does_not_know_is_refused_in_one_line(raw: str) -> None:
    with pytest.raises(ConfigError, match="TEAMOTP_TIMEZONE is not a time zone") as refused:
        settings(TEAMOTP_TIMEZONE=raw)
    assert "\n" not in str(refused.value)

"""The `teamotp` command line, in process: arguments, and `run` refusing to start; and,
in a fresh interpreter, that `teamotp accounts` leaves the Telegram library unloaded.

Running the bot for real (signals, `.env`, the command menu) is tested on a
subprocess in tests/e2e/test_startup.py.
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.messages import ENGLISH
from bot.rules.limits import DEFAULT_CODES_PER_MINUTE
from teamotp import __version__
from teamotp.cli import build_parser, main
from teamotp.config import VARIABLES


@pytest.fixture(autouse=True)
def clean_setup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No TEAMOTP_ variable or `.env` from the machine; logging levels restored afterwards
    (`run` configures logging for the whole process)."""
    for name in list(os.environ):
        if name.startswith("TEAMOTP_"):
            monkeypatch.delenv(name)
    monkeypatch.delenv("LC_ALL", raising=False)  # it would win over LANG
    monkeypatch.setenv("LANG", "C")  # English, whatever the machine's locale
    monkeypatch.chdir(tmp_path)
    names = ("", "httpx", "apscheduler", "sqlalchemy")
    levels = {name: logging.getLogger(name).level for name in names}
    yield
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    assert capsys.readouterr().out.strip() == f"teamotp {__version__}"


def test_a_command_is_required(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main([])
    assert done.value.code == 2
    assert "usage: teamotp" in capsys.readouterr().err


def test_unknown_command_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["frobnicate"])
    assert done.value.code == 2
    assert "invalid choice: 'frobnicate'" in capsys.readouterr().err


def test_run_help_mentions_signals_and_configuration(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["run", "--help"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    assert "TEAMOTP_" in out
    assert ".env" in out


def settings_config_reads() -> set[str]:
    """The names `load_settings` reads, found in config.py's source, not from its list."""
    source = (Path(__file__).resolve().parents[1] / "teamotp" / "config.py").read_text()
    return set(re.findall(r"\bget\(\"(TEAMOTP_[A-Z0-9_]+)\"\)", source))


def test_run_help_lists_every_setting_config_reads_with_its_default(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as done:
        main(["run", "--help"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    read = settings_config_reads()
    assert {"TEAMOTP_BOT_TOKEN", "TEAMOTP_DATA_DIR", "TEAMOTP_LISTEN_PORT"} <= read
    for name in sorted(read):
        assert re.search(rf"^  {name}  \S", out, re.MULTILINE), f"{name} is not in the help"
    assert "  TEAMOTP_DATA_DIR  ./data\n" in out
    assert "  TEAMOTP_LOG_LEVEL  INFO\n" in out
    assert f"  TEAMOTP_CODES_PER_MINUTE  {DEFAULT_CODES_PER_MINUTE}\n" in out
    assert "  TEAMOTP_API_URL  https://api.telegram.org\n" in out


def test_the_settings_listed_are_the_settings_read() -> None:
    """The help is made from `VARIABLES`: a setting read without being listed there would
    be one no operator could find."""
    assert {variable.name for variable in VARIABLES} == settings_config_reads()


def test_help_lists_run(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    assert "run" in out
    assert "SIGTERM" in out


def test_run_without_token_fails_with_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert main(["run"]) != 0
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        "teamotp: TEAMOTP_BOT_TOKEN is not set: get a token from @BotFather and set it in the "
        "environment or in .env"
    ]
    assert not (tmp_path / "data").exists(), "nothing is created before the settings are valid"


def test_run_with_malformed_setting_fails_with_one_line(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TEAMOTP_BOT_TOKEN", "1:x")
    monkeypatch.setenv("TEAMOTP_CODE_TTL", "-5")
    assert main(["run"]) != 0
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert err[0].startswith("teamotp: TEAMOTP_CODE_TTL must be")


def test_run_reads_dot_env_in_working_directory(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    (tmp_path / ".env").write_text("TEAMOTP_BOT_TOKEN=1:x\nTEAMOTP_OWNER_IDS=not-a-number\n")
    assert main(["run"]) != 0
    err = capsys.readouterr().err
    assert "TEAMOTP_OWNER_IDS" in err
    assert "TEAMOTP_BOT_TOKEN" not in err


@pytest.mark.parametrize(
    ("argv", "env"),
    [(["run", "--webhook"], {}), (["run"], {"TEAMOTP_MODE": "webhook"})],
    ids=["--webhook", "TEAMOTP_MODE"],
)
def test_run_in_webhook_mode_without_a_webhook_url_fails_with_one_line(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    argv: list[str],
    env: dict[str, str],
) -> None:
    monkeypatch.setenv("TEAMOTP_BOT_TOKEN", "1:x")
    monkeypatch.setenv("TEAMOTP_WEBHOOK_SECRET", "s3cr3t")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert err[0].startswith("teamotp: TEAMOTP_WEBHOOK_URL is not set"), err
    assert not (tmp_path / "data").exists(), "nothing is created before the settings are valid"


def test_run_help_offers_webhook_mode(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["run", "--help"])
    out = capsys.readouterr().out
    assert "--webhook" in out
    assert "TEAMOTP_WEBHOOK_URL" in out


@pytest.mark.parametrize(
    ("command", "first_line", "code"),
    [
        (["accounts", "list"], "No accounts yet", 0),
        (["audit", "verify"], "Audit chain intact: no chained events yet.", 0),
        (["init"], "Created the data directory", 0),
        (["check"], "[FAIL] Settings: TEAMOTP_BOT_TOKEN is not set", 1),
        (["members", "list"], "Members (0):", 0),
        (["audit", "--json"], "[]", 0),
    ],
    ids=["accounts", "audit", "init", "check", "members", "audit export"],
)
def test_server_commands_do_not_load_the_telegram_library(
    tmp_path: Path, command: list[str], first_line: str, code: int
) -> None:
    """The server commands (`accounts`, `audit`, `init`, `check`, `members`) work without a chat:
    `teamotp.app`, and with it the Telegram library, is imported by `run` only. This
    process has long loaded `telegram`, so a fresh interpreter tells; it also checks the
    library is there to be loaded."""
    script = (
        "import importlib.util, sys\n"
        "from teamotp import cli\n"
        f"code = cli.main({command!r})\n"
        "loaded = 'telegram' in sys.modules\n"
        "installed = importlib.util.find_spec('telegram') is not None\n"
        "print(f'exit={code} loaded={loaded} installed={installed}')\n"
    )
    done = subprocess.run(  # noqa: S603 - this interpreter, fixed arguments
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        env={"TEAMOTP_DATA_DIR": str(tmp_path / "data"), "LANG": "C"},
        cwd=tmp_path,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert first_line in lines[0]
    assert lines[-1] == f"exit={code} loaded=False installed=True"


def every_parser(
    parser: argparse.ArgumentParser, path: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], argparse.ArgumentParser]]:
    """The parser and each of its subcommands' parsers, at any depth, as argparse holds
    them: a command added later is walked too."""
    yield path, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                yield from every_parser(child, (*path, name))


def test_the_walk_finds_every_command_and_its_actions() -> None:
    found = {" ".join(path) for path, _ in every_parser(build_parser(ENGLISH))}
    assert {"", "init", "check", "run", "accounts add", "audit verify", "rotate-key"} <= found


@pytest.mark.parametrize(
    "path",
    [path for path, _ in every_parser(build_parser(ENGLISH))],
    ids=lambda path: " ".join(path),
)
def test_every_command_s_help_shows_an_example(
    path: tuple[str, ...], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as done:
        main([*path, "--help"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    examples = out.split("\nexample", 1)
    assert len(examples) == 2, f"`teamotp {' '.join(path)} --help` shows no example"
    shown = [line.strip() for line in examples[1].splitlines()[1:] if line.strip()]
    assert shown, "an examples heading with nothing under it"
    assert shown[0].startswith(("teamotp ", "TEAMOTP_", "echo ", "docker ")), shown[0]
    assert " ".join(("teamotp", *path)) in examples[1] or not path


@pytest.mark.parametrize(
    "path",
    [path for path, _ in every_parser(build_parser(ENGLISH))],
    ids=lambda path: " ".join(path),
)
def test_every_command_s_help_fits_a_terminal(
    path: tuple[str, ...], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Descriptions are wrapped to the terminal; examples, kept as written, are short."""
    monkeypatch.setenv("COLUMNS", "80")
    with pytest.raises(SystemExit):
        main([*path, "--help"])
    for line in capsys.readouterr().out.splitlines():
        assert len(line) <= 90, line


# ----------------------------------------------------------------- in Chinese (LANG=zh_*)


@pytest.fixture
def chinese(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")


@pytest.mark.usefixtures("chinese")
def test_under_a_chinese_locale_help_is_in_chinese(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    assert out.startswith("用法：teamotp [-h] [--version] COMMAND ...")
    assert "\n参数：\n" in out
    assert "\n选项：\n" in out
    assert "显示此帮助信息并退出" in out
    assert "启动机器人（长轮询或 webhook）" in out
    for english in ("usage:", "options", "show this help", "start the bot", "the audit log"):
        assert english not in out


@pytest.mark.usefixtures("chinese")
def test_under_a_chinese_locale_run_help_lists_the_settings_in_chinese(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit):
        main(["run", "--help"])
    out = capsys.readouterr().out
    assert "设置项及其默认值：" in out
    assert "  TEAMOTP_BOT_TOKEN  （必填）\n      从 @BotFather 获得的机器人令牌\n" in out
    assert "  TEAMOTP_DATA_DIR  ./data\n" in out  # values stay as they are typed
    for name in settings_config_reads():
        assert re.search(rf"^  {name}  \S", out, re.MULTILINE), f"{name} is not in the help"
    assert "settings, each with its default" not in out
    assert "(required)" not in out


@pytest.mark.usefixtures("chinese")
def test_under_a_chinese_locale_a_missing_token_is_told_in_chinese(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["run"]) == 2
    assert capsys.readouterr().err.strip().splitlines() == [
        "teamotp：未设置 TEAMOTP_BOT_TOKEN："
        "请向 @BotFather 申请机器人令牌，写入环境变量或 .env 文件"
    ]


@pytest.mark.usefixtures("chinese")
def test_under_a_chinese_locale_a_malformed_setting_is_told_in_chinese(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TEAMOTP_BOT_TOKEN", "1:x")
    monkeypatch.setenv("TEAMOTP_MODE", "pull")
    assert main(["run"]) == 2
    assert capsys.readouterr().err.strip() == "teamotp：TEAMOTP_MODE 必须是 polling 或 webhook"


@pytest.mark.usefixtures("chinese")
def test_under_a_chinese_locale_a_key_the_store_refuses_is_told_in_chinese(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The store's reasons come from the storage layer, which knows no catalog: they name
    its entry, and the command line tells it in the operator's language."""
    monkeypatch.setenv("TEAMOTP_BOT_TOKEN", "1:x")
    monkeypatch.setenv("TEAMOTP_MASTER_KEY", "not-a-key")
    assert main(["run"]) == 2
    assert capsys.readouterr().err.strip() == (
        "teamotp：TEAMOTP_MASTER_KEY 必须是 base64 编码的 32 字节密钥"
    )
    assert not (tmp_path / "data" / "teamotp.db").exists()


@pytest.mark.usefixtures("chinese")
def test_under_a_chinese_locale_a_wrong_command_is_refused_in_chinese(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as done:
        main(["frobnicate"])
    assert done.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("用法：teamotp")
    assert "teamotp：错误：" in err
    assert "invalid choice: 'frobnicate'" in err  # argparse's own words: it has no Chinese

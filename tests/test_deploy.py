"""The scale-out setup in deploy/ (README "Running at scale") holds together.

No compose tool runs on every machine, so the compose file is read as YAML and its
references are checked here: what it names exists, the proxy reaches the bots where
they listen, and every TEAMOTP_* variable is one the bot reads. Where `docker compose`
or `docker-compose` is installed, it also has to accept the file.
"""

from __future__ import annotations

import fnmatch
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
COMPOSE_FILE = DEPLOY / "compose.yaml"
CADDYFILE = DEPLOY / "Caddyfile"
ENV_EXAMPLE = DEPLOY / ".env.example"
BOTS = ("bot-1", "bot-2")

# Variables compose itself reads from .env, not the file's ${...}.
COMPOSE_OWN_VARIABLES = frozenset({"COMPOSE_PROJECT_NAME"})
INTERPOLATION = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?:[:?+-][^}]*)?\}")
# ${NAME}, ${NAME:-default}, ${NAME:?error}: the forms the compose file uses.
SUBSTITUTION = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::([-?])([^}]*))?\}")


def compose() -> dict[str, Any]:
    loaded = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def services() -> dict[str, dict[str, Any]]:
    found = compose()["services"]
    assert isinstance(found, dict)
    return found


def environment(service: dict[str, Any]) -> dict[str, str]:
    """What compose hands the container, with .env.example as the .env."""
    raw = service.get("environment", {})
    if isinstance(raw, list):
        raw = dict(item.split("=", 1) for item in raw)
    return {str(key): interpolate(str(value)) for key, value in raw.items()}


def interpolate(value: str) -> str:
    settings = env_example()

    def substitute(match: re.Match[str]) -> str:
        name, form, rest = match.groups()
        if settings.get(name):
            return settings[name]
        assert form != "?", f"{name} is required but .env.example leaves it empty"
        return rest if form == "-" else ""

    return SUBSTITUTION.sub(substitute, value)


def names(entries: Any, key: str = "source") -> list[str]:
    """Names in a compose list that may hold short strings or long-form mappings."""
    if isinstance(entries, dict):
        return list(entries)
    return [entry if isinstance(entry, str) else entry[key] for entry in entries or []]


def env_example() -> dict[str, str]:
    values = {}
    for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, sep, value = line.partition("=")
            assert sep, f"not KEY=VALUE in .env.example: {line!r}"
            values[key.strip()] = value.strip()
    return values


def caddyfile() -> list[list[str]]:
    """The Caddyfile's lines as tokens, without comments."""
    lines = []
    for line in CADDYFILE.read_text(encoding="utf-8").splitlines():
        tokens = line.split("#", 1)[0].split()
        if tokens:
            lines.append(tokens)
    return lines


def directive(name: str) -> list[list[str]]:
    return [tokens[1:] for tokens in caddyfile() if tokens[0] == name]


def variables_the_bot_reads() -> set[str]:
    source = (ROOT / "teamotp" / "config.py").read_text(encoding="utf-8")
    return set(re.findall(r"\"(TEAMOTP_[A-Z0-9_]+)\"", source))


def test_the_setup_has_two_bots_a_migration_postgres_and_a_proxy() -> None:
    assert set(services()) == {"migrate", *BOTS, "postgres", "caddy"}


def test_every_dependency_names_a_service_and_waits_for_the_right_state() -> None:
    all_services = services()
    for name, service in all_services.items():
        for dependency in names(service.get("depends_on")):
            assert dependency in all_services, f"{name} depends on unknown {dependency}"
    for bot in BOTS:
        assert all_services[bot]["depends_on"] == {
            "migrate": {"condition": "service_completed_successfully"}
        }
    assert all_services["migrate"]["depends_on"] == {"postgres": {"condition": "service_healthy"}}


def test_every_volume_secret_and_network_used_is_declared() -> None:
    spec = compose()
    for name, service in spec["services"].items():
        for mount in service.get("volumes", []):
            source = mount.split(":", 1)[0] if isinstance(mount, str) else mount["source"]
            if not source.startswith((".", "/", "~")):
                assert source in spec.get("volumes", {}), f"{name}: volume {source}"
        for secret in names(service.get("secrets")):
            assert secret in spec.get("secrets", {}), f"{name}: secret {secret}"
        for network in names(service.get("networks")):
            assert network in spec.get("networks", {}), f"{name}: network {network}"


def test_files_the_compose_file_names_exist() -> None:
    for name, service in services().items():
        for mount in service.get("volumes", []):
            source = mount.split(":", 1)[0]
            if source.startswith("."):
                assert (DEPLOY / source).exists(), f"{name} mounts missing {source}"
        if "build" in service:
            context = DEPLOY / service["build"]["context"]
            assert (context / service["build"].get("dockerfile", "Dockerfile")).is_file()
            assert (context / "pyproject.toml").is_file(), "the build context is the project"


def test_the_master_key_stays_out_of_git_and_out_of_the_image() -> None:
    for secret in compose()["secrets"].values():
        key_file = DEPLOY / secret["file"]
        ignore = key_file.parent / ".gitignore"
        assert ignore.is_file(), f"nothing keeps {secret['file']} out of git"
        patterns = [p for p in ignore.read_text().splitlines() if p and not p.startswith("#")]
        ignored = [p for p in patterns if not p.startswith("!")]
        assert any(fnmatch.fnmatch(key_file.name, p) for p in ignored)
    dockerignore = (ROOT / ".dockerignore").read_text().splitlines()
    assert "deploy" in dockerignore, "deploy/ (with .env and the key) goes to the builder"


def test_only_the_proxy_publishes_ports_for_https_and_the_acme_challenge() -> None:
    published = {name: s["ports"] for name, s in services().items() if s.get("ports")}
    assert list(published) == ["caddy"]
    assert {str(port).split(":")[-1] for port in published["caddy"]} == {"443", "80"}


def test_two_replicas_in_webhook_mode_share_the_store_and_the_key() -> None:
    all_services = services()
    bots = [all_services[bot] for bot in BOTS]
    settings = [environment(bot) for bot in bots]
    assert settings[0] == settings[1], "the replicas must be configured alike"
    env = settings[0]
    assert env["TEAMOTP_MODE"] == "webhook"
    assert env["TEAMOTP_DATABASE_URL"].startswith("postgresql+psycopg://")
    assert env["TEAMOTP_AUTO_MIGRATE"] == "0", "the migrate service upgrades the schema"
    assert env["TEAMOTP_LISTEN_HOST"] == "0.0.0.0"  # noqa: S104 - inside the container
    assert urlsplit(env["TEAMOTP_WEBHOOK_URL"]).scheme == "https"
    assert "TEAMOTP_MASTER_KEY" not in env, "the key comes from the secret, not the environment"
    key_secrets = {tuple(names(bot["secrets"])) for bot in bots}
    assert key_secrets == {("teamotp_master_key",)}
    assert env["TEAMOTP_MASTER_KEY_FILE"] == "/run/secrets/teamotp_master_key"
    for bot in bots:
        assert bot["image"] == all_services["migrate"]["image"]


def test_the_bots_reach_the_postgres_service_as_the_user_it_creates() -> None:
    all_services = services()
    url = urlsplit(environment(all_services["bot-1"])["TEAMOTP_DATABASE_URL"])
    postgres = environment(all_services["postgres"])
    assert url.hostname in all_services
    assert all_services[url.hostname]["image"].startswith("postgres:")
    assert (url.username, url.password, url.path) == (
        postgres["POSTGRES_USER"],
        postgres["POSTGRES_PASSWORD"],
        f"/{postgres['POSTGRES_DB']}",
    )
    networks = set(names(all_services["bot-1"]["networks"]))
    assert networks & set(names(all_services[url.hostname]["networks"]))


def test_the_migration_runs_on_the_bots_store_with_their_key() -> None:
    all_services = services()
    migrate = all_services["migrate"]
    bot = environment(all_services["bot-1"])
    assert migrate["command"] == ["migrate"]
    assert migrate["restart"] == "no"
    for name in ("TEAMOTP_DATABASE_URL", "TEAMOTP_MASTER_KEY_FILE"):
        assert environment(migrate)[name] == bot[name]
    assert names(migrate["secrets"]) == names(all_services["bot-1"]["secrets"])


def test_the_bots_and_postgres_are_health_checked() -> None:
    all_services = services()
    port = environment(all_services["bot-1"])["TEAMOTP_LISTEN_PORT"]
    for bot in BOTS:
        probe = " ".join(all_services[bot]["healthcheck"]["test"])
        assert f"http://127.0.0.1:{port}/healthz" in probe
    assert "pg_isready" in " ".join(all_services["postgres"]["healthcheck"]["test"])


def test_the_proxy_balances_the_webhook_path_over_both_bots_where_they_listen() -> None:
    bot_env = environment(services()["bot-1"])
    port = bot_env["TEAMOTP_LISTEN_PORT"]
    (upstreams,) = [tokens[:-1] for tokens in directive("reverse_proxy")]
    assert sorted(upstreams) == [f"{bot}:{port}" for bot in BOTS]
    assert directive("health_uri") == [["/healthz"]]
    webhook = urlsplit(bot_env["TEAMOTP_WEBHOOK_URL"])
    assert [webhook.path, "{"] in directive("handle"), "the proxy forwards the webhook path"
    assert ["{$BOT_DOMAIN}", "{"] in caddyfile(), "the site is the webhook URL's domain"
    assert environment(services()["caddy"])["BOT_DOMAIN"] == webhook.hostname


def test_the_proxy_is_given_every_variable_its_caddyfile_reads() -> None:
    caddy = services()["caddy"]
    used = set(re.findall(r"\{\$([A-Za-z0-9_]+)\}", CADDYFILE.read_text(encoding="utf-8")))
    assert used <= set(environment(caddy)), "a {$VAR} in the Caddyfile is not passed"
    assert "./Caddyfile:/etc/caddy/Caddyfile:ro" in caddy["volumes"]


def test_every_teamotp_variable_is_one_the_bot_reads() -> None:
    text = COMPOSE_FILE.read_text(encoding="utf-8")
    in_compose = {n for s in services().values() for n in environment(s)}
    in_compose |= set(INTERPOLATION.findall(text))
    mentioned = {n for n in in_compose | set(env_example()) if n.startswith("TEAMOTP_")}
    assert mentioned, "no TEAMOTP_ variable found: the check reads nothing"
    assert mentioned - variables_the_bot_reads() == set()


def test_the_env_example_sets_exactly_what_the_compose_file_reads() -> None:
    interpolated = set(INTERPOLATION.findall(COMPOSE_FILE.read_text(encoding="utf-8")))
    assert set(env_example()) - COMPOSE_OWN_VARIABLES == interpolated


def test_the_env_example_holds_placeholders_not_secrets() -> None:
    values = env_example()
    assert not re.fullmatch(r"\d+:[A-Za-z0-9_-]{30,}", values["TEAMOTP_BOT_TOKEN"])
    for name in ("TEAMOTP_BOT_TOKEN", "TEAMOTP_WEBHOOK_SECRET", "POSTGRES_PASSWORD"):
        assert "change-me" in values[name], f"{name} must be an obvious placeholder"


def test_the_readme_describes_this_setup_by_its_files() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    headings = re.findall(r"^## (.+)$", readme, flags=re.MULTILINE)
    assert headings.index("Running at scale") == headings.index("Docker") + 1
    section = readme.split("\n## Running at scale\n", 1)[1].split("\n## ", 1)[0]
    referred = set(re.findall(r"\bdeploy/[\w./-]*\w", section))
    assert "deploy/compose.yaml" in referred
    for path in referred:
        assert (ROOT / path).exists(), f"the README names a missing {path}"
    for service in re.findall(r"docker compose \w+ (?:--?[\w-]+ )*([a-z][\w-]*)", section):
        assert service in services(), f"the README names no such service: {service}"


def compose_command() -> list[str] | None:
    docker = shutil.which("docker")
    if docker is not None:
        probe = subprocess.run(  # noqa: S603 - fixed arguments, no shell
            [docker, "compose", "version"], capture_output=True, text=True, check=False
        )
        if probe.returncode == 0:
            return [docker, "compose"]
    legacy = shutil.which("docker-compose")
    return [legacy] if legacy is not None else None


def test_the_compose_tool_accepts_the_file_with_the_example_settings() -> None:
    command = compose_command()
    if command is None:
        pytest.skip("neither `docker compose` nor `docker-compose` is installed")
    result = subprocess.run(  # noqa: S603 - fixed arguments, no shell
        [*command, "--env-file", str(ENV_EXAMPLE), "-f", str(COMPOSE_FILE), "config", "-q"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=DEPLOY,
    )
    assert result.returncode == 0, result.stderr[-2000:]


def test_caddy_accepts_the_caddyfile_with_the_example_settings() -> None:
    caddy = shutil.which("caddy")
    if caddy is None:
        pytest.skip("caddy is not installed")
    settings = env_example()
    result = subprocess.run(  # noqa: S603 - fixed arguments, no shell
        [caddy, "adapt", "--config", str(CADDYFILE), "--adapter", "caddyfile"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={name: settings[name] for name in ("BOT_DOMAIN", "ACME_EMAIL")},
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert settings["BOT_DOMAIN"] in result.stdout

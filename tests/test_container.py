"""The container image: builds from the Dockerfile and runs as documented.

Opt-in, because it builds an image (under a minute, with network access for pip):

    TEAMOTP_CONTAINER_TESTS=1 python -m pytest tests/test_container.py

It needs podman and a base image with Python >= 3.11 and the venv module, named by
TEAMOTP_BASE_IMAGE (default localhost/teamotp-base:bookworm; see the README for how
to make one with debootstrap). TEAMOTP_PODMAN_OPTS replaces the global podman options,
which default to runc with the cgroupfs manager when runc is installed.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PODMAN = shutil.which("podman")
BASE_IMAGE = os.environ.get("TEAMOTP_BASE_IMAGE", "localhost/teamotp-base:bookworm")
IMAGE = "localhost/teamotp:container-test"
HOST_CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")
ULIMITS = ("--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024")
# podman's own warnings on stderr, e.g. 'WARN[0000] ...' or 'time="..." level=warning'
PODMAN_NOISE = re.compile(r'^(?:[A-Z]{4}\[\d+\] |time=")')
BUILD_TIMEOUT = 900
RUN_TIMEOUT = 120

pytestmark = [
    pytest.mark.skipif(
        os.environ.get("TEAMOTP_CONTAINER_TESTS") != "1",
        reason="container tests are opt-in: set TEAMOTP_CONTAINER_TESTS=1",
    ),
    pytest.mark.skipif(PODMAN is None, reason="podman is not installed"),
]


def _global_options() -> list[str]:
    configured = os.environ.get("TEAMOTP_PODMAN_OPTS")
    if configured is not None:
        return shlex.split(configured)
    runc = shutil.which("runc")
    if runc is None:
        return []
    # crun fails on some cgroup setups where runc with cgroupfs works.
    return ["--runtime", runc, "--cgroup-manager=cgroupfs"]


def podman(
    *args: str, timeout: float = RUN_TIMEOUT, check: bool = False
) -> subprocess.CompletedProcess[str]:
    assert PODMAN is not None
    command = [PODMAN, *_global_options(), *args]
    result = subprocess.run(  # noqa: S603 - fixed arguments, no shell
        command, capture_output=True, text=True, timeout=timeout, check=False
    )
    if check and result.returncode != 0:
        pytest.fail(
            f"`{shlex.join(command)}` exited {result.returncode}:\n"
            f"{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
        )
    return result


def run_image(
    image: str,
    *args: str,
    env: Sequence[str] = (),
    volume: str | None = None,
    entrypoint: str | None = None,
) -> subprocess.CompletedProcess[str]:
    """One container of the image, with no network: nothing leaves this machine."""
    options = ["run", "--rm", "--network=none", *ULIMITS]
    for assignment in env:
        options += ["--env", assignment]
    if volume is not None:
        options += ["--volume", f"{volume}:/data"]
    if entrypoint is not None:
        options += ["--entrypoint", entrypoint]
    return podman(*options, image, *args)


@pytest.fixture(scope="module")
def image() -> str:
    if podman("image", "exists", BASE_IMAGE).returncode != 0:
        pytest.skip(f"base image {BASE_IMAGE} is missing (set TEAMOTP_BASE_IMAGE or make it)")
    build = ["build", "--network=host", *ULIMITS, "--build-arg", f"BASE_IMAGE={BASE_IMAGE}"]
    if HOST_CA_BUNDLE.is_file():
        # pip in the build trusts the host's CAs (a proxy's CA may be only there).
        build += ["--volume", f"{HOST_CA_BUNDLE}:{HOST_CA_BUNDLE}:ro"]
    podman(*build, "--tag", IMAGE, str(ROOT), timeout=BUILD_TIMEOUT, check=True)
    return IMAGE


@pytest.fixture
def data_volume(image: str) -> Iterator[str]:
    name = f"teamotp-test-{uuid.uuid4().hex[:12]}"
    podman("volume", "create", name, check=True)
    try:
        yield name
    finally:
        podman("volume", "rm", "--force", name)


def test_help_lists_the_run_command(image: str) -> None:
    result = run_image(image, "--help")

    assert result.returncode == 0, result.stderr
    assert "usage: teamotp" in result.stdout
    assert "run" in result.stdout


def test_runs_as_the_unprivileged_user_in_the_data_dir(image: str) -> None:
    probe = 'echo "$(id -u):$(id -g) $(pwd) $TEAMOTP_DATA_DIR"'
    result = run_image(image, "-c", probe, entrypoint="sh")

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "10001:10001 /data /data"


def test_run_without_a_token_fails_with_one_line(image: str) -> None:
    result = run_image(image, "run")

    assert result.returncode != 0
    lines = [line for line in result.stderr.splitlines() if line and not PODMAN_NOISE.match(line)]
    assert len(lines) == 1, result.stderr
    assert "TEAMOTP_BOT_TOKEN is not set" in lines[0]
    assert result.stdout == ""


def test_run_writes_its_data_then_reports_the_unreachable_api(image: str, data_volume: str) -> None:
    # Port 9 on the container's own loopback (--network=none): nothing listens there.
    env = ["TEAMOTP_BOT_TOKEN=123:abc", "TEAMOTP_API_URL=http://127.0.0.1:9"]
    result = run_image(image, "run", env=env, volume=data_volume)

    assert result.returncode != 0
    assert "cannot reach the Telegram Bot API" in result.stderr
    assert "123:abc" not in result.stderr + result.stdout

    files = ["/data", "/data/master.key", "/data/teamotp.db"]
    listing = run_image(
        image, "--format", "%n %u %a", *files, volume=data_volume, entrypoint="stat"
    )
    assert listing.returncode == 0, listing.stderr
    owner_and_mode = {
        name: (uid, mode)
        for name, uid, mode in (line.split() for line in listing.stdout.splitlines())
    }
    assert owner_and_mode["/data"] == ("10001", "700")
    assert owner_and_mode["/data/master.key"] == ("10001", "600")
    assert owner_and_mode["/data/teamotp.db"][0] == "10001"


def test_init_makes_the_store_and_the_health_check_then_passes(
    image: str, data_volume: str
) -> None:
    """The HEALTHCHECK's command, `teamotp check --offline`, in a container with no
    network: healthy once `init` has made the store in the volume."""
    made = run_image(image, "init", volume=data_volume)
    assert made.returncode == 0, made.stderr
    assert "Created the master key file /data/master.key (mode 0600)." in made.stdout

    checked = run_image(
        image, "check", "--offline", env=["TEAMOTP_BOT_TOKEN=123:abc"], volume=data_volume
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    lines = checked.stdout.strip().splitlines()
    assert lines[-1] == "All checks passed.", checked.stdout
    assert all(line.startswith(("[ok]", "[skip]")) for line in lines[:-1]), checked.stdout
    assert "123:abc" not in checked.stdout + checked.stderr


def test_qr_codes_are_made_and_read_inside_the_image(image: str) -> None:
    """zxing-cpp and Pillow are native code: prove the image's copies load and work."""
    probe = (
        "from bot.rules.qrcodes import make_qr_png, read_qr_codes; "
        "print(read_qr_codes(make_qr_png('otpauth://totp/x?secret=JBSWY3DPEHPK3PXP')))"
    )
    result = run_image(image, "-c", probe, entrypoint="/opt/teamotp/bin/python")

    assert result.returncode == 0, result.stderr
    assert "otpauth://totp/x?secret=JBSWY3DPEHPK3PXP" in result.stdout

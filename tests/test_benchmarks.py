"""The benchmark keeps working: `python -m benchmarks --quick` drives the real bot and the
bare python-telegram-bot floor, as processes, through a few phases of `/code` against
its fake Bot API server, and prints its tables. Timings are never asserted here (they
are the machine's); what is asserted is what makes the figures mean something: every
request was answered by both bots, teamotp's answers were real codes and pickers (none
stale), and each figure the tables promise was computed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from benchmarks.server import ApiError, Limits
from benchmarks.team import Load, Team

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def quick(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, list[dict[str, Any]]]:
    figures = tmp_path_factory.mktemp("bench") / "figures.json"
    done = subprocess.run(  # noqa: S603 - this interpreter, fixed arguments
        [sys.executable, "-m", "benchmarks", "--quick", "--json", str(figures)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={k: v for k, v in os.environ.items() if not k.startswith(("TEAMOTP_", "BENCH_"))},
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout, json.loads(figures.read_text(encoding="utf-8"))


def test_every_request_of_the_quick_run_is_answered_by_both_bots(
    quick: tuple[str, list[dict[str, Any]]],
) -> None:
    _, runs = quick
    assert sorted(run["bot"] for run in runs) == ["bare", "teamotp"]
    for run in runs:
        assert {(p["server"], p["phase"]) for p in run["phases"]} == {
            ("unlimited", "burst"),
            ("unlimited", "50/s"),
            ("limited", "20/s"),
        }
        for phase in run["phases"]:
            assert phase["requests"] > 0
            assert phase["answered"] == phase["requests"], (run["bot"], phase["phase"])
            assert phase["messages"] >= phase["requests"]  # each request had its reply
            assert phase["messages_per_request"] >= 1.0
            assert phase["cpu_per_1000"] > 0
            assert phase["p99_ms"] is not None


def test_teamotp_answers_the_quick_run_with_current_codes_and_pickers(
    quick: tuple[str, list[dict[str, Any]]],
) -> None:
    _, runs = quick
    (teamotp,) = [run for run in runs if run["bot"] == "teamotp"]
    for phase in teamotp["phases"]:
        assert phase["codes"] > 0, phase["phase"]
        assert phase["pickers"] > 0, phase["phase"]
        assert phase["texts"] == 0  # no refusal, no error message
        assert phase["stale"] == 0
    assert teamotp["idle_rss"] > 0
    assert teamotp["peak_rss"] >= teamotp["idle_rss"]


def test_the_quick_run_prints_the_markdown_tables_and_the_targets(
    quick: tuple[str, list[dict[str, Any]]],
) -> None:
    printed, _ = quick
    for heading in ("Each phase", "Each bot process", "teamotp ÷ bare bot", "Targets"):
        assert f"\n{heading}\n" in printed
    rows = [line for line in printed.splitlines() if line.startswith("| teamotp | small |")]
    assert len(rows) == 3 + 1  # three phases, one process
    assert any(line.startswith("| bare | small |") for line in printed.splitlines())
    assert "| CPU per /code at most 1.5× the bare bot's" in printed
    assert printed.startswith("Machine: ")
    assert "\nPython 3." in printed


def test_the_servers_limits_refuse_past_telegrams_and_say_how_long_to_wait() -> None:
    """About one message a second to a chat after a short burst, 20 a minute to a group,
    30 a second overall: what the limited mode holds the bots to."""
    limits = Limits()
    for _ in range(3):
        limits.check(42, 0.0)
    with pytest.raises(ApiError, match="retry after 1") as refused:
        limits.check(42, 0.1)
    assert refused.value.limit == "chat"
    limits.check(42, 1.2)  # a second later there is room for one more
    group = Limits()
    for n in range(20):
        group.check(-100, n * 2.0)
    with pytest.raises(ApiError, match="Too Many Requests") as refused:
        group.check(-100, 41.0)
    assert refused.value.limit == "group"
    overall = Limits()
    for n in range(30):
        overall.check(1000 + n, 0.5)
    with pytest.raises(ApiError, match="Too Many Requests") as refused:
        overall.check(2000, 0.6)
    assert refused.value.limit == "all"


def test_under_telegrams_limits_the_load_sends_no_group_more_than_it_can_answer() -> None:
    load = Load(Team("small"), limited=True)
    requests = load.requests(600, 25.0)  # 24 s of requests
    per_group: dict[int, int] = {}
    for request in requests:
        if not request.private:
            per_group[request.chat_id] = per_group.get(request.chat_id, 0) + 1
    assert per_group
    assert max(per_group.values()) <= 15
    assert sum(1 for r in requests if r.private) > len(requests) / 2

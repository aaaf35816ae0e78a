"""Running the bots against the server, phase by phase, and reading what each cost.

For each store size: one fake Bot API server (its own process), then the bare bot and
teamotp on each database, one after the other (never two bots at once: each has the CPU
to itself), each through the same phases of load:

- `burst`: requests queued all at once, answered as fast as the bot goes (throughput);
- `20/s`, `50/s`: requests at a fixed rate, for the latency of each reply.

With Telegram's limits on, the burst is smaller (30 messages a second bound it) and the
50/s phase is left out (it is past what Telegram lets any bot send).
"""

from __future__ import annotations

import base64
import contextlib
import math
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import httpx
import pyotp

from benchmarks.procstat import cpu_seconds, memory_mib
from benchmarks.seed import fill
from benchmarks.team import OWNER_ID, TOKEN, Load, Request, StoreSize, Team, secret_of

Database = Literal["sqlite", "postgresql"]
ServerMode = Literal["unlimited", "limited"]
BotKind = Literal["bare", "teamotp"]

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
# The console script next to this interpreter: what operators run.
TEAMOTP = Path(sys.executable).with_name("teamotp")
READY_TIMEOUT = 60.0


@dataclass(frozen=True)
class PhasePlan:
    name: str
    count: int
    rate: float | None  # None: all queued at once
    expected_rate: float  # how fast the load expects them answered (for the groups' minute)


@dataclass(frozen=True)
class Plan:
    """What to run: which configurations, and how much load in each phase."""

    stores: tuple[StoreSize, ...]
    databases: tuple[Database, ...]
    servers: tuple[ServerMode, ...]
    phases: dict[ServerMode, tuple[PhasePlan, ...]]
    warmup: int
    idle_seconds: float
    wait_for_deletions: bool
    quiet_seconds: float = 1.0  # no send for this long: the phase's notices are out
    database_url: str | None = None
    profile: Path | None = None


def full_phases() -> dict[ServerMode, tuple[PhasePlan, ...]]:
    return {
        "unlimited": (
            PhasePlan("burst", 2000, None, 200.0),
            PhasePlan("20/s", 300, 20.0, 20.0),
            PhasePlan("50/s", 600, 50.0, 50.0),
        ),
        "limited": (
            PhasePlan("burst", 600, None, 25.0),
            PhasePlan("20/s", 300, 20.0, 20.0),
        ),
    }


def quick_phases() -> dict[ServerMode, tuple[PhasePlan, ...]]:
    return {
        "unlimited": (PhasePlan("burst", 60, None, 200.0), PhasePlan("50/s", 50, 50.0, 50.0)),
        "limited": (PhasePlan("20/s", 30, 20.0, 20.0),),
    }


@dataclass
class PhaseResult:
    bot: str
    store: StoreSize
    database: str
    server: ServerMode
    phase: str
    rate: float | None
    requests: int
    answered: int
    codes: int
    pickers: int
    texts: int
    stale: int
    seconds: float
    throughput: float
    latencies_ms: list[float]
    cpu: float
    messages: int
    notices: int
    refused: dict[str, int]
    server_cpu_share: float
    mix: dict[str, int]

    def to_json(self) -> dict[str, Any]:
        found = {k: v for k, v in self.__dict__.items() if k != "latencies_ms"}
        found.update(
            p50_ms=self.percentile(50),
            p95_ms=self.percentile(95),
            p99_ms=self.percentile(99),
            cpu_per_1000=self.cpu_per_1000,
            messages_per_request=self.messages_per_request,
        )
        return found

    def percentile(self, p: float) -> float | None:
        if not self.latencies_ms:
            return None
        ordered = sorted(self.latencies_ms)
        rank = max(0, min(len(ordered) - 1, math.ceil(p / 100 * len(ordered)) - 1))
        return ordered[rank]

    @property
    def cpu_per_1000(self) -> float:
        return self.cpu / self.requests * 1000 if self.requests else 0.0

    @property
    def messages_per_request(self) -> float:
        return self.messages / self.requests if self.requests else 0.0

    @property
    def flood_refusals(self) -> int:
        return sum(n for key, n in self.refused.items() if key.endswith(" 429"))

    @property
    def refusals_by_limit(self) -> dict[str, int]:
        """429s by the limit that refused them: `chat`, `group` or `all`."""
        return {
            key.removeprefix("limit:"): n
            for key, n in self.refused.items()
            if key.startswith("limit:")
        }

    @property
    def other_refusals(self) -> int:
        """Refusals that are no flood control (a 400: the bot asked for what Telegram
        would not do)."""
        return sum(
            n
            for key, n in self.refused.items()
            if not key.startswith("limit:") and not key.endswith(" 429")
        )


@dataclass
class BotRun:
    bot: str
    store: StoreSize
    database: str
    started_in: float
    idle_rss: float
    idle_cpu_per_second: float
    peak_rss: float
    phases: list[PhaseResult] = field(default_factory=list)
    log_warnings: dict[str, int] = field(default_factory=dict)
    unknown_methods: dict[str, int] = field(default_factory=dict)
    profile: Path | None = None
    fill_seconds: float | None = None

    def to_json(self) -> dict[str, Any]:
        found = {k: v for k, v in self.__dict__.items() if k != "phases"}
        found["profile"] = None if self.profile is None else str(self.profile)
        found["phases"] = [p.to_json() for p in self.phases]
        return found


class ServerProcess:
    """The fake Bot API server, in a process of its own, and the driver's line to it."""

    def __init__(self, store: StoreSize, workdir: Path) -> None:
        port_file = workdir / f"server-{store}.port"
        self._process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [PYTHON, "-m", "benchmarks.server", "--store", store, "--port-file", str(port_file)],
            cwd=ROOT,
            stdin=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + READY_TIMEOUT
        while not port_file.exists() or not port_file.read_text(encoding="ascii"):
            if self._process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the fake Bot API server did not start")
            time.sleep(0.05)
        self.url = f"http://127.0.0.1:{port_file.read_text(encoding='ascii')}"
        self._client = httpx.Client(base_url=self.url, timeout=60.0)

    @property
    def pid(self) -> int:
        return self._process.pid

    def control(self, what: str, **params: Any) -> Any:
        answer = self._client.post(f"/_bench/{what}", json=params)
        answer.raise_for_status()
        return answer.json()

    def close(self) -> None:
        with contextlib.suppress(httpx.HTTPError):
            self.control("stop")
        try:
            self._process.wait(10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        self._client.close()


class BotProcess:
    """One bot as a process of its own, its stderr kept in a file."""

    def __init__(self, command: list[str], env: dict[str, str], cwd: Path, log: Path) -> None:
        self.log = log
        self._stderr = log.open("wb")
        self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and scripts
            command,
            env=env,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=self._stderr,
            stderr=self._stderr,
        )

    @property
    def pid(self) -> int:
        return self.process.pid

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> int:
        if self.alive():
            self.process.send_signal(signal.SIGTERM)
        try:
            code = self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            code = self.process.wait()
        self._stderr.close()
        return code


def clean_environment(**settings: str) -> dict[str, str]:
    """This process's environment without any TEAMOTP_ or BENCH_ variable, plus `settings`."""
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("TEAMOTP_", "BENCH_", "PYTHON"))
    }
    env["PYTHONUNBUFFERED"] = "1"
    env.update(settings)
    return env


def run(plan: Plan, say: Any = print) -> list[BotRun]:
    """Every configuration of `plan`; `say` is told what is going on."""
    runs: list[BotRun] = []
    with tempfile.TemporaryDirectory(prefix="teamotp-bench-") as scratch:
        workdir = Path(scratch)
        for store in plan.stores:
            team = Team(store)
            server = ServerProcess(store, workdir)
            try:
                say(f"# store {store}: bare python-telegram-bot")
                runs.append(_run_bot(plan, server, team, "bare", "-", workdir))
                for database in plan.databases:
                    say(f"# store {store}: teamotp on {database}")
                    runs.append(_run_bot(plan, server, team, "teamotp", database, workdir))
            finally:
                server.close()
    return runs


def _run_bot(
    plan: Plan, server: ServerProcess, team: Team, bot: BotKind, database: str, workdir: Path
) -> BotRun:
    name = f"{bot}-{team.size_name}-{database}"
    data_dir = workdir / name
    data_dir.mkdir()
    fill_seconds = None
    profile = None
    if bot == "bare":
        command = [PYTHON, "-m", "benchmarks.bare_bot"]
        env = clean_environment(
            BENCH_TOKEN=TOKEN,
            BENCH_API_URL=server.url,
            BENCH_NOTICE_CHAT=str(OWNER_ID),
            PYTHONPATH=str(ROOT),
        )
        bots = _bare_bots(plan, server, env, data_dir)
    else:
        key = base64.b64encode(secrets.token_bytes(32)).decode("ascii")
        url = f"sqlite:///{data_dir / 'teamotp.db'}" if database == "sqlite" else plan.database_url
        if url is None:
            raise RuntimeError("PostgreSQL needs TEAMOTP_DATABASE_URL")
        fill_seconds = fill(url, key, data_dir / "master.key", team)
        env = clean_environment(
            TEAMOTP_BOT_TOKEN=TOKEN,
            TEAMOTP_API_URL=server.url,
            TEAMOTP_DATA_DIR=str(data_dir),
            TEAMOTP_DATABASE_URL=url,
            TEAMOTP_MASTER_KEY=key,
            TEAMOTP_OWNER_IDS=str(OWNER_ID),
            # The per-person limit (6 a minute by default) is checked and counted on every
            # request as always, but set past what the load asks of anyone: 2,000 codes
            # from 100 members would otherwise be mostly refusals.
            TEAMOTP_CODES_PER_MINUTE="1000000",
        )
        if plan.profile is not None:
            profile = plan.profile.with_name(f"{plan.profile.name}.{team.size_name}-{database}")
            env["PYTHONPATH"] = str(ROOT)
            command = [PYTHON, "-m", "benchmarks.profiled", str(profile)]
        else:
            command = [str(TEAMOTP), "run"]
        bots = iter([(plan.servers, BotProcess(command, env, data_dir, data_dir / "bot.log"))])
    result: BotRun | None = None
    for servers, process in bots:
        result = _drive(plan, server, team, process, servers, result, name=bot, database=database)
    if result is None:
        raise RuntimeError(f"{bot} was run in no server mode")
    result.fill_seconds = fill_seconds
    result.profile = profile
    return result


def _bare_bots(
    plan: Plan, server: ServerProcess, env: dict[str, str], data_dir: Path
) -> Iterator[tuple[tuple[ServerMode, ...], BotProcess]]:
    """The bare bot has no flood control of its own: under Telegram's limits it runs with
    the framework's limiter, and sends the reply only (a second message per request to
    one admin is past Telegram's message a second per chat: what teamotp coalesces), a
    process of its own per server mode."""
    for mode in plan.servers:
        settings = dict(env, BENCH_LIMITED="1" if mode == "limited" else "0")
        log = data_dir / f"bot-{mode}.log"
        yield (mode,), BotProcess([PYTHON, "-m", "benchmarks.bare_bot"], settings, data_dir, log)


def _drive(
    plan: Plan,
    server: ServerProcess,
    team: Team,
    process: BotProcess,
    servers: tuple[ServerMode, ...],
    earlier: BotRun | None,
    *,
    name: str,
    database: str,
) -> BotRun:
    started = time.monotonic()
    server.control("phase", name="start", requests=[], rate=None, limited=False)
    try:
        _wait_ready(server, process)
        ready_in = time.monotonic() - started
        cpu0 = cpu_seconds(process.pid)
        time.sleep(plan.idle_seconds)
        idle_cpu = (cpu_seconds(process.pid) - cpu0) / plan.idle_seconds
        idle_rss, _ = memory_mib(process.pid)
        run = earlier or BotRun(name, team.size_name, database, ready_in, idle_rss, idle_cpu, 0.0)
        if earlier is not None:  # a second process of the same bot: the larger figures
            run.idle_rss = max(run.idle_rss, idle_rss)
            run.started_in = max(run.started_in, ready_in)
        if plan.warmup:
            load = Load(team, seed=99)
            warm = PhasePlan("warm-up", plan.warmup, 50.0, 50.0)
            _phase(plan, server, team, process, load, warm, "unlimited", name, database, bot=name)
        for mode in servers:
            load = Load(team, seed=12, limited=mode == "limited")
            for phase in plan.phases[mode]:
                run.phases.append(
                    _phase(plan, server, team, process, load, phase, mode, name, database, bot=name)
                )
                load.pause(2.0)
        _, peak = memory_mib(process.pid)
        run.peak_rss = max(run.peak_rss, peak)
    finally:
        code = process.stop()
    if code not in (0, -signal.SIGTERM):
        raise RuntimeError(f"{name} exited with {code}; see {process.log}")
    for line in process.log.read_text(encoding="utf-8", errors="replace").splitlines():
        for level in ("WARNING", "ERROR", "CRITICAL", "Traceback"):
            if level in line:
                key = _log_key(line)
                run.log_warnings[key] = run.log_warnings.get(key, 0) + 1
                break
    status = server.control("status")
    run.unknown_methods.update(status.get("unknown", {}))
    return run


def _log_key(line: str) -> str:
    """A log line without what differs between its repeats (times, ids)."""
    words = [w for w in line.split() if not any(c.isdigit() for c in w)]
    return " ".join(words)[:100]


def _wait_ready(server: ServerProcess, process: BotProcess) -> None:
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        if not process.alive():
            raise RuntimeError(f"the bot stopped at start; see {process.log}")
        status = server.control("status")
        if status["calls"].get("getUpdates", 0) >= 1:
            return
        time.sleep(0.05)
    raise RuntimeError(f"the bot did not start polling within {READY_TIMEOUT} s")


def _phase(
    plan: Plan,
    server: ServerProcess,
    team: Team,
    process: BotProcess,
    load: Load,
    phase: PhasePlan,
    mode: ServerMode,
    name: str,
    database: str,
    *,
    bot: str,
) -> PhaseResult:
    requests = load.requests(phase.count, phase.expected_rate)
    deleted_before = server.control("status")["deleted"]
    cpu_before = cpu_seconds(process.pid)
    server_cpu_before = cpu_seconds(server.pid)
    wall_before = time.monotonic()
    server.control(
        "phase",
        name=phase.name,
        requests=[_as_json(r) for r in requests],
        rate=phase.rate,
        limited=mode == "limited",
        reset_limits=True,
    )
    # Long enough for the slowest honest answer; a bot that stalls is reported, not waited.
    sending = phase.count / phase.rate if phase.rate else 0.0
    deadline = time.monotonic() + sending + max(30.0, phase.count / 10)
    status = server.control("status")
    while time.monotonic() < deadline and process.alive():
        status = server.control("status")
        finished = status["done_queueing"] and status["answered"] >= status["queued"]
        quiet = status["last_send_ago"] is not None and status["last_send_ago"] > plan.quiet_seconds
        if finished and quiet:
            break
        time.sleep(0.1)
    results = server.control("results")
    codes = sum(1 for r in results["requests"] if r["reply"] == "code")
    if plan.wait_for_deletions and bot == "teamotp":
        # The CPU of a code includes deleting it when it expires (at most a window later).
        until = time.monotonic() + 35.0
        while time.monotonic() < until and process.alive():
            if server.control("status")["deleted"] - deleted_before >= codes:
                break
            time.sleep(0.2)
    cpu = cpu_seconds(process.pid) - cpu_before
    server_share = (cpu_seconds(server.pid) - server_cpu_before) / (time.monotonic() - wall_before)
    return _summarize(results, phase, mode, name, team.size_name, database, cpu, server_share)


def _as_json(request: Request) -> dict[str, Any]:
    return {
        "user_id": request.user_id,
        "chat_id": request.chat_id,
        "text": request.text,
        "account": request.account,
        "kind": request.kind,
    }


def _summarize(
    results: dict[str, Any],
    phase: PhasePlan,
    mode: ServerMode,
    bot: str,
    store: StoreSize,
    database: str,
    cpu: float,
    server_share: float,
) -> PhaseResult:
    rows = results["requests"]
    answered = [r for r in rows if r["answered"] is not None]
    latencies = [(r["answered"] - r["handed_out"]) * 1000 for r in answered]
    handed = [r["handed_out"] for r in rows if r["handed_out"] is not None]
    seconds = max(r["answered"] for r in answered) - min(handed) if answered and handed else 0.0
    stale = 0
    totps: dict[int, pyotp.TOTP] = {}
    for r in answered:
        if r["reply"] == "code" and r["account"] is not None and r["code"] != "000000":
            totp = totps.setdefault(r["account"], pyotp.TOTP(secret_of(r["account"])))
            if r["code"] != totp.at(r["answered_wall"]):
                stale += 1
    mix: dict[str, int] = {}
    for r in rows:
        mix[r["kind"]] = mix.get(r["kind"], 0) + 1
    return PhaseResult(
        bot=bot,
        store=store,
        database=database,
        server=mode,
        phase=phase.name,
        rate=phase.rate,
        requests=len(rows),
        answered=len(answered),
        codes=sum(1 for r in answered if r["reply"] == "code"),
        pickers=sum(1 for r in answered if r["reply"] == "picker"),
        texts=sum(1 for r in answered if r["reply"] == "text"),
        stale=stale,
        seconds=seconds,
        throughput=len(answered) / seconds if seconds > 0 else 0.0,
        latencies_ms=latencies,
        cpu=cpu,
        messages=results["messages"],
        notices=results["notices"],
        refused=results["refused"],
        server_cpu_share=server_share,
        mix=mix,
    )

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
from collections.abc import Callable
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
    # Seconds a phase may take past sending its last request before the bot is deemed
    # unable to keep up (and replaced by a fresh process for the next phase).
    phase_grace: float = 60.0
    database_url: str | None = None
    profile: Path | None = None
    logs: Path | None = None  # where the bots' logs and stores are kept (else deleted)


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
    stalled: bool = False  # past its deadline with requests unanswered

    def to_json(self) -> dict[str, Any]:
        found = dict(self.__dict__)
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
    exits: list[int] = field(default_factory=list)  # exit codes other than a clean stop
    processes: int = 0  # started: a new one after each phase the bot could not keep up with
    warmups: list[PhaseResult] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        found = {k: v for k, v in self.__dict__.items() if k not in ("phases", "warmups")}
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
        self.profiled = False  # runs under benchmarks.profiled
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

    def stop(self, grace: float = 30.0) -> int:
        """SIGTERM, and SIGKILL after `grace` seconds (the exit code is then -9)."""
        if self.alive():
            self.process.send_signal(signal.SIGTERM)
        try:
            code = self.process.wait(grace)
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


def run(plan: Plan, say: Callable[[str], None] = print) -> list[BotRun]:
    """Every configuration of `plan`; `say` is told what is going on."""
    runs: list[BotRun] = []
    with tempfile.TemporaryDirectory(prefix="teamotp-bench-") as scratch:
        workdir = plan.logs or Path(scratch)
        workdir.mkdir(parents=True, exist_ok=True)
        for store in plan.stores:
            team = Team(store)
            server = ServerProcess(store, workdir)
            try:
                say(f"# store {store}: bare python-telegram-bot")
                runs.append(_Driver(plan, server, team, "bare", "-", workdir, say).run())
                for database in plan.databases:
                    say(f"# store {store}: teamotp on {database}")
                    runs.append(
                        _Driver(plan, server, team, "teamotp", database, workdir, say).run()
                    )
            finally:
                server.close()
    return runs


class _Driver:
    """One bot through every phase of the plan. A bot that cannot keep up (a phase runs
    past its deadline with requests unanswered) is stopped and a fresh process takes the
    next phase: each phase then measures the bot, not the backlog of the one before."""

    def __init__(
        self,
        plan: Plan,
        server: ServerProcess,
        team: Team,
        bot: BotKind,
        database: str,
        workdir: Path,
        say: Callable[[str], None],
    ) -> None:
        self.plan, self.server, self.team, self.bot = plan, server, team, bot
        self.database, self.say = database, say
        self.data_dir = workdir / f"{bot}-{team.size_name}-{database}"
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.result = BotRun(bot, team.size_name, database, 0.0, 0.0, 0.0, 0.0)
        self._started = 0
        if bot == "bare":
            self._env = clean_environment(
                BENCH_TOKEN=TOKEN,
                BENCH_API_URL=server.url,
                BENCH_NOTICE_CHAT=str(OWNER_ID),
                PYTHONPATH=str(ROOT),
            )
            return
        key = base64.b64encode(secrets.token_bytes(32)).decode("ascii")
        url = (
            f"sqlite:///{self.data_dir / 'teamotp.db'}"
            if database == "sqlite"
            else plan.database_url
        )
        if url is None:
            raise RuntimeError("PostgreSQL needs TEAMOTP_DATABASE_URL")
        self.result.fill_seconds = fill(url, key, self.data_dir / "master.key", team)
        self._env = clean_environment(
            TEAMOTP_BOT_TOKEN=TOKEN,
            TEAMOTP_API_URL=server.url,
            TEAMOTP_DATA_DIR=str(self.data_dir),
            TEAMOTP_DATABASE_URL=url,
            TEAMOTP_MASTER_KEY=key,
            TEAMOTP_OWNER_IDS=str(OWNER_ID),
            # The per-person limit (6 a minute by default) is checked and counted on every
            # request as always, but set past what the load asks of anyone: 2,000 codes
            # from 100 members would otherwise be mostly refusals.
            TEAMOTP_CODES_PER_MINUTE="1000000",
        )

    def run(self) -> BotRun:
        process: BotProcess | None = None
        try:
            for mode in self.plan.servers:
                if process is not None:
                    # Each bot's settings differ by mode (its limiter): a process each.
                    self._finish(process, backlog=False)
                    process = None
                load = Load(self.team, seed=12, limited=mode == "limited")
                for phase in self.plan.phases[mode]:
                    if process is None:
                        process = self._start(mode)
                    self.say(f"  {mode} {phase.name}: {phase.count} requests")
                    result = self._phase(process, load, phase, mode)
                    self.result.phases.append(result)
                    load.pause(2.0)
                    if result.stalled:
                        self.say(f"  ({result.answered} of {result.requests} answered in time)")
                        self._finish(process, backlog=True)
                        process = None
        finally:
            if process is not None:
                self._finish(process, backlog=False)
        return self.result

    def _start(self, mode: ServerMode, *, warm: bool = True) -> BotProcess:
        self._started += 1
        self.result.processes = self._started
        label = f"{mode}-{self._started}"
        profile = None
        if self.bot == "bare":
            env = dict(self._env, BENCH_LIMITED="1" if mode == "limited" else "0")
            command = [PYTHON, "-m", "benchmarks.bare_bot"]
        elif self.plan.profile is not None and self._started == 1:
            # The first process only: it meets the load first, and the phases after a
            # stall run without the profiler's cost.
            env = dict(self._env, PYTHONPATH=str(ROOT))
            name = f"{self.plan.profile.name}.{self.team.size_name}-{self.database}"
            profile = self.plan.profile.with_name(name)
            command = [PYTHON, "-m", "benchmarks.profiled", str(profile)]
            profile.unlink(missing_ok=True)
            self.result.profile = profile
        else:
            env, command = self._env, [str(TEAMOTP), "run"]
        if self.bot != "bare":
            # Against a server without Telegram's limits the bot is told so: it then sends as
            # fast as it goes, as the bare bot does there; under the limits it paces itself.
            env = dict(env, TEAMOTP_SENDS_PER_SECOND="29" if mode == "limited" else "0")
        log = self.data_dir / f"bot-{label}.log"
        started = time.monotonic()
        self.server.control("phase", name="start", requests=[], rate=None, limited=False)
        process = BotProcess(command, env, self.data_dir, log)
        process.profiled = profile is not None
        try:
            _wait_ready(self.server, process)
        except RuntimeError:
            process.stop(grace=5.0)
            tail = log.read_text(encoding="utf-8", errors="replace").splitlines()[-20:]
            self.say("\n".join(tail))
            raise
        ready_in = time.monotonic() - started
        cpu0 = cpu_seconds(process.pid)
        time.sleep(self.plan.idle_seconds)
        idle_cpu = (cpu_seconds(process.pid) - cpu0) / self.plan.idle_seconds
        idle_rss, _ = memory_mib(process.pid)
        if self._started == 1:
            self.result.started_in, self.result.idle_rss = ready_in, idle_rss
            self.result.idle_cpu_per_second = idle_cpu
        if self.plan.warmup and warm:
            warming = PhasePlan("warm-up", self.plan.warmup, 50.0, 50.0)
            warmed = self._phase(process, Load(self.team, seed=99), warming, "unlimited")
            self.result.warmups.append(warmed)
            if warmed.stalled:  # its backlog would be the next phase's: a fresh process
                self.say(f"  (warm-up: {warmed.answered} of {warmed.requests} answered in time)")
                self._finish(process, backlog=True)
                return self._start(mode, warm=False)
        return process

    def _finish(self, process: BotProcess, *, backlog: bool) -> None:
        if process.alive():
            _, peak = memory_mib(process.pid)
            self.result.peak_rss = max(self.result.peak_rss, peak)
            profile = self.result.profile
            if process.profiled and profile is not None:
                # Written now: a bot with a backlog may be killed before it stops.
                process.process.send_signal(signal.SIGUSR2)
                until = time.monotonic() + 60.0
                while not profile.exists() and time.monotonic() < until and process.alive():
                    time.sleep(0.2)
        # With a backlog the bot may take its time to stop (it finishes the updates in
        # hand): not waited for long, the phase it was stopped after is over.
        code = process.stop(grace=10.0 if backlog else 30.0)
        if code not in (0, -signal.SIGTERM):
            self.result.exits.append(code)
        for line in process.log.read_text(encoding="utf-8", errors="replace").splitlines():
            for level in ("WARNING", "ERROR", "CRITICAL", "Traceback"):
                if level in line:
                    key = _log_key(line)
                    self.result.log_warnings[key] = self.result.log_warnings.get(key, 0) + 1
                    break
        status = self.server.control("status")
        self.result.unknown_methods.update(status.get("unknown", {}))

    def _phase(
        self, process: BotProcess, load: Load, phase: PhasePlan, mode: ServerMode
    ) -> PhaseResult:
        server = self.server
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
        sending = phase.count / phase.rate if phase.rate else 0.0
        deadline = time.monotonic() + sending + self.plan.phase_grace
        stalled = True
        busy: list[tuple[float, float]] = []  # (when, the bot's CPU seconds then)
        while time.monotonic() < deadline and process.alive():
            status = server.control("status")
            now = time.monotonic()
            busy = [*(b for b in busy if now - b[0] < 2.0), (now, cpu_seconds(process.pid))]
            since = status["last_send_ago"]
            if since is None:
                since = now - wall_before
            if status["done_queueing"]:
                if status["answered"] >= status["queued"] and since > self.plan.quiet_seconds:
                    stalled = False
                    break
                # Every update taken, nothing sent for a while, and the bot idle: what is
                # unanswered will stay so (Telegram refused its reply).
                idle = now - busy[0][0] > 1.5 and busy[-1][1] - busy[0][1] < 0.15
                if status["unconfirmed"] == 0 and since > 3.0 and idle:
                    stalled = False
                    break
            time.sleep(0.1)
        results = server.control("results")
        codes = sum(1 for r in results["requests"] if r["reply"] == "code")
        if self.plan.wait_for_deletions and self.bot == "teamotp" and not stalled:
            # A code's CPU includes deleting it when it expires (at most a window later).
            until = time.monotonic() + 35.0
            while time.monotonic() < until and process.alive():
                if server.control("status")["deleted"] - deleted_before >= codes:
                    break
                time.sleep(0.2)
        cpu = cpu_seconds(process.pid) - cpu_before if process.alive() else 0.0
        wall = time.monotonic() - wall_before
        server_share = (cpu_seconds(server.pid) - server_cpu_before) / wall
        found = _summarize(
            results, phase, mode, self.bot, self.team.size_name, self.database, cpu, server_share
        )
        found.stalled = stalled
        return found


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

"""End-to-end fixtures: the real bot, started the way `teamotp run` starts it, against the
fake Bot API server over HTTP on 127.0.0.1, with a real store: every test that starts the
bot runs once on a SQLite file and once on the PostgreSQL `TEAMOTP_TEST_DATABASE_URL`
names (see `database_url`), but those marked `sqlite_file`."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import socket
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from storage.store import Store
from teamotp.app import BotApplication, build_application, serve
from teamotp.config import load_settings
from teamotp.wiring import open_configured_store
from tests.conftest import Clock
from tests.e2e.watch import LoopThreadGuard
from tests.fake_telegram import FakeTelegram, FakeUser

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
OTHER_SECRET = "KRSXG5CTMVRXEZLUKRSXG5CTMVRXEZLU"


def _seeds_in_the_tests() -> frozenset[str]:
    """Every seed an end-to-end test types: each base32 run of 16 or more characters with
    a digit in these modules' source. Found, not listed, so a new test's seed is watched
    without anyone remembering to register it."""
    here = Path(__file__).parent
    sources = [*here.glob("*.py"), here.parent / "migration_payloads.py"]
    found: set[str] = set()
    for source in sources:
        for run in re.findall(r"(?<![A-Za-z0-9])[A-Z2-7]{16,}(?![A-Za-z0-9])", source.read_text()):
            if re.search(r"[2-7]", run):
                found.add(run)
    return frozenset(found)


SEEDS = _seeds_in_the_tests()


def seed_forms(seed: str) -> list[str]:
    """The ways a seed may have been typed, lower case: plain, spaced and dashed in groups
    of four, and either end of it (half a seed is already too much)."""
    lower = seed.lower()
    groups = [lower[i : i + 4] for i in range(0, len(lower), 4)]
    return [lower, " ".join(groups), "-".join(groups), lower[:16], lower[-16:]]


def secrets_in(text: str, token: str | None = None) -> list[str]:
    """What of the test seeds, authenticator links and the token `text` holds."""
    haystack = text.lower()
    found = [form for seed in sorted(SEEDS) for form in seed_forms(seed) if form in haystack]
    found += [link for link in ("otpauth:", "otpauth-migration:") if link in haystack]
    if token:
        found += [part for part in (token, token.split(":", 1)[-1]) if part in text]
    return found


class _EverythingLogged(logging.Handler):
    """Keeps every record as a handler would write it: the message and the traceback."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture(autouse=True)
def nothing_secret_logged(request: pytest.FixtureRequest) -> Iterator[None]:
    """Every end-to-end test runs with every logger at DEBUG, and fails when any record (of
    any logger, exceptions' text and tracebacks included) holds the bot token, a test
    seed in any form it was typed, or an authenticator link."""
    root = logging.getLogger()
    handler = _EverythingLogged()
    # Libraries that quiet themselves (SQLAlchemy sets WARNING) are turned up too.
    levels = {
        logger: logger.level
        for logger in (root, *logging.root.manager.loggerDict.values())
        if isinstance(logger, logging.Logger) and (logger.level > logging.DEBUG or logger is root)
    }
    for logger in levels:
        logger.setLevel(logging.DEBUG)
    root.addHandler(handler)
    try:
        yield
    finally:
        root.removeHandler(handler)
        for logger, level in levels.items():
            logger.setLevel(level)
    fake = request.node.funcargs.get("tg")
    token = fake.token if isinstance(fake, FakeTelegram) else None
    leaked = [
        (line.split(":", 1)[0], found)
        for line in handler.lines
        if (found := secrets_in(line, token))
    ]
    assert leaked == [], f"logged: {leaked[:5]} (the level and logger of each record)"


@dataclass
class People:
    owner: FakeUser
    admin: FakeUser
    member: FakeUser
    stranger: FakeUser


@dataclass
class Bot:
    """A running bot and the world around it."""

    tg: FakeTelegram
    app: BotApplication
    store: Store
    clock: Clock
    people: People
    data_dir: Path
    extra_env: dict[str, str] = field(default_factory=dict)
    stop_event: asyncio.Event = field(default_factory=asyncio.Event)
    serving: asyncio.Task[None] | None = None

    async def stop(self, timeout: float = 10.0) -> None:  # noqa: ASYNC109 - tests' API
        """Stop the bot as SIGTERM stops `teamotp run`, and wait until it has."""
        self.stop_event.set()
        assert self.serving is not None
        await asyncio.wait_for(self.serving, timeout)

    async def say(
        self, user: FakeUser, text: str, *, chat: Any = None, **kwargs: Any
    ) -> dict[str, Any]:
        """Send `text` as `user` (privately unless `chat` is given); return the next reply."""
        where = chat if chat is not None else self.tg.private(user)
        await self.tg.send(user, where, text, **kwargs)
        return await self.tg.next_message(where)

    @property
    def database_url(self) -> str:
        """The store's URL, as the bot was configured (the data directory's file unless
        a database was named)."""
        return self.extra_env.get(
            "TEAMOTP_DATABASE_URL", f"sqlite:///{self.data_dir / 'teamotp.db'}"
        )

    @property
    def on_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def tamper(self, statement: str, **params: object) -> list[tuple[Any, ...]]:
        """Run SQL on the store behind the bot's back, as someone holding the database
        could; returns the rows it selected. Named parameters (`:name`), so one statement
        serves SQLite and PostgreSQL."""
        engine = create_engine(self.database_url)
        try:
            with engine.begin() as connection:
                result = connection.execute(text(statement), params)
                return [tuple(row) for row in result] if result.returns_rows else []
        finally:
            engine.dispose()

    @property
    def listen_url(self) -> str:
        """Where a bot in webhook mode listens: what the TLS proxy would forward to."""
        return f"http://127.0.0.1:{self.extra_env['TEAMOTP_LISTEN_PORT']}"

    async def settle(self, timeout: float = 10.0) -> None:  # noqa: ASYNC109 - tests' API
        """Wait until every update sent so far has been handled.

        Updates of different chats are handled at the same time, so an answer to a later
        update proves nothing about earlier ones: wait until the bot has fetched every
        update (it confirms them with its next poll, after queueing them) and then until
        its update queue is worked off (PTB marks an update done once handled). In webhook
        mode an update leaves the fake's queue once the bot answered its POST."""
        async with asyncio.timeout(timeout):
            while self.tg.pending_updates:  # noqa: ASYNC110 - confirming sets no event
                await asyncio.sleep(0.01)
            await self.app.update_queue.join()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def tg(clock: Clock) -> AsyncIterator[FakeTelegram]:
    """The fake Bot API, whose time is the test's clock: updates are stamped with the time
    the bot reads, as with a server whose clock is right (a test may set them apart)."""
    fake = FakeTelegram()
    fake.world.clock = clock
    await fake.start()
    yield fake
    await fake.stop()
    assert fake.violations == [], "the bot made requests the real Bot API would refuse"


BotFactory = Callable[..., Any]

WEBHOOK_SECRET = "test-webhook-secret_0123456789"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def webhook_env() -> dict[str, str]:
    """Settings for `start_bot` in webhook mode, listening on a free port of 127.0.0.1. The
    fake Bot API posts to http:// on the loopback, as a self-hosted one does: the URL is
    the bot's own listen address (no TLS proxy in between)."""
    port = free_port()
    return {
        "TEAMOTP_MODE": "webhook",
        "TEAMOTP_WEBHOOK_URL": f"http://127.0.0.1:{port}/telegram/updates",
        "TEAMOTP_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "TEAMOTP_LISTEN_PORT": str(port),
    }


# The sweeper looks for expired codes this often in tests: deletions follow the test's
# clock within a few ticks, and no test waits on the production interval.
SWEEP_INTERVAL = 0.05


@pytest.fixture
async def start_bot(
    tg: FakeTelegram, tmp_path: Path, clock: Clock, database_url: str
) -> AsyncIterator[Callable[..., Any]]:
    """Start the bot with extra environment; stops it at the end of the test. With
    `TEAMOTP_MODE=webhook` in it (see `webhook_env`), it returns once the webhook is set.
    On SQLite the store is the data directory's file, as with no database configured; on
    PostgreSQL every start of one test opens the same (emptied) database.

    Every store it opens is watched: a test fails when the bot used the store from the
    event loop's thread, where a slow database would stall every chat."""
    running: list[tuple[asyncio.Event, asyncio.Task[None], Store]] = []
    guard = LoopThreadGuard()
    owner = tg.user("olga", last_name="Owner")

    async def start(
        env: dict[str, str] | None = None,
        *,
        owners: bool = True,
        sweep_interval: float = SWEEP_INTERVAL,
        **options: Any,
    ) -> Bot:
        environ = {
            "TEAMOTP_BOT_TOKEN": tg.token,
            "TEAMOTP_API_URL": tg.api_url,
            "TEAMOTP_DATA_DIR": str(tmp_path / "data"),
            "TEAMOTP_LOG_LEVEL": "DEBUG",
        }
        if owners:
            environ["TEAMOTP_OWNER_IDS"] = str(owner.id)
        if not database_url.startswith("sqlite"):
            environ["TEAMOTP_DATABASE_URL"] = database_url
        environ.update(env or {})
        settings = load_settings(environ, env_file=None)
        store = open_configured_store(settings)
        guard.watch(store)
        app = build_application(
            settings, store, clock=clock, sweep_interval=sweep_interval, **options
        )
        stop = asyncio.Event()
        task = asyncio.create_task(serve(app, stop))
        running.append((stop, task, store))
        if settings.mode == "webhook":
            await (await tg.wait_for("setWebhook")).finished()
        else:
            await tg.wait_for("getUpdates")
        people = People(
            owner=owner,
            admin=tg.user("adam"),
            member=tg.user("mia"),
            stranger=tg.user("sam"),
        )
        return Bot(tg, app, store, clock, people, tmp_path / "data", environ, stop, task)

    yield start
    for stop, task, store in running:
        stop.set()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(task, 10)
        store.close()
    assert guard.misuses == [], "the store was used on the event loop's thread"


@pytest.fixture
async def bot(start_bot: Callable[..., Any], caplog: pytest.LogCaptureFixture) -> Bot:
    caplog.set_level(logging.DEBUG)
    started: Bot = await start_bot()
    return started


async def ask(bot: Bot, user: FakeUser, text: str, *, chat: Any = None, **kwargs: Any) -> Any:
    """Like `Bot.say`, but skips the code-request notifications admins get meanwhile."""
    where = chat if chat is not None else bot.tg.private(user)
    await bot.tg.send(user, where, text, **kwargs)
    while True:
        message = await bot.tg.next_message(where)
        if not message.get("text", "").startswith("🔔"):
            return message


def bot_messages(bot: Bot, chat: Any) -> list[dict[str, Any]]:
    """What the bot has said in `chat` and not deleted, oldest first."""
    return [m for m in bot.tg.messages(chat) if m["from"]["id"] == bot.tg.bot.id]


async def setup_team(bot: Bot, *, approve_group: bool = True) -> Any:
    """Owner promotes the admin, the admin adds an account and the member; returns a group."""
    p = bot.people
    await bot.say(p.owner, f"/promote {p.admin.id}")
    await bot.tg.send(p.admin, bot.tg.private(p.admin), f"/secret add amazon-us {SECRET}")
    await bot.tg.next_message(bot.tg.private(p.admin))  # "added"
    await bot.tg.next_message(bot.tg.private(p.admin))  # the code
    await bot.say(p.admin, f"/add {p.member.id}")
    group = bot.tg.group("Team")
    if approve_group:
        await bot.tg.add_bot_to_group(group, by=p.admin)
        await bot.tg.next_message(group)  # "approved"
    return group

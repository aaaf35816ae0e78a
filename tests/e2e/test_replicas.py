"""Two `teamotp run --webhook` processes sharing one PostgreSQL store behind one webhook,
as the compose file in `deploy/` runs them: the fake Bot API posts every update to both
(as Telegram does when it sends an update again) and then to one; one replica is killed
with SIGKILL while the code messages it sent are still to be deleted.

What the team sees: every request answered once, every code message deleted when its
code expires, and each admin told of each request once."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time
import urllib.request
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from storage.crypto import SecretBox, encode_master_key
from tests.conftest import TEST_DATABASE_URL, empty_postgres
from tests.e2e.conftest import SECRET, free_port
from tests.e2e.test_startup import TEAMOTP, Running, clean_environment
from tests.fake_telegram import FakeTelegram

START_TIMEOUT = 30.0
WEBHOOK_URL = "https://bot.example.com/telegram"
WEBHOOK_SECRET = "replicas-share-this-secret_42"
# A code message goes when its code expires (at most 30 s here), and what a killed
# replica held is taken over after its hold (30 s): long enough for both.
SETTLED_WITHIN = 75.0


@pytest.fixture
def postgres_url() -> str:
    url = os.environ.get(TEST_DATABASE_URL)
    if not url:
        pytest.skip(f"no PostgreSQL: set {TEST_DATABASE_URL} to run the replicas on it")
    empty_postgres(url)
    return url


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    """The fake Bot API on real time: the replicas are other processes, on the real clock."""
    tg = FakeTelegram()
    await tg.start()
    yield tg
    await tg.stop()
    assert tg.violations == [], "the bot made requests the real Bot API would refuse"


class Replica:
    def __init__(self, running: Running, port: int) -> None:
        self.running = running
        self.url = f"http://127.0.0.1:{port}"

    def healthy(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/healthz", timeout=2) as answer:  # noqa: S310
                return bool(answer.status == 200)
        except OSError:
            return False


@pytest.fixture
async def replicas(
    fake: FakeTelegram, postgres_url: str, tmp_path: Path
) -> AsyncIterator[Callable[..., Any]]:
    key_file = tmp_path / "master.key"
    key_file.write_text(encode_master_key(SecretBox.generate_key()), encoding="ascii")
    key_file.chmod(0o600)
    owner = fake.user("olga", last_name="Owner")
    started: list[Replica] = []
    fake.owner = owner  # type: ignore[attr-defined]

    async def launch() -> Replica:
        port = free_port()
        env = clean_environment(
            TEAMOTP_BOT_TOKEN=fake.token,
            TEAMOTP_API_URL=fake.api_url,
            TEAMOTP_DATABASE_URL=postgres_url,
            TEAMOTP_MASTER_KEY_FILE=str(key_file),
            TEAMOTP_OWNER_IDS=str(owner.id),
            TEAMOTP_WEBHOOK_URL=WEBHOOK_URL,
            TEAMOTP_WEBHOOK_SECRET=WEBHOOK_SECRET,
            TEAMOTP_LISTEN_HOST="127.0.0.1",
            TEAMOTP_LISTEN_PORT=str(port),
            TEAMOTP_LOG_LEVEL="INFO",
        )
        process = await asyncio.create_subprocess_exec(
            TEAMOTP,
            "run",
            "--webhook",
            env=env,
            cwd=tmp_path,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        replica = Replica(Running(process), port)
        started.append(replica)
        deadline = time.monotonic() + START_TIMEOUT
        while not await asyncio.to_thread(replica.healthy):
            if process.returncode is not None or time.monotonic() > deadline:
                raise AssertionError(f"a replica did not start:\n{replica.running.stderr}")
            await asyncio.sleep(0.1)
        return replica

    yield launch
    for replica in started:
        if replica.running.process.returncode is None:
            replica.running.process.kill()
            await replica.running.process.wait()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(replica.running._reader, 5)
    for replica in started:
        assert "Traceback" not in replica.running.stderr, replica.running.stderr


def sent_to(fake: FakeTelegram, chat_id: int) -> list[dict[str, Any]]:
    """Every message the bot sent to the chat (deleted ones too), oldest first."""
    return [
        call.result
        for call in fake.calls("sendMessage")
        if call.ok and int(call.params["chat_id"]) == chat_id
    ]


async def eventually(check: Callable[[], bool], timeout: float, what: str) -> None:  # noqa: ASYNC109
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout} s: {what}")
        await asyncio.sleep(0.2)


async def early_in_a_code_window() -> None:
    """Codes asked for early in their 30-second window are shown alone and expire at its
    end: the test knows when their messages are due to go."""
    into = time.time() % 30
    if not 1.0 <= into <= 8.0:
        await asyncio.sleep((31.0 - into) % 30)


async def test_two_replicas_answer_each_update_once_and_a_killed_one_leaves_nothing_behind(
    fake: FakeTelegram, replicas: Callable[..., Any]
) -> None:
    first: Replica = await replicas()
    second: Replica = await replicas()
    fake.deliver_webhooks_to([first.url, second.url], policy="all")

    olga = fake.owner  # type: ignore[attr-defined]
    members = [fake.user(name) for name in ("mia", "max", "meg", "mo")]
    olga_chat = fake.private(olga)

    # The team, set up through both replicas at once: each update reaches both.
    await fake.send(olga, olga_chat, f"/secret add amazon-us {SECRET}")
    await eventually(lambda: len(sent_to(fake, olga.id)) >= 2, 20, "the account added")
    for member in members:
        before = len(sent_to(fake, olga.id))
        await fake.send(olga, olga_chat, f"/add {member.id}")
        await eventually(lambda b=before: len(sent_to(fake, olga.id)) > b, 20, "a member added")  # type: ignore[misc]
    group = fake.group("Team")
    await fake.add_bot_to_group(group, by=olga)
    await eventually(lambda: len(sent_to(fake, group.id)) >= 1, 20, "the group approved")

    # Every update went to both replicas; each was answered once.
    asked_together = members[:2]
    await early_in_a_code_window()
    for member in asked_together:
        await fake.send(member, fake.private(member), "/code")
    await eventually(
        lambda: all(sent_to(fake, m.id) for m in asked_together), 20, "both codes sent"
    )

    # Now the first replica alone gets the updates, and dies before its codes expire.
    fake.deliver_webhooks_to([first.url], policy="round_robin")
    # Telegram fails the notices the dying replica sends: they are still in its hands
    # (or waiting to be tried again) when it dies.
    to_olga = {"chat_id": str(olga.id)}
    fake.fail(
        "sendMessage",
        status=502,
        description="Bad Gateway",
        times=1000,
        where=lambda params: str(params.get("chat_id")) == to_olga["chat_id"],
    )
    asked_of_the_dying = members[2:]
    for member in asked_of_the_dying:
        await fake.send(member, group, "/code")
    await eventually(
        lambda: len(sent_to(fake, group.id)) >= 1 + len(asked_of_the_dying),
        20,
        "the group's codes sent",
    )
    await eventually(
        lambda: len([c for c in fake.calls("sendMessage") if not c.ok]) >= 2,
        20,
        "the dying replica's notices failed",
    )
    first.running.process.send_signal(signal.SIGKILL)
    await first.running.process.wait()
    fake.clear_faults()
    fake.deliver_webhooks_to([second.url], policy="round_robin")

    code_messages = [
        (m.id, message["message_id"])
        for m in asked_together
        for message in sent_to(fake, m.id)
    ] + [
        (group.id, message["message_id"])
        for message in sent_to(fake, group.id)
        if "amazon-us" in message.get("text", "")
    ]
    assert len(code_messages) == len(asked_together) + len(asked_of_the_dying)
    await eventually(
        lambda: all(fake.is_deleted(chat, mid) for chat, mid in code_messages),
        SETTLED_WITHIN,
        "every code message deleted",
    )

    # The owner was told of each request once, the dead replica's included.
    def told() -> list[str]:
        return [m.get("text", "") for m in sent_to(fake, olga.id) if "🔔" in m.get("text", "")]

    await eventually(lambda: len(told()) >= len(members), SETTLED_WITHIN, "every notice")
    await asyncio.sleep(2.0)  # a duplicate would have come by now
    assert len(told()) == len(members), told()
    for member in members:
        assert len([t for t in told() if str(member.id) in t or member.first_name in t]) == 1

    # Each request had one answer: no replica answered an update the other took.
    for member in asked_together:
        assert len(sent_to(fake, member.id)) == 1
    assert len(sent_to(fake, group.id)) == 1 + len(asked_of_the_dying)
    assert second.healthy()

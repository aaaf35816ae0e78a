"""The README's hand-driven example, run through the playground with the real bot.

The lines are read from the README itself, so the example people are told to type
keeps working: an account added, a member added by reply, and that member getting a
valid code in the group while the owner is notified.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pyotp

from tests.fake_telegram.playground import Playground

README = Path(__file__).resolve().parents[2] / "README.md"


def readme_example() -> list[str]:
    section = README.read_text(encoding="utf-8").split("## Try it by hand", 1)[1]
    block = re.search(r"```text\n(.*?)```", section, re.DOTALL)
    assert block is not None, "the README lost its playground example"
    return [line for line in block.group(1).splitlines() if line.strip()]


async def test_readme_playground_example_gives_member_a_code_and_tells_the_owner(
    tmp_path: Path,
) -> None:
    lines = readme_example()
    secret = re.search(r"/secret add \S+ (\S+)", lines[0])
    assert secret is not None
    out = io.StringIO()
    playground = Playground(data_dir=tmp_path / "data", out=out)
    await playground.start(port=0)
    try:
        fake = playground.fake
        for line in lines:
            await playground.execute(line)
        code = await fake.wait_for(
            "sendMessage", where=lambda c: "for bob" in str(c.params.get("text")), timeout=20
        )
        notice = await fake.wait_for(
            "sendMessage", where=lambda c: "Code request" in str(c.params.get("text"))
        )
    finally:
        await playground.stop()
    totp = pyotp.TOTP(secret.group(1))
    shown = re.search(r"<code>(\d{6})</code>", str(code.params["text"]))
    assert shown is not None
    assert shown.group(1) in {totp.at(code.time), totp.at(code.time - 30)}
    assert notice.params["chat_id"] == playground.owner.id
    assert "granted" in str(notice.params["text"])
    assert "bob" in str(notice.params["text"])
    assert fake.violations == []
    assert secret.group(1) not in out.getvalue()


async def test_playground_qr_line_adds_the_account_it_holds(tmp_path: Path) -> None:
    secret = "KRSXG5CTMVRXEZLUKRSXG5CTMVRXEZLU"
    out = io.StringIO()
    playground = Playground(data_dir=tmp_path / "data", out=out)
    await playground.start(port=0)
    try:
        await playground.execute(f"alice: qr otpauth://totp/Shop:me?secret={secret}&issuer=Shop")
        code = await playground.fake.wait_for(
            "sendMessage", where=lambda c: "<code>" in str(c.params.get("text")), timeout=20
        )
    finally:
        await playground.stop()
    assert "shop" in str(code.params["text"])
    assert "bot deleted message" in out.getvalue()
    assert secret not in out.getvalue()

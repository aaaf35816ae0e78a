"""The operator's shell for the store commands (`teamotp backup`, `restore`, `rotate-key`,
`audit verify`, `accounts list`): `teamotp.cli.main` run in this process against a store
named as the operator's settings name it, with only TEAMOTP_DATA_DIR,
TEAMOTP_DATABASE_URL and LANG set, and both output streams captured."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import pytest

from storage.crypto import SecretBox, decode_master_key
from storage.database import open_store
from storage.store import Store
from teamotp.cli import main
from tests.test_accounts_cli import Done


@dataclass(frozen=True)
class Place:
    """A store: its database and the data folder that holds its key file."""

    url: str
    data: Path

    @property
    def key_file(self) -> Path:
        return self.data / "master.key"

    def open(self) -> Store:
        return open_store(self.url, None, self.key_file)

    def box(self) -> SecretBox:
        return SecretBox(decode_master_key(self.key_file.read_text(encoding="ascii")))

    def env(self) -> dict[str, str]:
        return {
            "TEAMOTP_DATA_DIR": str(self.data),
            "TEAMOTP_DATABASE_URL": self.url,
            "LANG": "C",
        }


def sqlite_place(folder: Path) -> Place:
    folder.mkdir(parents=True, exist_ok=True)
    return Place(f"sqlite:///{folder / 'teamotp.db'}", folder)


class Teamotp(Protocol):
    def __call__(self, place: Place, *args: str, env: dict[str, str] | None = None) -> Done: ...


@pytest.fixture
def teamotp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Iterator[Teamotp]:
    """`teamotp ARGS` against `place`; `env` adds to (or overrides) its settings. As in a
    fresh process the root logger has no handler, so what the command logs goes to the
    captured stderr, where the operator sees it; levels are put back afterwards."""
    monkeypatch.delenv("LC_ALL", raising=False)
    monkeypatch.chdir(tmp_path)
    names = ("", "httpx", "apscheduler", "sqlalchemy")
    levels = {name: logging.getLogger(name).level for name in names}
    factory = logging.getLogRecordFactory()

    def run(place: Place, *args: str, env: dict[str, str] | None = None) -> Done:
        for name in list(os.environ):
            if name.startswith("TEAMOTP_"):
                monkeypatch.delenv(name)
        for name, value in {**place.env(), **(env or {})}.items():
            monkeypatch.setenv(name, value)
        capsys.readouterr()
        root = logging.getLogger()
        kept, root.handlers = root.handlers, []
        try:
            code = main(list(args))
        finally:
            for handler in root.handlers:
                handler.close()
            root.handlers = kept
        out, err = capsys.readouterr()
        return Done(code, out, err)

    yield run
    logging.setLogRecordFactory(factory)
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)

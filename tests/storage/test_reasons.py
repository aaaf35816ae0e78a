"""The store's reasons for not opening are the catalog's: each names its entry, and the
entry's English is word for word the error's own text. So the operator reads the same
reason in English, and reads it in Chinese under a Chinese locale."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.messages import CHINESE, ENGLISH
from storage.crypto import SecretBox, encode_master_key
from storage.database import StoreError, open_store
from teamotp.telling import said


def _wrong_key(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'teamotp.db'}"
    open_store(url, None, tmp_path / "master.key").close()
    open_store(url, encode_master_key(SecretBox.generate_key()), tmp_path / "master.key")


def _key_file_gone(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'teamotp.db'}"
    open_store(url, None, tmp_path / "master.key").close()
    (tmp_path / "master.key").unlink()
    open_store(url, None, tmp_path / "master.key")


def _bad_environment_key(tmp_path: Path) -> None:
    open_store(f"sqlite:///{tmp_path / 'teamotp.db'}", "not-a-key", tmp_path / "master.key")


def _key_file_is_a_folder(tmp_path: Path) -> None:
    (tmp_path / "master.key").mkdir()
    open_store(f"sqlite:///{tmp_path / 'teamotp.db'}", None, tmp_path / "master.key")


def _key_file_holds_no_key(tmp_path: Path) -> None:
    (tmp_path / "master.key").write_text("hello\n")
    open_store(f"sqlite:///{tmp_path / 'teamotp.db'}", None, tmp_path / "master.key")


def _no_such_database(tmp_path: Path) -> None:
    open_store("nosuchdb://user@host/db", None, tmp_path / "master.key")


def _older_schema(tmp_path: Path) -> None:
    sqlite3.connect(tmp_path / "teamotp.db").close()  # empty: no schema at all
    url = f"sqlite:///{tmp_path / 'teamotp.db'}"
    open_store(url, None, tmp_path / "master.key", migrate=False)


@pytest.mark.parametrize(
    ("make", "key", "chinese"),
    [
        (_wrong_key, "store.wrong_key", "主密钥与数据库不匹配"),
        (_key_file_gone, "key.file_missing", "不存在，但数据库是用密钥写入的"),
        (_bad_environment_key, "key.bad_env", "TEAMOTP_MASTER_KEY 必须是 base64 编码"),
        (_key_file_is_a_folder, "key.is_directory", "是目录，不是文件"),
        (_key_file_holds_no_key, "key.not_a_key", "里不是 base64 编码的 32 字节密钥"),
        (_no_such_database, "store.bad_url", "不是可用的数据库地址"),
        (_older_schema, "store.schema_behind_empty", "（空数据库，需要"),
    ],
)
def test_a_reason_the_store_gives_is_the_catalogs_in_both_languages(
    tmp_path: Path, make: Callable[[Path], None], key: str, chinese: str
) -> None:
    with pytest.raises(StoreError) as refused:
        make(tmp_path)
    error = refused.value
    assert error.key == key
    assert said(ENGLISH, key, **error.params) == str(error)
    assert chinese in said(CHINESE, key, **error.params)

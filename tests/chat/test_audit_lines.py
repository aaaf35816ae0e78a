"""/audit's line for a `/policy` change: the setting and value stored as typed, read in the
reader's words; a word from a later version is shown as stored."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.messages import CATALOG, CHINESE, ENGLISH, plain
from bot.reports import audit_list
from bot.rules.model import AuditEntry
from bot.rules.policies import SETTINGS


def policy_line(lang: str, setting: str, value: str) -> str:
    entry = AuditEntry(
        at=datetime(2026, 3, 1, 8, 0, tzinfo=UTC),
        actor_id=7,
        actor_name="Wang",
        action="account.policy",
        outcome="ok",
        account="amazon-us",
        chat_id=None,
        target_id=None,
        target_name=None,
        params=(("setting", setting), ("value", value)),
    )
    (shown,) = audit_list(lang, [entry])
    return plain(shown).splitlines()[-1]


def test_a_policy_change_reads_in_chinese_words() -> None:
    assert policy_line(CHINESE, "approval", "admin") == (
        "03-01 08:00:00 Wang 将 amazon-us 的审批设为“需管理员批准”"
    )
    assert policy_line(ENGLISH, "approval", "admin") == (
        "03-01 08:00:00 Wang set approval of amazon-us to admin"
    )


@pytest.mark.parametrize(
    ("setting", "value"), [(s, v.value) for s, kind in SETTINGS.items() for v in kind]
)
def test_every_setting_and_value_policy_takes_has_words(setting: str, value: str) -> None:
    assert f"audit.policy.{setting}" in CATALOG
    assert f"audit.policy.{setting}.{value}" in CATALOG
    assert setting not in policy_line(CHINESE, setting, value)
    assert value not in policy_line(CHINESE, setting, value)


def test_a_word_from_a_later_version_is_shown_as_stored() -> None:
    assert policy_line(CHINESE, "approval", "twice") == (
        "03-01 08:00:00 Wang 将 amazon-us 的审批设为“twice”"
    )
    assert policy_line(CHINESE, "colour", "red") == (
        "03-01 08:00:00 Wang 将 amazon-us 的colour设为“red”"
    )

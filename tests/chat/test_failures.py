"""Where an unexpected failure is logged as happening: our innermost frame, by module."""

from __future__ import annotations

from types import CodeType

import pytest

from bot.chat.failures import where

# Both files sit under folders named after the project, as they do in the Docker
# image's venv (/opt/teamotp/...) or a plain `git clone .../teamotp`.
LIBRARY_FILE = "/opt/teamotp/lib/python3.12/site-packages/sqlalchemy/engine/base.py"
OUR_FILE = "/srv/checkouts/teamotp/bot/rules/codes.py"


def _compiled(source: str, filename: str) -> CodeType:
    return compile(source, filename, "exec")


def _failure() -> BaseException:
    library: dict[str, object] = {"__name__": "sqlalchemy.engine.base"}
    exec(_compiled("def execute():\n    raise RuntimeError('boom')\n", LIBRARY_FILE), library)  # noqa: S102
    ours: dict[str, object] = {"__name__": "bot.rules.codes", "execute": library["execute"]}
    exec(_compiled("def decide():\n    execute()\n", OUR_FILE), ours)  # noqa: S102
    try:
        ours["decide"]()  # type: ignore[operator]
    except RuntimeError as failure:
        return failure
    raise AssertionError("no failure")


def test_failure_is_placed_in_our_code_by_module_even_in_a_folder_named_teamotp() -> None:
    assert where(_failure()) == (
        "bot.rules.codes:2 in decide (via sqlalchemy.engine.base:2 in execute)"
    )


def test_failure_with_no_frame_of_ours_names_the_last_frame() -> None:
    with pytest.raises(ValueError, match="invalid literal") as raised:
        int("not a number")
    assert where(raised.value).startswith("tests.chat.test_failures:")
    assert where(None) == "?"

"""What the bot accepts fits the columns it keeps it in: PostgreSQL enforces their lengths
(SQLite does not), so each longest case is stored and read back on both."""

from __future__ import annotations

from bot.rules.names import MAX_NAME_LENGTH, name_key
from bot.rules.services import Services
from tests.rules.team import ADMIN, OTHER_SECRET, PRIVATE


def test_the_longest_name_that_folds_longest_is_kept(team: Services) -> None:
    """`ΐ` is a letter (names may be any script) that case-folds to three characters."""
    name = "ΐ" * MAX_NAME_LENGTH
    assert len(name_key(name)) == 3 * MAX_NAME_LENGTH
    team.vault.add(ADMIN, name, OTHER_SECRET)
    assert [a.name for a in team.vault.list(ADMIN)][-1] == name
    assert team.codes.request(ADMIN, PRIVATE, name)
    renamed = "ΰ" * MAX_NAME_LENGTH
    assert team.vault.rename(ADMIN, name, renamed).name == renamed

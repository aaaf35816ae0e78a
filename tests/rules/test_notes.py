"""Recovery custody notes: one short note per account, for admins only, audited without its
text; a note that no longer opens is marked, never an error that hides the others."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from bot.rules.errors import InvalidInput, NotAllowed
from bot.rules.model import Target
from bot.rules.notes import MAX_NOTE_CHARS
from bot.rules.services import Services
from tests.rules.team import ADMIN, MEMBER, OTHER_SECRET, OWNER, SECRET

NOTE = "Backup phone: Li Wei, +86 138 0013 8000 (SMS); steps in the team drive"


def listed_notes(team: Services) -> dict[str, tuple[str | None, bool]]:
    return {a.name: (a.note, a.note_readable) for a in team.vault.list(ADMIN)}


def test_a_note_is_kept_shown_to_admins_and_removed_with_a_dash(team: Services) -> None:
    saved = team.notes.write(ADMIN, "Amazon-US", f"  {NOTE}\n")
    assert (saved.account.name, saved.text) == ("amazon-us", NOTE)
    assert team.notes.read(OWNER, "amazon-us").text == NOTE
    assert listed_notes(team) == {"amazon-us": (NOTE, True)}
    removed = team.notes.write(ADMIN, "amazon-us", "-")
    assert removed.text is None
    assert team.notes.read(ADMIN, "amazon-us").text is None
    assert listed_notes(team) == {"amazon-us": (None, True)}


def test_a_note_is_audited_without_its_text(team: Services) -> None:
    team.notes.write(ADMIN, "amazon-us", NOTE)
    team.notes.write(ADMIN, "amazon-us", "-")
    entries = team.audit.latest(OWNER, 2)
    assert [(e.action, e.outcome, e.account) for e in entries] == [
        ("account.note", "note_removed", "amazon-us"),
        ("account.note", "ok", "amazon-us"),
    ]
    assert "Li Wei" not in repr(entries)


def test_a_note_longer_than_the_limit_is_refused_and_nothing_changes(team: Services) -> None:
    team.notes.write(ADMIN, "amazon-us", "Anna")
    team.notes.write(ADMIN, "amazon-us", "x" * MAX_NOTE_CHARS)
    with pytest.raises(InvalidInput, match="note.too_long") as refused:
        team.notes.write(ADMIN, "amazon-us", "x" * (MAX_NOTE_CHARS + 1))
    assert refused.value.params == {"max": 500, "length": 501}
    assert team.notes.read(ADMIN, "amazon-us").text == "x" * MAX_NOTE_CHARS


def test_a_note_holding_a_secret_is_refused(team: Services) -> None:
    with pytest.raises(InvalidInput, match="note.holds_secret"):
        team.notes.write(ADMIN, "amazon-us", f"spare key {OTHER_SECRET}")
    assert team.notes.read(ADMIN, "amazon-us").text is None


def test_members_can_neither_write_nor_read_notes(team: Services) -> None:
    team.roster.add(ADMIN, Target(user_id=MEMBER.id), [])
    team.notes.write(ADMIN, "amazon-us", NOTE)
    with pytest.raises(NotAllowed):
        team.notes.read(MEMBER, "amazon-us")
    with pytest.raises(NotAllowed):
        team.notes.write(MEMBER, "amazon-us", "Mia")
    with pytest.raises(NotAllowed):
        team.vault.list(MEMBER)
    assert all(a.note is None for a in team.codes.accounts_for(MEMBER))


def test_a_note_survives_a_rename_and_a_new_key(team: Services) -> None:
    team.notes.write(ADMIN, "amazon-us", NOTE)
    team.vault.rename(ADMIN, "amazon-us", "amazon-de")
    taken = team.rotations.take_named(ADMIN, "amazon-de", OTHER_SECRET)
    team.rotations.confirm(ADMIN, taken.account.id, taken.ticket)
    assert team.notes.read(ADMIN, "amazon-de").text == NOTE


@pytest.mark.sqlite_file
def test_a_note_moved_to_another_account_is_marked_not_read(team: Services, tmp_path: Path) -> None:
    team.vault.add(ADMIN, "ebay", OTHER_SECRET)
    team.notes.write(ADMIN, "amazon-us", NOTE)
    with closing(sqlite3.connect(tmp_path / "teamotp.db")) as db, db:
        db.execute(
            "UPDATE accounts SET note_sealed = "
            "(SELECT note_sealed FROM accounts WHERE name = 'amazon-us') WHERE name = 'ebay'"
        )
    assert listed_notes(team) == {"amazon-us": (NOTE, True), "ebay": (None, False)}
    shown = team.notes.read(ADMIN, "ebay")
    assert (shown.text, shown.readable) == (None, False)
    team.notes.write(ADMIN, "ebay", "Anna holds it")  # written again, it opens again
    assert listed_notes(team)["ebay"] == ("Anna holds it", True)
    assert SECRET not in repr(team.vault.list(ADMIN))

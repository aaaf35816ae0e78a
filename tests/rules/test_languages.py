"""`/lang`: a person's own language, and a group's, as the rules keep them."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.rules.directory import Directory
from bot.rules.errors import InvalidInput, NotAllowed
from bot.rules.languages import CHINESE, ENGLISH, chosen
from bot.rules.model import Person, Place
from bot.rules.services import Services
from storage.store import Store
from tests.conftest import Clock, open_test_store
from tests.rules.team import ADMIN, MEMBER

KIM = Person(700, "Kim", language_code="en")
SHOP = Place(-100500, private=False, title="Shop")


@pytest.mark.parametrize(
    ("word", "language"),
    [
        ("zh", CHINESE),
        ("ZH-CN", CHINESE),
        ("zh_Hans", CHINESE),
        ("中文", CHINESE),
        ("“中文”", CHINESE),
        ("en,", ENGLISH),
        ("English", ENGLISH),
        ("英文", ENGLISH),
        ("auto", None),
        ("默认", None),
    ],
)
def test_the_words_people_type_for_a_language(word: str, language: str | None) -> None:
    assert chosen(word) == language


@pytest.mark.parametrize("word", ["fr", "", "zhh", "/lang", "中"])
def test_a_word_naming_no_language_is_refused(word: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        chosen(word)
    assert refused.value.key == "lang.usage"


def test_a_choice_is_kept_and_seen_with_every_update_after_it(team: Services) -> None:
    assert team.directory.seen(KIM) is None
    assert team.languages.choose(KIM, "zh").changed
    assert team.directory.seen(KIM) == CHINESE
    assert not team.languages.choose(KIM, "中文").changed  # so already
    assert team.languages.of_person(KIM.id) == CHINESE
    assert team.languages.choose(KIM, "auto").language is None
    assert team.directory.seen(KIM) is None


def test_a_choice_outlives_a_restart(team: Services, store: Store, clock: Clock) -> None:
    team.languages.choose(KIM, "zh")
    assert Directory(store, clock).seen(KIM) == CHINESE  # a new process: nothing remembered


def test_a_choice_is_what_admins_are_told_in(team: Services, store: Store) -> None:
    team.languages.choose(ADMIN, "zh")
    with store.transaction() as tx:
        [told] = [r for r in team.access.admins(tx, exclude=0) if r.chat_id == ADMIN.id]
    assert told.language_code == CHINESE


def test_a_new_profile_keeps_the_choice(team: Services) -> None:
    """Telegram's own language changing (a new phone) does not undo /lang."""
    team.languages.choose(KIM, "zh")
    assert team.directory.seen(Person(KIM.id, "Kim", language_code="de")) == CHINESE


@pytest.mark.postgresql_only
def test_a_choice_made_through_another_replica_is_seen(
    team: Services, tmp_path: Path, database_url: str, clock: Clock
) -> None:
    other = open_test_store(tmp_path, database_url)
    try:
        here, there = team.directory, Directory(other, clock)
        assert here.seen(KIM) is None  # remembered here, with no choice
        assert there.choose(KIM, CHINESE)
        assert here.seen(KIM) == CHINESE
    finally:
        other.close()


def test_an_admin_sets_a_groups_language_and_it_is_audited(team: Services) -> None:
    assert team.languages.of_group(SHOP.chat_id) is None
    assert team.languages.choose_for_group(ADMIN, SHOP, "zh").changed
    assert team.languages.of_group(SHOP.chat_id) == CHINESE
    assert not team.languages.choose_for_group(ADMIN, SHOP, "zh").changed
    [event] = [e for e in team.audit.latest(ADMIN, 5) if e.action == "chat.language"]
    assert (event.chat_id, dict(event.params)) == (SHOP.chat_id, {"language": "zh"})
    team.languages.choose_for_group(ADMIN, SHOP, "auto")
    assert team.languages.of_group(SHOP.chat_id) is None


@pytest.mark.parametrize("who", [MEMBER, KIM], ids=["member", "stranger"])
def test_only_an_admin_sets_a_groups_language(team: Services, who: Person) -> None:
    with pytest.raises(NotAllowed) as refused:
        team.languages.choose_for_group(who, SHOP, "zh")
    assert refused.value.key == "lang.group_admins_only"
    assert team.languages.of_group(SHOP.chat_id) is None


def test_a_groups_language_moves_with_it_to_the_supergroup(team: Services) -> None:
    """Also for a group that is not approved: the bot speaks there too."""
    team.languages.choose_for_group(ADMIN, SHOP, "en")
    team.groups.migrated(SHOP.chat_id, -100600)
    assert team.languages.of_group(-100600) == ENGLISH
    assert team.languages.of_group(SHOP.chat_id) is None

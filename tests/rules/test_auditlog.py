"""The audit log holds event codes and their parameters, never English sentences, so
/audit can show each row in its reader's language."""

from __future__ import annotations

import pytest

from bot.rules.clock import utc
from bot.rules.errors import InvalidInput
from bot.rules.model import AuditEntry, Person, Target
from bot.rules.services import Services
from storage.store import Store
from tests.conftest import Clock
from tests.rules.team import ADMIN, MEMBER, OTHER_SECRET, OWNER, STRANGER


def last(services: Services, action: str, reader: Person = OWNER) -> AuditEntry:
    return next(e for e in services.audit.latest(reader) if e.action == action)


def test_adding_a_member_records_the_event_code_with_the_accounts(
    team: Services, clock: Clock
) -> None:
    team.vault.add(ADMIN, "ebay", OTHER_SECRET)
    clock.advance(7)
    team.roster.add(ADMIN, Target(user_id=MEMBER.id), ["amazon-us", "ebay"])
    entry = last(team, "member.add")
    assert entry.params == (("accounts", "amazon-us, ebay"),)
    assert (entry.actor_id, entry.actor_name) == (ADMIN.id, "@adam")
    assert (entry.target_id, entry.target_name) == (MEMBER.id, "@mia")
    assert (entry.outcome, entry.legacy_detail) == ("ok", None)
    assert entry.at == utc(clock.now)


def test_adding_a_member_to_every_account_records_no_account_names(team: Services) -> None:
    team.roster.add(ADMIN, Target(user_id=MEMBER.id), [])
    assert last(team, "member.add").params == ()


def test_taking_some_accounts_from_a_member_records_which(team: Services) -> None:
    team.vault.add(ADMIN, "ebay", OTHER_SECRET)
    team.roster.add(ADMIN, Target(user_id=MEMBER.id), [])
    team.roster.revoke(ADMIN, Target(user_id=MEMBER.id), ["ebay"])
    entry = last(team, "member.revoke")
    assert (entry.target_id, entry.params) == (MEMBER.id, (("accounts", "ebay"),))


def test_a_rename_records_the_name_it_had(team: Services) -> None:
    team.vault.rename(ADMIN, "amazon-us", "amazon-de")
    entry = last(team, "account.rename")
    assert entry.account == "amazon-de"
    assert entry.params == (("from_name", "amazon-us"),)


def test_a_refused_claim_records_who_tried_and_why(unowned: Services) -> None:
    code = unowned.bootstrap.start()
    assert code is not None
    with pytest.raises(InvalidInput, match="claim.wrong_code"):
        unowned.bootstrap.claim(STRANGER, "WRONG-CODE")
    unowned.bootstrap.claim(OWNER, code)
    refused, claimed = [e for e in unowned.audit.latest(OWNER) if e.action == "claim"][::-1]
    assert (refused.actor_id, refused.outcome) == (STRANGER.id, "denied:wrong_code")
    assert (claimed.actor_id, claimed.outcome) == (OWNER.id, "ok")


def test_reading_the_audit_log_is_itself_audited_with_the_count(team: Services) -> None:
    team.audit.latest(ADMIN, 5)
    entry = last(team, "audit.read")
    assert (entry.actor_id, entry.params) == (ADMIN.id, (("count", 5),))


def test_no_new_row_holds_free_text(team: Services, store: Store) -> None:
    team.roster.add(ADMIN, Target(user_id=MEMBER.id), ["amazon-us"])
    team.vault.rename(ADMIN, "amazon-us", "amazon-de")
    team.roster.set_notify(ADMIN, False)
    team.audit.latest(OWNER)
    with store.transaction() as tx:
        rows = tx.audit.latest(100)
        assert {row.action for row in rows} >= {"member.add", "account.rename", "notify.off"}
        assert [row.detail for row in rows] == [None] * len(rows)

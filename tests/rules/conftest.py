"""A small team for the rules tests: an owner, an admin, a known member-to-be and a
stranger, and one account; plus services for a bot that has no owner yet."""

from __future__ import annotations

import pytest

from bot.rules.model import Target
from bot.rules.services import Services, build_services
from storage.store import Store
from tests.conftest import Clock, Notices
from tests.rules.team import ADMIN, MEMBER, OWNER, SECRET, STRANGER


@pytest.fixture
def team(services: Services) -> Services:
    for someone in (OWNER, ADMIN, MEMBER, STRANGER):
        services.directory.seen(someone)
    services.roster.promote(OWNER, Target(user_id=ADMIN.id))
    services.vault.add(ADMIN, "amazon-us", SECRET)
    return services


@pytest.fixture
def unowned(store: Store, notices: Notices, clock: Clock) -> Services:
    """No owner configured: the first to send the start-up claim code becomes one."""
    return build_services(store, notices, owner_ids=frozenset(), audit_chat_id=None, clock=clock)

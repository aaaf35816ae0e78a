"""Which groups may show codes."""

from __future__ import annotations

import pytest

from bot.rules.errors import ChatNotApproved
from bot.rules.model import GrantedCode, Target
from bot.rules.services import Services
from tests.rules.team import ADMIN, GROUP, MEMBER


def test_unapproved_group_is_refused_until_approved(team: Services) -> None:
    team.roster.add(ADMIN, Target(user_id=MEMBER.id), [])
    with pytest.raises(ChatNotApproved):
        team.codes.request(MEMBER, GROUP, None)
    assert team.groups.approve(ADMIN, GROUP)
    assert isinstance(team.codes.request(MEMBER, GROUP, None), GrantedCode)


def test_migrated_group_keeps_its_approval(team: Services) -> None:
    team.groups.approve(ADMIN, GROUP)
    team.groups.migrated(GROUP.chat_id, -1001234)
    assert team.groups.is_approved(-1001234)
    assert not team.groups.is_approved(GROUP.chat_id)

"""The first owner: with none configured, whoever sends the start-up claim code."""

from __future__ import annotations

import pytest

from bot.rules.errors import InvalidInput
from bot.rules.model import Role
from bot.rules.services import Services
from tests.rules.team import MEMBER, STRANGER


def test_claim_makes_the_first_claimant_owner_once(unowned: Services) -> None:
    code = unowned.bootstrap.start()
    assert code is not None
    with pytest.raises(InvalidInput, match="claim.wrong_code"):
        unowned.bootstrap.claim(STRANGER, "WRONG")
    unowned.bootstrap.claim(STRANGER, code.lower())
    assert unowned.access.role_of(STRANGER.id) is Role.OWNER
    with pytest.raises(InvalidInput, match="claim.not_open"):
        unowned.bootstrap.claim(MEMBER, code)
    assert unowned.bootstrap.start() is None

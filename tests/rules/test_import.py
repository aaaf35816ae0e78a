"""Importing accounts from QR contents and pasted links: what is added, under which name,
and what is reported instead of added."""

from __future__ import annotations

import base64

import pyotp
import pytest

from bot.rules import vault as vault_module
from bot.rules.codes import issue as real_issue
from bot.rules.errors import InvalidInput, NotAllowed
from bot.rules.model import GrantedCode, IssuedCode, Place, Skipped, Target
from bot.rules.services import Services
from storage.models import Account
from storage.repositories import Repositories
from tests.conftest import Clock
from tests.migration_payloads import TYPE_HOTP, Entry, encode_migration
from tests.rules.team import ADMIN, MEMBER, OTHER_SECRET, OWNER, SECRET

RFC_KEY = b"12345678901234567890"
SHOP_SECRET = base64.b32encode(b"ABCDEFGHIJKLMNOPQRST").decode()
SHOP_LINK = f"otpauth://totp/Shop:me@example.com?secret={SHOP_SECRET}&issuer=Shop"


def b32(raw: bytes) -> str:
    return base64.b32encode(raw).decode("ascii")


def link(secret: str, issuer: str = "Amazon") -> str:
    return f"otpauth://totp/{issuer}:me@example.com?secret={secret}&issuer={issuer}"


def stored(team: Services) -> dict[str, str | None]:
    """Account name → issuer, as an admin's /secret list shows them."""
    return {account.name: account.issuer for account in team.vault.list(ADMIN)}


def imports_audited(team: Services) -> list[str | None]:
    return [e.account for e in team.audit.latest(OWNER) if e.action == "account.import"]


def test_links_and_a_google_authenticator_export_are_added_together(
    team: Services, clock: Clock
) -> None:
    export = encode_migration(
        Entry(secret=RFC_KEY, name="ops@example.com", issuer="GitHub"),
        Entry(secret=b"abcdefghijabcdefghij", name="me", issuer="Backup"),
    )
    report = team.vault.import_texts(ADMIN, [SHOP_LINK, export])
    assert [a.issued.account.name for a in report.added] == ["shop", "github", "backup"]
    assert report.skipped == ()
    assert report.batch is None
    assert not report.renamable
    assert stored(team) == {
        "amazon-us": None,
        "shop": "Shop",
        "github": "GitHub",
        "backup": "Backup",
    }
    granted = team.codes.request(ADMIN, Place(ADMIN.id, private=True), "github")
    assert isinstance(granted, GrantedCode)
    issued = granted.issued
    assert issued.code.value == pyotp.TOTP(b32(RFC_KEY)).at(clock.now)
    assert imports_audited(team) == ["backup", "github", "shop"]


def test_each_added_account_comes_with_its_current_code(team: Services, clock: Clock) -> None:
    (added,) = team.vault.import_texts(ADMIN, [SHOP_LINK]).added
    assert added.issued.code.value == pyotp.TOTP(SHOP_SECRET).at(clock.now)
    assert (added.secret_bits, added.short_secret) == (160, False)


def test_hotp_entries_are_skipped_with_their_reason_and_the_rest_added(team: Services) -> None:
    export = encode_migration(
        Entry(secret=b"counter-based-secret", name="me", issuer="Bank", type=TYPE_HOTP, counter=7),
        Entry(secret=RFC_KEY, name="me", issuer="GitHub"),
    )
    hotp_link = f"otpauth://hotp/Bank:me?secret={OTHER_SECRET}&issuer=Bank&counter=1"
    report = team.vault.import_texts(ADMIN, [export, hotp_link])
    assert [a.issued.account.name for a in report.added] == ["github"]
    assert report.skipped == (
        Skipped("Bank", "import.skip_hotp"),
        Skipped("#2", "secret.hotp"),
    )
    assert set(stored(team)) == {"amazon-us", "github"}


def test_duplicate_secret_in_an_import_is_reported_not_added_twice(team: Services) -> None:
    report = team.vault.import_texts(ADMIN, [link(SECRET.lower()), SHOP_LINK])
    assert [a.issued.account.name for a in report.added] == ["shop"]
    assert report.skipped == (Skipped("Amazon", "import.duplicate", (("name", "amazon-us"),)),)
    assert set(stored(team)) == {"amazon-us", "shop"}


def test_the_same_secret_twice_in_one_import_is_added_once(team: Services) -> None:
    export = encode_migration(Entry(secret=b"ABCDEFGHIJKLMNOPQRST", name="me", issuer="Shop"))
    report = team.vault.import_texts(ADMIN, [SHOP_LINK, export])
    assert [a.issued.account.name for a in report.added] == ["shop"]
    assert report.skipped == (Skipped("Shop", "import.duplicate", (("name", "shop"),)),)
    assert set(stored(team)) == {"amazon-us", "shop"}


def test_a_caption_names_the_single_account_found(team: Services) -> None:
    report = team.vault.import_texts(ADMIN, [SHOP_LINK], name="shop-eu")
    assert [a.issued.account.name for a in report.added] == ["shop-eu"]
    assert not report.renamable
    assert stored(team)["shop-eu"] == "Shop"


def test_a_single_account_named_from_its_issuer_may_be_renamed(team: Services) -> None:
    report = team.vault.import_texts(ADMIN, [SHOP_LINK])
    assert [a.issued.account.name for a in report.added] == ["shop"]
    assert report.renamable


def test_a_caption_does_not_name_several_accounts(team: Services) -> None:
    report = team.vault.import_texts(ADMIN, [SHOP_LINK, link(OTHER_SECRET)], name="mine")
    assert [a.issued.account.name for a in report.added] == ["shop", "amazon"]
    assert "mine" not in stored(team)


def test_a_caption_naming_a_stored_account_is_refused_and_nothing_is_added(
    team: Services,
) -> None:
    with pytest.raises(InvalidInput, match="account.exists") as refused:
        team.vault.import_texts(ADMIN, [SHOP_LINK], name="Amazon-US")
    assert refused.value.params == {"name": "Amazon-US"}
    assert set(stored(team)) == {"amazon-us"}
    assert imports_audited(team) == []


def test_names_from_the_issuer_are_made_unique(team: Services) -> None:
    export = encode_migration(
        Entry(secret=RFC_KEY, name="us@example.com", issuer="Amazon"),
        Entry(secret=b"abcdefghijabcdefghij", name="de@example.com", issuer="Amazon"),
    )
    report = team.vault.import_texts(ADMIN, [export])
    assert [a.issued.account.name for a in report.added] == ["amazon", "amazon-2"]
    later = team.vault.import_texts(ADMIN, [link(OTHER_SECRET, issuer="AMAZON")])
    assert [a.issued.account.name for a in later.added] == ["amazon-3"]
    assert set(stored(team)) == {"amazon-us", "amazon", "amazon-2", "amazon-3"}


@pytest.mark.parametrize(
    ("texts", "key", "params"),
    [
        pytest.param([link(SECRET)], "import.duplicate", {"name": "amazon-us"}, id="duplicate"),
        pytest.param(["https://example.com/"], "import.not_otp", {}, id="not-otp"),
        pytest.param(
            [encode_migration(Entry(secret=RFC_KEY, issuer="Bank", type=TYPE_HOTP))],
            "import.skip_hotp",
            {},
            id="hotp-export",
        ),
        pytest.param(
            ["otpauth://totp/Shop:me?secret=AB"],
            "secret.too_short",
            {"bits": "8", "min_bits": "80"},
            id="short-secret",
        ),
        pytest.param([], "import.nothing", {}, id="no-text"),
    ],
)
def test_an_import_with_nothing_addable_raises_the_one_clear_reason(
    team: Services, texts: list[str], key: str, params: dict[str, str]
) -> None:
    with pytest.raises(InvalidInput) as refused:
        team.vault.import_texts(ADMIN, texts)
    assert (refused.value.key, refused.value.params) == (key, params)
    assert set(stored(team)) == {"amazon-us"}


def test_several_things_not_addable_are_each_reported(team: Services) -> None:
    report = team.vault.import_texts(ADMIN, [link(SECRET), "hello"])
    assert report.added == ()
    assert set(report.skipped) == {
        Skipped("Amazon", "import.duplicate", (("name", "amazon-us"),)),
        Skipped("#2", "import.not_otp"),
    }


def test_part_of_a_split_export_with_nothing_addable_is_reported_with_its_place(
    team: Services,
) -> None:
    export = encode_migration(
        Entry(secret=RFC_KEY, issuer="Bank", type=TYPE_HOTP), batch_index=1, batch_size=3
    )
    report = team.vault.import_texts(ADMIN, [export])
    assert report.added == ()
    assert report.skipped == (Skipped("Bank", "import.skip_hotp"),)
    assert report.batch == (2, 3)


def test_only_admins_import_and_a_refused_import_stores_nothing(team: Services) -> None:
    team.roster.add(ADMIN, Target(user_id=MEMBER.id), [])
    with pytest.raises(NotAllowed, match="access.admin_only"):
        team.vault.import_texts(MEMBER, [SHOP_LINK])
    assert set(stored(team)) == {"amazon-us"}


def test_an_import_that_fails_part_way_stores_none_of_its_accounts(
    team: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []

    def issue_failing_the_second(tx: Repositories, account: Account, at: float) -> IssuedCode:
        calls.append("issue")
        if len(calls) == 2:
            raise RuntimeError("the database went away")
        return real_issue(tx, account, at)

    monkeypatch.setattr(vault_module, "issue", issue_failing_the_second)
    with pytest.raises(RuntimeError):
        team.vault.import_texts(ADMIN, [SHOP_LINK, link(OTHER_SECRET)])
    assert len(calls) == 2  # the first account had been written in the transaction
    assert set(stored(team)) == {"amazon-us"}
    assert imports_audited(team) == []

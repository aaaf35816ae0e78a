"""Account names: what is allowed, and when two names are the same."""

from __future__ import annotations

import re
import unicodedata

from teamotp.domain.errors import InvalidInput

MAX_NAME_LENGTH = 32
# \w is Unicode-aware: letters of any script (so 美国站 works), digits, underscore.
_NAME = re.compile(r"[\w-]{1,32}")


def check_name(raw: str) -> str:
    """Return the name as it will be shown, or refuse it."""
    name = unicodedata.normalize("NFC", raw.strip())
    if not _NAME.fullmatch(name):
        raise InvalidInput("account.bad_name", name=name[:40], max=MAX_NAME_LENGTH)
    return name


def name_key(name: str) -> str:
    """Names are unique without regard to case: `Amazon-US` and `amazon-us` are one account."""
    return unicodedata.normalize("NFC", name.strip()).casefold()

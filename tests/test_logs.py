"""The one log filter: no record of any logger carries the token, a seed or an
authenticator link, in its message or its traceback."""

from __future__ import annotations

import logging

import pytest

from teamotp.logs import REDACTED, install, redact, scrub

SEED = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
TOKEN = "555:AAsecret-part-of-the-test-token"


def _typed(seed: str) -> list[str]:
    lower = seed.lower()
    groups = [lower[i : i + 4] for i in range(0, len(lower), 4)]
    return [seed, lower, " ".join(groups), " ".join(groups).upper(), "-".join(groups)]


@pytest.mark.parametrize("typed", _typed(SEED))
def test_a_third_party_record_never_shows_a_seed_in_any_typed_form(
    typed: str, caplog: pytest.LogCaptureFixture
) -> None:
    install()
    caplog.set_level(logging.DEBUG)
    logging.getLogger("some.library").debug("got %r from the user", f"add x {typed}!")
    assert caplog.records[-1].getMessage() == f"got 'add x {REDACTED}!' from the user"


def test_links_and_seeds_in_exception_text_and_traceback_are_scrubbed(
    caplog: pytest.LogCaptureFixture,
) -> None:
    install()
    caplog.set_level(logging.DEBUG)
    link = f"otpauth://totp/Shop:me?secret={SEED}&issuer=Shop"
    try:
        raise ValueError(f"bad link {link} and otpauth-migration://offline?data=CjEKCkhlbGxv")
    except ValueError:
        logging.getLogger("sqlalchemy.engine").exception("failed on %s", SEED.lower())
    record = caplog.records[-1]
    shown = caplog.text + record.getMessage() + (record.exc_text or "")
    assert "ValueError: bad link <redacted> and <redacted>" in shown
    assert "otpauth" not in shown
    assert SEED not in shown.upper()


def test_token_is_scrubbed_even_percent_encoded_in_a_url(
    caplog: pytest.LogCaptureFixture,
) -> None:
    redact([TOKEN])
    caplog.set_level(logging.DEBUG)
    log = logging.getLogger("httpx")
    log.info("HTTP Request: GET http://h/file/bot555%3AAAsecret-part-of-the-test-token/x.jpg")
    log.info("HTTP Request: POST http://h/bot%s/getMe", TOKEN)
    assert "secret-part" not in caplog.text
    assert caplog.text.count(REDACTED) == 2


@pytest.mark.parametrize(
    ("line", "shown"),
    [
        ("/secret rename JBSWY3DPEHPK3PXP amazon-eu", "/secret rename <redacted> amazon-eu"),
        ("key is jbsw y3dp ehpk 3pxp, ok", "key is <redacted>, ok"),
        ("x JBSW-Y3DP-EHPK-3PXP y", "x <redacted> y"),
        ("{'text': 'JBSWY3DP EHPK3PXP'}", "{'text': '<redacted>'}"),
    ],
)
def test_a_seed_among_words_is_scrubbed_and_the_words_kept(line: str, shown: str) -> None:
    assert scrub(line) == shown


@pytest.mark.parametrize(
    "harmless",
    [
        "update 12 failed: OperationalError at storage.repositories:33 in get",
        "Send /claim 23456789ABCD to @teamotp_bot",
        "ApplicationHandlerStop internationalization characteristically",
        "Network Retry Loop (Polling Updates): Timed out",
        "this text has many small words in a long sentence",
    ],
)
def test_ordinary_lines_are_left_alone(harmless: str) -> None:
    assert scrub(harmless) == harmless

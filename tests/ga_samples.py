"""Google Authenticator exports of every kind people send the bot, made by the tests.

Each sample stands for one kind of real-world input: an export as the app writes it
(a screenshot of its QR code, and the links behind it), the link a QR scanner shows
with its label still in front, an export whose base64 was left unescaped (`+` and `/`
in the link), a link with broken data, a QR code that holds some other text, and a
text file with an image's name. The accounts, secrets and pictures are our own; the
byte layout follows the app's (see `google_link`), so the parser meets what it would
meet in the field.

The payloads are written with tests/migration_payloads.py, independently of teamotp's
reader, so the two check each other.

The real-world samples these stand for (collected by the public project
scito/extract_otp_secrets) are not part of the repository; when a checkout has them
beside it, in `../shared/fixtures/google-authenticator`, tests marked
`needs_real_samples` cross-check against them, and show that `google_link` lays out
what they hold byte for byte as they are. Without them those tests are left out of the
run (tests/conftest.py says so in the run's header), not skipped: the suite a fresh clone
runs is whole without them.
"""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass
from pathlib import Path

import pytest
import segno
from PIL import Image, ImageDraw, ImageFilter

from tests.migration_payloads import (
    ALGO_SHA1,
    DIGITS_SIX,
    TYPE_HOTP,
    TYPE_TOTP,
    Entry,
    int_field,
    length_field,
)

#: The real-world samples, when they are beside the checkout (cross-checks only).
REAL_SAMPLES = Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "google-authenticator"
needs_real_samples = pytest.mark.real_samples


@dataclass(frozen=True)
class Account:
    """One account in an export, and what importing it must give."""

    secret: str  # base32, unpadded
    name: str  # the app's "name" field: "Issuer:label" or just the label
    issuer: str = ""
    hotp_counter: int | None = None  # an HOTP account (the bot skips those)

    @property
    def label(self) -> str:
        """The name without the issuer in front, as an import shows it."""
        prefix = f"{self.issuer}:"
        return self.name.removeprefix(prefix) if self.issuer else self.name

    def entry(self) -> Entry:
        raw = base64.b32decode(self.secret + "=" * (-len(self.secret) % 8))
        hotp = self.hotp_counter is not None
        return Entry(
            raw,
            self.name,
            self.issuer,
            algorithm=ALGO_SHA1,
            digits=DIGITS_SIX,
            type=TYPE_HOTP if hotp else TYPE_TOTP,
            counter=self.hotp_counter or 0,
        )


def google_link(*accounts: Account, batch_id: int, quoted: bool = True) -> str:
    """An export link laid out as the app writes it.

    Unlike a minimal protobuf writer the app writes `batch_index` even when it is 0, and
    its `batch_id` is a negative int32 more often than not, which protobuf sends as a
    ten-byte varint. `quoted=False` leaves `+`, `/` and `=` unescaped, as some scanners
    and copy-paste paths do.
    """
    payload = b"".join(length_field(1, account.entry().encode()) for account in accounts)
    payload += int_field(2, 1) + int_field(3, 1) + int_field(4, 0) + int_field(5, batch_id)
    data = base64.b64encode(payload).decode("ascii")
    if quoted:
        data = data.replace("+", "%2B").replace("/", "%2F").replace("=", "%3D")
    return f"otpauth-migration://offline?data={data}"


# --- an export as the app shows it: three accounts in one QR code ------------------------

# 80-bit secrets, the shortest the app exports.
SCREENSHOT_ACCOUNTS = tuple(
    Account(
        base64.b32encode(f"ga-sample{n}".encode()).decode(),
        f"Shop{n}:seller{n}@example.com",
        f"Shop{n}",
    )
    for n in (1, 2, 3)
)
SCREENSHOT_LINK = google_link(*SCREENSHOT_ACCOUNTS, batch_id=-2093591539)


def qr_png(content: str, *, scale: int = 6) -> bytes:
    """A clean QR code holding `content`, as a PNG."""
    out = io.BytesIO()
    segno.make_qr(content, error="m", encoding="utf-8").save(out, kind="png", scale=scale, border=4)
    return out.getvalue()


def export_screenshot() -> bytes:
    """A phone screenshot of the app's "Scan this QR code" screen holding SCREENSHOT_LINK.

    Like a real one it is larger than the code, has a tinted background, a title, a
    button and a frame, and the code is neither axis-aligned nor sharp: scaled by a
    factor that is not a whole number, turned a little, and softened.
    """
    screen = Image.new("RGB", (540, 960), (232, 232, 246))
    draw = ImageDraw.Draw(screen)
    draw.text((40, 30), "<", fill=(60, 60, 60))
    draw.rectangle((255, 80, 285, 115), outline=(26, 90, 210), width=3)
    draw.text((210, 160), "Move accounts", fill=(20, 20, 20))
    draw.text((80, 230), "On your new phone, open the authenticator app", fill=(50, 50, 50))
    draw.text((110, 255), "and scan this code to take the accounts.", fill=(50, 50, 50))
    draw.ellipse((20, 320, 520, 810), outline=(150, 150, 150), width=2)
    code = Image.open(io.BytesIO(qr_png(SCREENSHOT_LINK, scale=1))).convert("RGB")
    side = 380
    code = code.resize((side, side), Image.Resampling.BILINEAR)
    code = code.rotate(2.5, resample=Image.Resampling.BICUBIC, expand=True, fillcolor="white")
    screen.paste(code, ((540 - code.width) // 2, 355))
    draw.rectangle((370, 870, 500, 925), fill=(20, 70, 200))
    draw.text((420, 890), "Done", fill="white")
    screen = screen.filter(ImageFilter.GaussianBlur(0.7))
    out = io.BytesIO()
    screen.save(out, format="PNG")
    return out.getvalue()


# --- links as the app writes them, one kind of account each -------------------------------

# One 128-bit secret throughout, as when the same account was added several ways.
LINKS_SECRET = base64.b32encode(b"teamotp-sample!!").decode().rstrip("=")
_WITH_ISSUER = Account(LINKS_SECRET, "ops@buildbox", "buildbox")
_WITHOUT_ISSUER = Account(LINKS_SECRET, "ops@buildbox")
_HOTP = Account(LINKS_SECRET, "hotp demo", hotp_counter=4)
_NON_ASCII = Account(LINKS_SECRET, "编码: ¿äÄéÉ? (演示)")

#: Export links, each with the accounts it holds, in file order (like a saved export).
EXPORT_LINKS: tuple[tuple[str, tuple[Account, ...]], ...] = tuple(
    (google_link(*accounts, batch_id=batch_id), accounts)
    for accounts, batch_id in [
        ((_WITH_ISSUER,), -1354600213),
        ((_WITHOUT_ISSUER,), -1825441348),
        ((_WITHOUT_ISSUER, _WITH_ISSUER), -1698286064),
        ((_HOTP,), -1522321957),
        ((_NON_ASCII,), -340953235),
    ]
)

#: The first link as a QR scanner shows it: its label in front.
PREFIXED_LINK = "QR-Code:" + EXPORT_LINKS[0][0]

# --- an export whose base64 was not escaped ------------------------------------------------

# 160-bit secrets, as most sites issue; 0xfb 0xff repeated puts "+" and "/" into the
# base64 at any offset in the payload.
PLUS_SLASH_ACCOUNTS = tuple(
    Account(
        base64.b32encode(b"\xfb\xff" * 8 + bytes([n]) * 4).decode(),
        f"NorthwindLabs:test{n}@northwind.example",
        "NorthwindLabs",
    )
    for n in (1, 2, 3, 4)
)
PLUS_SLASH_LINK = google_link(*PLUS_SLASH_ACCOUNTS, batch_id=-1717794238, quoted=False)

# --- things that are not an export, or not a readable one -----------------------------------

#: A migration link whose data is base64 but no export.
WRONG_DATA_LINK = "otpauth-migration://offline?data=XXXX"

#: Text a QR code may hold that is no OTP link, though it names one.
NOT_OTP_TEXT = "NOT an otpauth-migration:// link, nor an otpauth:// one"


def qr_without_otp_png() -> bytes:
    """A valid QR code holding NOT_OTP_TEXT, as a small palette PNG (how tools save one)."""
    image = Image.open(io.BytesIO(qr_png(NOT_OTP_TEXT, scale=6)))
    out = io.BytesIO()
    image.convert("P").save(out, format="PNG")
    return out.getvalue()


#: A text file named like a photo.
TEXT_AS_IMAGE = b"This is only text, saved under the name of a JPEG image.\n"
TEXT_AS_IMAGE_NAME = "export.jpeg"

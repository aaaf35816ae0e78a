"""QR codes in images: the texts of every QR code in a picture an admin sends, and a QR
image of an account for an owner's export.

Images come from chat users, so they are handled as hostile input: the byte size and the
declared pixel count are checked before a single pixel is decoded (a 50 KB PNG can declare
100 000 × 100 000 pixels), and only the formats phones and screenshot tools produce are
parsed at all (Pillow has plugins for dozens of formats; fewer parsers, fewer bugs to reach).
Every failure becomes an `InvalidImage` whose key says what to send instead.

A decoded text may be a secret (an `otpauth://` URI holds one), so no text ever appears in
an exception, log line or repr; deciding what a text means is the caller's job.

Pillow, zxing-cpp and segno are imported by the first image read or made, not with the
module: most bots never see one, and they would add a few MiB to every idle process.
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

from bot.rules.errors import TeamOtpError
from bot.rules.otp import UNSHOWN

if TYPE_CHECKING:
    import zxingcpp
    from PIL import Image

MAX_IMAGE_BYTES = 10 * 1024 * 1024  # what the bot downloads and parses; bigger files are refused
MAX_IMAGE_PIXELS = 40_000_000  # a 40 MP phone photo is fine; a decompression bomb is not

# Photos Telegram sends are JPEG; screenshots are PNG; WEBP is what browsers save. GIF, BMP,
# TIFF, HEIC and the rest are refused: nobody's QR arrives that way, and each format Pillow
# opens is one more parser a stranger's file can reach.
IMAGE_FORMATS = ("PNG", "JPEG", "WEBP")
# Pillow names a JPEG with a multi-picture extension (some cameras write one) "MPO".
_OPENED_FORMATS = frozenset({*IMAGE_FORMATS, "MPO"})

# The owner's export: error correction M (or higher where it fits the same size), the
# standard 4-module quiet zone, and modules big enough to scan off another screen. Text is
# UTF-8 without an ECI marker, which is what phone scanners guess first; the standard's
# ISO-8859-1 default reads back wrong for some non-ASCII text (e.g. "¥").
EXPORT_ERROR = "m"
EXPORT_QUIET_ZONE = 4
EXPORT_TARGET_PX = 1000  # about this wide, whatever the QR version
EXPORT_MIN_MODULE_PX = 4

# Fallback passes work on a copy at most this wide (and enlarge only images up to it): it
# bounds the time a photo without any QR code costs to well under a second.
_FALLBACK_MAX_SIDE = 2000

# Pillow's own bomb guard names the pixel count only in its message.
_PILLOW_PIXELS = re.compile(r"\((\d{1,20}) pixels\)")

# EXIF orientation → the turn that makes the picture upright (Image.Transpose's names).
_EXIF_TRANSPOSE = {
    2: "FLIP_LEFT_RIGHT",
    3: "ROTATE_180",
    4: "FLIP_TOP_BOTTOM",
    5: "TRANSPOSE",
    6: "ROTATE_270",
    7: "TRANSVERSE",
    8: "ROTATE_90",
}


class InvalidImage(TeamOtpError):
    """The bytes sent as a picture of a QR code give no QR text; the key says why."""


def read_qr_codes(data: bytes) -> list[str]:
    """The texts of every QR code in the image, in reading order (top to bottom, then left
    to right), each text once.

    Raises `InvalidImage`: "image.too_big", "image.too_many_pixels", "image.unreadable"
    (not a PNG/JPEG/WEBP, or corrupt) or "image.no_qr". Nothing else escapes: a crafted
    file must not be able to turn into an internal error.
    """
    if len(data) > MAX_IMAGE_BYTES:
        raise InvalidImage("image.too_big", max_mb=MAX_IMAGE_BYTES // (1024 * 1024))
    try:
        gray = _upright_grayscale(_open(data))
        barcodes = _decode(gray)
    except InvalidImage:
        raise
    except Exception:
        # Pillow and zxing raise a zoo of types (OSError, SyntaxError, ValueError,
        # struct.error, EOFError, MemoryError...) for a broken file; all mean the same here.
        # `from None`: nothing of the file rides along in a chained traceback.
        raise InvalidImage("image.unreadable") from None
    texts = list(dict.fromkeys(barcode.text for barcode in _in_reading_order(barcodes)))
    if not texts:
        raise InvalidImage("image.no_qr")
    return texts


def make_qr_png(text: str) -> bytes:
    """A PNG of `text` as a QR code, sized for a phone to scan it off a screen.

    Raises `ValueError` (without the text, which may be a secret) if it does not fit in a
    QR code; an `otpauth://` URI always fits.
    """
    import segno

    try:
        # Byte mode always: segno would pick Kanji mode for UTF-8 bytes that happen to
        # form Shift JIS pairs ("ু聀"), and scanners would read those back as other text.
        qr = segno.make_qr(
            text, error=EXPORT_ERROR, boost_error=True, encoding="utf-8", mode="byte"
        )
    except segno.DataOverflowError:
        raise ValueError("the text is too long for a QR code") from None
    side = qr.symbol_size(scale=1, border=EXPORT_QUIET_ZONE)[0]
    scale = max(EXPORT_MIN_MODULE_PX, EXPORT_TARGET_PX // side)
    out = io.BytesIO()
    qr.save(out, kind="png", scale=scale, border=EXPORT_QUIET_ZONE)
    return out.getvalue()


def _open(data: bytes) -> Image.Image:
    """The image with only its header parsed, refused if it is too large to decode."""
    from PIL import Image

    try:
        image = Image.open(io.BytesIO(data), formats=IMAGE_FORMATS)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as bomb:
        # Pillow's guard (Image.MAX_IMAGE_PIXELS, a process-wide setting) fired first;
        # the warning arrives as an exception only when warnings are turned into errors.
        found = _PILLOW_PIXELS.search(str(bomb))
        raise _too_many_pixels(int(found.group(1)) if found else None) from None
    if image.format not in _OPENED_FORMATS:
        raise InvalidImage("image.unreadable")
    width, height = image.size
    if width * height > MAX_IMAGE_PIXELS:
        raise _too_many_pixels(width * height)
    return image


def _too_many_pixels(pixels: int | None) -> InvalidImage:
    # Rounded up, so an image just over the limit never reads as exactly at it.
    shown = f"{math.ceil(pixels / 100_000) / 10:g}" if pixels is not None else UNSHOWN
    return InvalidImage(
        "image.too_many_pixels",
        megapixels=shown,
        max_megapixels=f"{MAX_IMAGE_PIXELS / 1_000_000:g}",
    )


def _upright_grayscale(image: Image.Image) -> Image.Image:
    """One 8-bit gray frame, the way the camera held it, transparency shown as white.

    Transparent pixels usually hold black, so flattening without a background would turn
    a QR drawn on a transparent canvas into one black square.
    """
    from PIL import ExifTags, Image

    orientation = image.getexif().get(ExifTags.Base.Orientation)
    if image.format in ("JPEG", "MPO"):
        # libjpeg then decodes straight to gray: a third of the memory of RGB, and faster.
        image.draft("L", image.size)
    if image.has_transparency_data:
        rgba = image.convert("RGBA")
        image = Image.alpha_composite(Image.new("RGBA", rgba.size, "white"), rgba)
    gray = image.convert("L")
    turn = _EXIF_TRANSPOSE.get(orientation) if isinstance(orientation, int) else None
    return gray.transpose(Image.Transpose[turn]) if turn is not None else gray


def _decode(gray: Image.Image) -> list[zxingcpp.Barcode]:
    """zxing's own search first; then, only when it finds nothing, a few cheap variants
    that rescue typical phone pictures (see `_fallbacks`)."""
    found = _read(gray)
    if found:
        return found
    for variant in _fallbacks(gray):
        found = _read(variant)
        if found:
            return found
    return []


def _fallbacks(gray: Image.Image) -> Iterator[Image.Image]:
    """Variants for pictures zxing alone gives up on, cheapest first, made only as needed.

    Found by degrading generated QR codes: smoothing then stretching contrast rescues
    sensor noise and the moiré of a photographed screen; doubling the size rescues blur
    and modules only 1–2 pixels wide. Sharpening, median filters, equalizing and other
    binarizers rescued nothing these two did not.
    """
    from PIL import Image, ImageFilter, ImageOps

    width, height = gray.size
    longest = max(width, height)
    if longest > _FALLBACK_MAX_SIDE:
        factor = _FALLBACK_MAX_SIDE / longest
        size = (max(1, round(width * factor)), max(1, round(height * factor)))
        base = gray.resize(size, Image.Resampling.LANCZOS)
    else:
        base = gray
    yield ImageOps.autocontrast(base.filter(ImageFilter.GaussianBlur(1)), cutoff=1)
    if longest <= _FALLBACK_MAX_SIDE:
        yield gray.resize((width * 2, height * 2), Image.Resampling.BICUBIC)


def _read(gray: Image.Image) -> list[zxingcpp.Barcode]:
    import zxingcpp

    return zxingcpp.read_barcodes(
        gray,
        formats=zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode),
        text_mode=zxingcpp.TextMode.Plain,
    )


def _in_reading_order(barcodes: list[zxingcpp.Barcode]) -> list[zxingcpp.Barcode]:
    """Top to bottom, then left to right. A code joins the current row when its centre is
    above the row's lowest edge, so codes side by side in a slightly tilted photo still read
    left to right instead of by which one happens to sit a pixel higher."""
    rows: list[tuple[float, list[tuple[float, zxingcpp.Barcode]]]] = []
    for top, bottom, centre_x, barcode in sorted(_boxes(barcodes), key=lambda box: box[0]):
        if rows and (top + bottom) / 2 < rows[-1][0]:
            row_bottom, row = rows[-1]
            rows[-1] = (max(row_bottom, bottom), [*row, (centre_x, barcode)])
        else:
            rows.append((bottom, [(centre_x, barcode)]))
    return [barcode for _, row in rows for _, barcode in sorted(row, key=lambda item: item[0])]


def _boxes(
    barcodes: list[zxingcpp.Barcode],
) -> Iterator[tuple[float, float, float, zxingcpp.Barcode]]:
    """(top, bottom, centre x, barcode) of each code."""
    for barcode in barcodes:
        corners = barcode.position
        points = (corners.top_left, corners.top_right, corners.bottom_left, corners.bottom_right)
        ys = [point.y for point in points]
        centre_x = sum(point.x for point in points) / len(points)
        yield min(ys), max(ys), centre_x, barcode

"""Reading QR codes out of images and drawing one for an export.

Every image here is made by the test (segno draws the codes, Pillow degrades and packs
them), so each case says exactly what it exercises; tests/ga_samples.py makes the Google
Authenticator ones. The real-world samples in `../shared/fixtures` are checked too when
that folder is beside the checkout.
"""

from __future__ import annotations

import base64
import io
import logging
import random
import struct
import time
import traceback
import zlib
from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

import pytest
import segno
import zxingcpp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import ExifTags, Image, ImageDraw, ImageFile, ImageFilter, ImageOps

from bot.messages import CATALOG, CHINESE, ENGLISH, text
from bot.rules import qrcodes
from bot.rules.errors import TeamOtpError
from bot.rules.qrcodes import (
    MAX_IMAGE_BYTES,
    MAX_IMAGE_PIXELS,
    InvalidImage,
    make_qr_png,
    read_qr_codes,
)
from tests import ga_samples
from tests.ga_samples import REAL_SAMPLES, needs_real_samples

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
URI = f"otpauth://totp/Acme:alice%40example.com?secret={SECRET}&issuer=Acme"
# As long as a Google Authenticator export of about ten accounts.
MIGRATION = "otpauth-migration://offline?data=" + "".join(
    random.Random(7).choice("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789%")
    for _ in range(900)
)
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


# ------------------------------------------------------------------ image makers


def qr(content: str, module: int = 6, border: int = 4) -> Image.Image:
    """A clean black-on-white QR code, `module` pixels per module, as an L image."""
    out = io.BytesIO()
    segno.make_qr(content, error="m", encoding="utf-8").save(
        out, kind="png", scale=module, border=border
    )
    return Image.open(io.BytesIO(out.getvalue())).convert("L")


def pack(image: Image.Image, fmt: str = "PNG", **options: object) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


def jpeg(image: Image.Image, quality: int = 75, **options: object) -> bytes:
    return pack(image.convert("RGB"), "JPEG", quality=quality, **options)


def busy_background(size: tuple[int, int], seed: int = 1) -> Image.Image:
    """Colourful shapes and sensor-like noise: what surrounds a QR code in a photo."""
    rng = random.Random(seed)
    canvas = Image.new("RGB", size, (rng.randrange(256), rng.randrange(256), rng.randrange(256)))
    draw = ImageDraw.Draw(canvas)
    width, height = size
    for _ in range(150):
        x, y = rng.randrange(width), rng.randrange(height)
        box = (x, y, x + rng.randrange(10, 200), y + rng.randrange(10, 200))
        colour = (rng.randrange(256), rng.randrange(256), rng.randrange(256))
        (draw.ellipse if rng.random() < 0.5 else draw.rectangle)(box, fill=colour)
    noise = Image.effect_noise(size, 60).convert("RGB")
    return Image.blend(canvas, noise, 0.25)


def screenshot(code: Image.Image, size: tuple[int, int] = (1280, 800)) -> Image.Image:
    """A settings page: title bar, sidebar, lines of text, and the QR code among them."""
    page = Image.new("RGB", size, (245, 246, 248))
    draw = ImageDraw.Draw(page)
    draw.rectangle((0, 0, size[0], 48), fill=(32, 33, 36))
    draw.text((16, 16), "Account security — Two-step verification", fill="white")
    draw.rectangle((0, 48, 220, size[1]), fill=(230, 232, 236))
    for row in range(12):
        draw.text((20, 70 + row * 30), f"Menu item {row}", fill=(60, 60, 60))
    for row in range(8):
        draw.text((260, 80 + row * 22), "Scan this code with your authenticator app. " * 2, fill=0)
    page.paste(code.convert("RGB"), (300, 280))
    draw.text((300, 290 + code.height), f"Can't scan it? Enter {SECRET}", fill=0)
    return page


def side_by_side(*codes: Image.Image, gap: int = 40) -> Image.Image:
    width = sum(code.width for code in codes) + gap * (len(codes) + 1)
    height = max(code.height for code in codes) + 2 * gap
    canvas = Image.new("L", (width, height), 255)
    x = gap
    for code in codes:
        canvas.paste(code, (x, gap))
        x += code.width + gap
    return canvas


def png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def declared_png(width: int, height: int, *, pixels: bool = False) -> bytes:
    """A 1-bit grayscale PNG header declaring `width` × `height`; with `pixels`, all of them
    (white rows, deflated to almost nothing: a real decompression bomb)."""
    ihdr = png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0))
    if pixels:
        deflate = zlib.compressobj(9)
        row = b"\x00" + b"\xff" * ((width + 7) // 8)
        data = b"".join(deflate.compress(row) for _ in range(height)) + deflate.flush()
    else:
        data = zlib.compress(b"\x00\xff")
    return PNG_SIGNATURE + ihdr + png_chunk(b"IDAT", data) + png_chunk(b"IEND", b"")


def declared_jpeg(width: int, height: int) -> bytes:
    """A small real JPEG whose frame header claims `width` × `height`."""
    data = bytearray(jpeg(Image.new("L", (16, 16), 255)))
    frame = data.index(b"\xff\xc0")
    data[frame + 5 : frame + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def declared_webp(width: int, height: int) -> bytes:
    """A small lossless WEBP whose VP8L header claims `width` × `height` (each at most 16384)."""
    data = bytearray(pack(Image.new("L", (16, 16), 255), "WEBP", lossless=True))
    assert data[12:16] == b"VP8L"
    assert data[20] == 0x2F  # the lossless signature; the dimensions follow
    (bits,) = struct.unpack("<I", data[21:25])
    bits = (bits & ~((1 << 28) - 1)) | (width - 1) | (height - 1) << 14
    data[21:25] = struct.pack("<I", bits)
    return bytes(data)


def refusal(data: bytes) -> InvalidImage:
    with pytest.raises(InvalidImage) as caught:
        read_qr_codes(data)
    return caught.value


# ------------------------------------------------------------------ export → read back


@pytest.mark.parametrize(
    "content",
    [
        URI,
        "otpauth://totp/GitHub:octocat?secret=JBSWY3DPEHPK3PXP&issuer=GitHub&algorithm=SHA256"
        "&digits=8&period=60",
        "otpauth://totp/%E7%BE%8E%E5%9B%BD%E7%AB%99:%C3%BCber?secret=JBSWY3DPEHPK3PXP",
        "otpauth://totp/美国站:über?secret=JBSWY3DPEHPK3PXP&issuer=Ünïcødé ¥",
        MIGRATION,
        "otpauth-migration://offline?data=" + "A" * 2000,
        "ু聀",  # UTF-8 bytes that also read as Shift JIS pairs
    ],
    ids=[
        "plain",
        "parameters",
        "percent-encoded",
        "raw non-ASCII",
        "migration",
        "very long",
        "kanji-shaped bytes",
    ],
)
def test_an_exported_qr_reads_back_as_the_same_text(content: str) -> None:
    assert read_qr_codes(make_qr_png(content)) == [content]


@settings(max_examples=40, deadline=None)
@given(st.text(st.characters(codec="utf-8"), min_size=1, max_size=300))
def test_any_text_survives_the_round_trip(content: str) -> None:
    assert read_qr_codes(make_qr_png(content)) == [content]


def test_the_export_is_a_phone_friendly_png() -> None:
    data = make_qr_png(URI)
    image = Image.open(io.BytesIO(data))
    assert image.format == "PNG"
    assert image.width == image.height >= 500  # big enough to scan off a screen
    symbol = segno.make_qr(URI, error="m", boost_error=True, encoding="utf-8")
    modules = symbol.symbol_size(scale=1, border=4)[0]
    scale = image.width // modules
    assert image.width == modules * scale
    assert scale >= qrcodes.EXPORT_MIN_MODULE_PX
    gray = image.convert("L")
    quiet = 4 * scale
    for box in ((0, 0, image.width, quiet), (0, 0, quiet, image.height)):
        assert gray.crop(box).getextrema() == (255, 255), "a four-module quiet zone"
    (barcode,) = zxingcpp.read_barcodes(gray)
    assert barcode.format == zxingcpp.BarcodeFormat.QRCode
    assert barcode.ec_level in {"M", "Q", "H"}  # M, raised by segno when it costs no size


def test_even_the_longest_migration_export_stays_scannable() -> None:
    image = Image.open(io.BytesIO(make_qr_png("otpauth-migration://offline?data=" + "A" * 2000)))
    assert image.width <= 2 * qrcodes.EXPORT_TARGET_PX
    assert read_qr_codes(make_qr_png("x" * 2000)) == ["x" * 2000]


def test_a_text_too_long_for_any_qr_is_a_value_error_that_does_not_repeat_it() -> None:
    secret_text = SECRET * 200
    with pytest.raises(ValueError, match="too long") as caught:
        make_qr_png(secret_text)
    assert SECRET not in "".join(traceback.format_exception(caught.value))


# ------------------------------------------------------------------ formats and modes


MODES: dict[str, Callable[[Image.Image], Image.Image]] = {
    "L": lambda image: image,
    "RGB": lambda image: image.convert("RGB"),
    "1": lambda image: image.convert("1"),
    "P": lambda image: image.convert("RGB").convert("P"),
    "I;16": lambda image: image.convert("I").point(lambda value: value * 257).convert("I;16"),
    # Black modules on a transparent canvas whose hidden colour is black too: only
    # compositing onto white keeps the light modules light.
    "RGBA transparent": lambda image: Image.merge(
        "RGBA", (*[Image.new("L", image.size, 0)] * 3, ImageOps.invert(image))
    ),
    "LA": lambda image: Image.merge("LA", (image, Image.new("L", image.size, 255))),
}


@pytest.mark.parametrize("mode", MODES)
def test_png_in_any_pixel_mode(mode: str) -> None:
    assert read_qr_codes(pack(MODES[mode](qr(URI)))) == [URI]


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(lambda: jpeg(qr(URI), quality=30), id="JPEG lossy"),
        pytest.param(lambda: jpeg(qr(URI, module=3), quality=10), id="JPEG very lossy"),
        pytest.param(lambda: pack(qr(URI).convert("CMYK"), "JPEG"), id="JPEG CMYK"),
        pytest.param(lambda: pack(qr(URI).convert("RGB"), "WEBP", quality=50), id="WEBP lossy"),
        pytest.param(lambda: pack(qr(URI), "WEBP", lossless=True), id="WEBP lossless"),
        pytest.param(
            lambda: pack(
                qr(URI).convert("RGB"), "MPO", save_all=True, append_images=[qr("x").convert("RGB")]
            ),
            id="MPO (a camera's multi-picture JPEG)",
        ),
        pytest.param(
            lambda: pack(
                qr(URI).convert("RGBA"),
                "PNG",
                save_all=True,
                append_images=[qr("second frame").convert("RGBA")],
            ),
            id="animated PNG (first frame)",
        ),
    ],
)
def test_every_accepted_format(data: Callable[[], bytes]) -> None:
    assert read_qr_codes(data()) == [URI]


@pytest.mark.parametrize("fmt", ["GIF", "BMP", "TIFF", "ICO", "PPM", "TGA"])
def test_other_formats_are_refused_even_with_a_clear_qr_code(fmt: str) -> None:
    """Only PNG, JPEG and WEBP reach a parser: fewer formats, less attack surface."""
    assert refusal(pack(qr(URI), fmt)).key == "image.unreadable"


# ------------------------------------------------------------------ geometry and quality


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(
            lambda im: im.resize((im.width * 2 // 5,) * 2, Image.Resampling.LANCZOS),
            id="down to 2.4 px/module",
        ),
        pytest.param(
            lambda im: im.resize((im.width // 4,) * 2, Image.Resampling.BILINEAR),
            id="down to 1.5 px/module",
        ),
        pytest.param(
            lambda im: im.resize((im.width * 10 // 3,) * 2, Image.Resampling.BICUBIC),
            id="up, blurred",
        ),
        pytest.param(lambda im: im.transpose(Image.Transpose.ROTATE_90), id="90°"),
        pytest.param(lambda im: im.transpose(Image.Transpose.ROTATE_180), id="180°"),
        pytest.param(lambda im: im.transpose(Image.Transpose.ROTATE_270), id="270°"),
        pytest.param(lambda im: im.transpose(Image.Transpose.FLIP_LEFT_RIGHT), id="mirrored"),
        pytest.param(
            lambda im: im.rotate(7, Image.Resampling.BICUBIC, expand=True, fillcolor=255), id="7°"
        ),
        pytest.param(
            lambda im: im.rotate(-33, Image.Resampling.BICUBIC, expand=True, fillcolor=255),
            id="-33°",
        ),
        pytest.param(lambda im: im.filter(ImageFilter.GaussianBlur(2)), id="blurred"),
        pytest.param(lambda im: im.point(lambda v: 100 + v * 60 // 255), id="low contrast"),
        pytest.param(ImageOps.invert, id="light on dark"),
    ],
)
def test_transformed_codes_are_read(change: Callable[[Image.Image], Image.Image]) -> None:
    assert read_qr_codes(jpeg(change(qr(URI)), quality=85)) == [URI]


def test_the_fallback_passes_rescue_a_noisy_photo_and_a_blurry_one() -> None:
    """zxing alone gives up on both; smoothing, then enlarging (see `_fallbacks`), recover
    them. Blur wider than about half a module stays unreadable."""
    rng = random.Random(3)
    clean = qr(MIGRATION, module=4)
    noisy = Image.frombytes(
        "L", clean.size, bytes(max(0, min(255, v + int(rng.gauss(0, 90)))) for v in clean.tobytes())
    )
    blurry = qr(URI, module=6).filter(ImageFilter.GaussianBlur(3))
    for photo, content in ((noisy, MIGRATION), (blurry, URI)):
        data = jpeg(photo)
        assert qrcodes._read(qrcodes._upright_grayscale(qrcodes._open(data))) == []
        assert read_qr_codes(data) == [content]
    too_blurry = jpeg(qr(URI, module=6).filter(ImageFilter.GaussianBlur(4)))
    assert refusal(too_blurry).key == "image.no_qr"


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
@pytest.mark.parametrize("orientation", range(1, 9))
def test_exif_orientation_is_applied_before_reading(fmt: str, orientation: int) -> None:
    """Stored sideways with a tag saying how to turn it upright, two codes still read in
    the order a person sees them (left, then right)."""
    upright = side_by_side(qr("left"), qr("right"))
    undo = {1: None, 2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180,
            4: Image.Transpose.FLIP_TOP_BOTTOM, 5: Image.Transpose.TRANSPOSE,
            6: Image.Transpose.ROTATE_90, 7: Image.Transpose.TRANSVERSE,
            8: Image.Transpose.ROTATE_270}[orientation]  # fmt: skip
    stored = upright.transpose(undo) if undo is not None else upright
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = orientation
    rgb = stored.convert("RGB")
    data = jpeg(rgb, exif=exif) if fmt == "JPEG" else pack(rgb, fmt, exif=exif.tobytes())
    assert read_qr_codes(data) == ["left", "right"]


def test_a_code_on_a_busy_noisy_background() -> None:
    photo = busy_background((900, 700))
    photo.paste(qr(URI, module=5).convert("RGB"), (380, 150))
    assert read_qr_codes(jpeg(photo, quality=70)) == [URI]


@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
def test_a_code_inside_a_screenshot(fmt: str) -> None:
    page = screenshot(qr(URI, module=3))
    data = pack(page, fmt) if fmt == "PNG" else jpeg(page, quality=80)
    assert read_qr_codes(data) == [URI]


def test_a_small_code_in_a_large_photo() -> None:
    photo = busy_background((4000, 3000), seed=2)
    photo.paste(qr(URI, module=4).convert("RGB"), (2600, 1900))
    assert read_qr_codes(jpeg(photo, quality=85)) == [URI]


def test_two_codes_are_both_found_in_reading_order() -> None:
    left, right = (qr(f"otpauth://totp/{name}?secret={SECRET}") for name in ("first", "second"))
    texts = [f"otpauth://totp/{name}?secret={SECRET}" for name in ("first", "second")]
    assert read_qr_codes(jpeg(side_by_side(left, right))) == texts
    # Tilted a little, the right-hand code sits higher: still read left to right.
    tilted = side_by_side(left, right).rotate(4, Image.Resampling.BICUBIC, fillcolor=255)
    assert read_qr_codes(jpeg(tilted)) == texts
    # One above the other: top first.
    stacked = side_by_side(right, left).transpose(Image.Transpose.ROTATE_270)
    assert sorted(read_qr_codes(pack(stacked))) == sorted(texts)
    grid = Image.new("L", (1000, 1000), 255)
    for index, (x, y) in enumerate([(40, 40), (540, 60), (60, 540), (520, 520)]):
        grid.paste(qr(f"code {index}", module=8), (x, y))
    assert read_qr_codes(pack(grid)) == ["code 0", "code 1", "code 2", "code 3"]


def test_the_same_code_twice_is_returned_once() -> None:
    assert read_qr_codes(pack(side_by_side(qr(URI), qr(URI, module=4)))) == [URI]


def test_any_qr_text_is_returned_classifying_it_is_the_callers_job() -> None:
    for content in ("https://example.com", "hello, world", "otpauth://hotp/x?secret=AAAA", " "):
        assert read_qr_codes(pack(qr(content))) == [content]


# ------------------------------------------------------------------ refusals


@pytest.mark.parametrize(
    "data",
    [
        b"",
        bytes(random.Random(1).randrange(256) for _ in range(5000)),
        b"This is just a text file masquerading as an image file.\n",
        b"<svg xmlns='http://www.w3.org/2000/svg'/>",
        PNG_SIGNATURE,
        b"\xff\xd8\xff",
    ],
    ids=["empty", "random", "text", "svg", "PNG signature only", "JPEG marker only"],
)
def test_non_images_are_unreadable(data: bytes) -> None:
    assert refusal(data).key == "image.unreadable"


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "WEBP"])
def test_truncated_images_are_unreadable(fmt: str) -> None:
    whole = pack(qr(URI).convert("RGB"), fmt)
    for cut in (40, len(whole) // 2, len(whole) * 9 // 10):
        assert refusal(whole[:cut]).key == "image.unreadable"


def test_an_image_without_a_code() -> None:
    for picture in (Image.new("L", (300, 200), 255), busy_background((640, 480))):
        assert refusal(jpeg(picture)).key == "image.no_qr"


def test_a_file_over_10_mb_is_refused_before_it_is_parsed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    image = pack(qr(URI))
    padded = image + b"\0" * (MAX_IMAGE_BYTES - len(image))  # PNG readers ignore what follows
    assert len(padded) == MAX_IMAGE_BYTES
    assert read_qr_codes(padded) == [URI]
    opened: list[object] = []
    monkeypatch.setattr(Image, "open", lambda *args, **kwargs: opened.append(args))
    error = refusal(padded + b"\0")
    assert (error.key, error.params) == ("image.too_big", {"max_mb": 10})
    assert opened == []


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
def test_pixels_are_counted_before_any_is_decoded(monkeypatch: pytest.MonkeyPatch) -> None:
    decoded: list[object] = []
    original = ImageFile.ImageFile.load

    def spy(image: ImageFile.ImageFile) -> object:
        decoded.append(image.size)
        return original(image)

    monkeypatch.setattr(ImageFile.ImageFile, "load", spy)
    bomb = declared_png(10_000, 10_000, pixels=True)  # 100 MP of white in a few kB
    assert len(bomb) < 50_000
    started = time.perf_counter()
    error = refusal(bomb)
    assert time.perf_counter() - started < 1
    assert (error.key, error.params) == (
        "image.too_many_pixels",
        {"megapixels": "100", "max_megapixels": "40"},
    )
    assert decoded == []
    read_qr_codes(pack(qr(URI)))
    assert qr(URI).size in decoded, "the spy does see a real decode"


@pytest.mark.parametrize(
    "pillow_warning",
    [
        pytest.param(
            "ignored",
            marks=pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning"),
        ),
        pytest.param(
            "an error",
            marks=pytest.mark.filterwarnings("error::PIL.Image.DecompressionBombWarning"),
        ),
    ],
)
@pytest.mark.parametrize(
    ("data", "megapixels"),
    [
        (lambda: declared_png(8001, 5000), "40.1"),  # ours: below Pillow's own limit
        (lambda: declared_png(10_000, 10_000), "100"),  # Pillow warns first
        (lambda: declared_png(30_000, 30_000), "900"),  # Pillow refuses first
        (lambda: declared_jpeg(7000, 7000), "49"),
        (lambda: declared_jpeg(65_000, 65_000), "4225"),
        (lambda: declared_webp(6400, 6400), "41"),
        (lambda: declared_webp(16_384, 16_384), "268.5"),  # the largest WEBP there is
    ],
    ids=[
        "PNG 40.005 MP",
        "PNG 100 MP",
        "PNG 900 MP",
        "JPEG 49 MP",
        "JPEG 4225 MP",
        "WEBP 41 MP",
        "WEBP 268 MP",
    ],
)
def test_too_many_pixels_whoever_notices_first(
    data: Callable[[], bytes], megapixels: str, pillow_warning: str
) -> None:
    """Pillow's own guard (a process-wide limit: a warning, then an error) and ours give
    the same answer, whether the process ignores warnings or turns them into errors."""
    error = refusal(data())
    assert error.key == "image.too_many_pixels"
    assert error.params == {"megapixels": megapixels, "max_megapixels": "40"}


def test_a_bomb_pillow_describes_differently_still_gets_a_clear_answer(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def refuse(*args: object, **kwargs: object) -> Image.Image:
        raise Image.DecompressionBombError("some future wording")

    data = pack(qr(URI))
    monkeypatch.setattr(Image, "open", refuse)
    error = refusal(data)
    assert error.params == {"megapixels": "?", "max_megapixels": "40"}


def test_exactly_at_the_pixel_limit_is_accepted() -> None:
    # 8000 × 5000 is exactly the limit: the header passes and only the missing pixel
    # data stops it.
    assert MAX_IMAGE_PIXELS == 8000 * 5000
    assert refusal(declared_png(8000, 5000)).key == "image.unreadable"
    assert refusal(declared_png(8000, 5001)).key == "image.too_many_pixels"


def test_a_real_image_at_and_over_the_pixel_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    image = qr(URI)
    monkeypatch.setattr(qrcodes, "MAX_IMAGE_PIXELS", image.width * image.height)
    assert read_qr_codes(pack(image)) == [URI]
    monkeypatch.setattr(qrcodes, "MAX_IMAGE_PIXELS", image.width * image.height - 1)
    assert refusal(pack(image)).key == "image.too_many_pixels"


# ------------------------------------------------------------------ nothing secret leaks


def test_no_refusal_carries_the_text_of_the_code(monkeypatch: pytest.MonkeyPatch) -> None:
    image = qr(URI)
    whole = pack(image)
    errors = [
        refusal(whole[: len(whole) // 2]),
        refusal(whole + b"\0" * MAX_IMAGE_BYTES),
        refusal(pack(image, "GIF")),
    ]
    monkeypatch.setattr(qrcodes, "MAX_IMAGE_PIXELS", 100)
    errors.append(refusal(whole))
    for error in errors:
        shown = "".join(traceback.format_exception(error)) + repr(error) + repr(error.params)
        assert SECRET not in shown
        assert "Acme" not in shown
        assert error.__cause__ is None
        assert error.__context__ is None or error.__suppress_context__


def test_reading_logs_nothing_of_what_it_read(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG):
        read_qr_codes(pack(qr(URI)))
        refusal(pack(qr(URI))[:300])
    assert SECRET not in caplog.text


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
@pytest.mark.parametrize("lang", [ENGLISH, CHINESE])
def test_every_refusal_renders_in_both_languages(
    lang: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    errors = [
        refusal(b"\0" * (MAX_IMAGE_BYTES + 1)),
        refusal(declared_png(10_000, 10_000)),
        refusal(b"not an image"),
        refusal(pack(Image.new("L", (50, 50), 255))),
    ]
    assert {error.key for error in errors} == {key for key in CATALOG if key.startswith("image.")}
    for error in errors:
        assert isinstance(error, TeamOtpError)
        assert text(lang, error.key, **error.params)
    assert "10" in text(lang, "image.too_big", **errors[0].params)
    assert "100" in text(lang, "image.too_many_pixels", **errors[1].params)


# ------------------------------------------------------------------ never anything else


def never_anything_but_invalid_image(data: bytes) -> None:
    outcome: list[str] | InvalidImage
    try:
        outcome = read_qr_codes(data)
    except InvalidImage as error:
        outcome = error
    if isinstance(outcome, InvalidImage):
        assert outcome.key in CATALOG
    else:
        assert isinstance(outcome, list)
        assert all(isinstance(content, str) for content in outcome)


FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
HEADERS = [
    PNG_SIGNATURE,
    PNG_SIGNATURE + png_chunk(b"IHDR", struct.pack(">IIBBBBB", 40, 40, 8, 0, 0, 0, 0)),
    b"\xff\xd8\xff\xe0",
    b"\xff\xd8\xff\xdb",
    b"RIFF\x00\x10\x00\x00WEBPVP8 ",
    b"RIFF\x00\x10\x00\x00WEBPVP8L",
    b"GIF89a",
]


@FUZZ
@given(st.binary(max_size=2048))
def test_arbitrary_bytes(data: bytes) -> None:
    never_anything_but_invalid_image(data)


@FUZZ
@given(st.sampled_from(HEADERS), st.binary(max_size=2048))
def test_arbitrary_bytes_behind_an_image_header(header: bytes, tail: bytes) -> None:
    never_anything_but_invalid_image(header + tail)


SMALL_IMAGES = [
    pack(qr("fuzz", module=2)),
    jpeg(qr("fuzz", module=2), quality=60),
    pack(qr("fuzz", module=2), "WEBP", lossless=True),
]


@FUZZ
@given(
    st.sampled_from(SMALL_IMAGES),
    st.lists(st.tuples(st.floats(0, 1, exclude_max=True), st.integers(0, 255)), max_size=8),
    st.floats(0.05, 1),
)
def test_damaged_real_images(image: bytes, changes: list[tuple[float, int]], keep: float) -> None:
    data = bytearray(image)
    for where, value in changes:
        data[int(where * len(data))] = value
    never_anything_but_invalid_image(bytes(data[: max(1, int(len(data) * keep))]))


# ------------------------------------------------------------------ Google Authenticator samples


def test_screenshot_of_a_google_authenticator_export_gives_its_link() -> None:
    assert read_qr_codes(ga_samples.export_screenshot()) == [ga_samples.SCREENSHOT_LINK]


def test_qr_code_that_names_an_otp_link_but_is_none_gives_its_text() -> None:
    (content,) = read_qr_codes(ga_samples.qr_without_otp_png())
    assert content == ga_samples.NOT_OTP_TEXT
    assert not content.startswith(("otpauth://", "otpauth-migration://offline?"))


def test_text_file_with_an_image_name_is_unreadable() -> None:
    assert refusal(ga_samples.TEXT_AS_IMAGE).key == "image.unreadable"



@needs_real_samples
def test_real_google_authenticator_export_screenshot() -> None:
    (uri,) = read_qr_codes((REAL_SAMPLES / "example_export.png").read_bytes())
    parts = urlsplit(uri)
    assert (parts.scheme, parts.netloc) == ("otpauth-migration", "offline")
    payload = base64.b64decode(parse_qs(parts.query)["data"][0])
    for n, secret in enumerate(("JBSWY3DPEHPK3PXP", "JBSWY3DPEHPK3PXQ", "JBSWY3DPEHPK3PXR"), 1):
        assert base64.b32decode(secret) in payload
        assert f"Test{n}:test{n}@example{n}.com".encode() in payload


@needs_real_samples
def test_real_google_authenticator_qr_without_otp() -> None:
    (content,) = read_qr_codes((REAL_SAMPLES / "qr_but_without_otp.png").read_bytes())
    assert not content.startswith(("otpauth://", "otpauth-migration://offline?"))


@needs_real_samples
def test_real_google_authenticator_text_masquerading_as_image() -> None:
    data = (REAL_SAMPLES / "text_masquerading_as_image.jpeg").read_bytes()
    assert refusal(data).key == "image.unreadable"

"""The hostile-image corpus: every format, huge pixel counts in small files, many frames,
colour profiles. Each maker runs in well under two seconds and writes at most ~8 MB; huge pixel
counts come from hand-written bitstreams (testkit/hostile_images.py), not from encoding huge images.
"""

from __future__ import annotations

import io
import struct
from collections.abc import Callable

from PIL import Image, ImageCms

from testkit.hostile_images import (
    big_gif,
    flat_webp,
    gif_header_only,
    many_frame_apng,
    many_frame_gif,
    many_frame_tiff,
    many_frame_webp,
    rle_bmp,
    single_strip_tiff,
    tiff16,
    tiff_header_only,
    tiff_strip_table_bomb,
    wide_gamut_profile,
    with_icc,
    zero_jpeg,
    zero_png,
)
from testkit.images import bomb_png


# --- HEIF / AVIF ---------------------------------------------------------------------------
def flat_heif(width: int, height: int, fmt: str = "AVIF") -> bytes:
    """Flat colour through pillow-heif (HEIF, x265) or Pillow (AVIF, aom at its fastest)."""
    if fmt == "HEIF":
        from pillow_heif import register_heif_opener

        register_heif_opener()
    buffer = io.BytesIO()
    options = {"speed": 10} if fmt == "AVIF" else {}
    Image.new("RGB", (width, height), (120, 30, 200)).save(buffer, fmt, quality=30, **options)
    return buffer.getvalue()


# --- a CMYK colour profile -----------------------------------------------------------------
def _s15(value: float) -> bytes:
    return struct.pack(">i", round(value * 65536))


def cmyk_profile() -> bytes:
    """A small ICC v2 printer profile (CMYK -> Lab through a 2-point lut8 grid), built here
    because littlecms can only create RGB, Lab and XYZ profiles and none ships offline.

    Each grid corner holds the Lab colour of naive ink mixing (1 - ink) x (1 - black), which is
    enough for a converter that applies the profile to come out the right way round.
    """
    corners = []
    for index in range(16):
        c, m, y, k = ((index >> shift) & 1 for shift in (3, 2, 1, 0))
        corners.append(tuple(round(255 * (1 - ink) * (1 - k)) for ink in (c, m, y)))
    rgb = Image.new("RGB", (16, 1))
    rgb.putdata(corners)
    lab = ImageCms.applyTransform(
        rgb, ImageCms.buildTransform(ImageCms.createProfile("sRGB"), ImageCms.createProfile("LAB"), "RGB", "LAB")
    )
    identity = bytes(range(256))
    lut = b"mft1" + bytes(4) + bytes([4, 3, 2, 0])
    lut += b"".join(_s15(v) for v in (1, 0, 0, 0, 1, 0, 0, 0, 1))
    lut += identity * 4 + lab.tobytes() + identity * 3
    text = b"CMYK test\x00"
    desc = b"desc" + bytes(4) + struct.pack(">I", len(text)) + text + bytes(4 + 4 + 2 + 1 + 67)
    white = b"XYZ " + bytes(4) + _s15(0.9642) + _s15(1.0) + _s15(0.8249)
    tags = [(b"desc", desc), (b"wtpt", white), (b"A2B0", lut)]
    offset = 128 + 4 + 12 * len(tags)
    table, body = struct.pack(">I", len(tags)), b""
    for signature, data in tags:
        table += signature + struct.pack(">II", offset + len(body), len(data))
        body += data + bytes(-len(data) % 4)
    header = struct.pack(">I", 128 + len(table) + len(body)) + b"lcms" + bytes([2, 0x10, 0, 0]) + b"prtrCMYKLab "
    header += bytes(12) + b"acsp" + bytes(24) + struct.pack(">I", 0) + _s15(0.9642) + _s15(1.0) + _s15(0.8249)
    header += bytes(128 - len(header) - 4 - 44) + bytes(4) + bytes(44)
    return header + table + body


# --- the corpus: name -> (maker, MIME type) ------------------------------------------------
HOSTILE: dict[str, tuple[Callable[[], bytes], str]] = {
    "progressive-jpeg-260mp": (lambda: zero_jpeg(16000, 16250), "image/jpeg"),
    "progressive-jpeg-64mp": (lambda: zero_jpeg(8000, 8000), "image/jpeg"),
    "multiscan-baseline-jpeg-64mp": (lambda: zero_jpeg(8000, 8000, progressive=False, interleaved=False), "image/jpeg"),
    "baseline-jpeg-260mp": (lambda: zero_jpeg(16000, 16250, progressive=False), "image/jpeg"),
    "cmyk-jpeg-with-profile-64mp": (
        lambda: with_icc(zero_jpeg(8000, 8000, components=4), cmyk_profile()),
        "image/jpeg",
    ),
    "cmyk-baseline-jpeg-with-profile-64mp": (
        lambda: with_icc(zero_jpeg(8000, 8000, components=4, progressive=False), cmyk_profile()),
        "image/jpeg",
    ),
    "jpeg-header-4gp": (lambda: zero_jpeg(65500, 65500, progressive=False)[:2000], "image/jpeg"),
    "webp-lossy-64mp": (lambda: flat_webp(8000, 8000), "image/webp"),
    "webp-lossless-64mp": (lambda: flat_webp(8000, 8000, lossless=True), "image/webp"),
    "webp-lossy-20mp": (lambda: flat_webp(5000, 4000), "image/webp"),
    "png-rgba-icc-64mp": (lambda: zero_png(8000, 8000, icc=wide_gamut_profile()), "image/png"),
    "png-rgb-icc-64mp": (lambda: zero_png(8000, 8000, colour_type=2, icc=wide_gamut_profile()), "image/png"),
    "png-palette-64mp": (lambda: zero_png(8000, 8000, colour_type=3), "image/png"),
    "png-grey16-64mp": (lambda: zero_png(8000, 8000, colour_type=0, bit_depth=16), "image/png"),
    "png-header-900mp": (lambda: bomb_png(30000, 30000), "image/png"),
    "gif-64mp": (lambda: big_gif(8000, 8000), "image/gif"),
    "gif-header-4gp": (lambda: gif_header_only(65535, 65535), "image/gif"),
    "gif-100k-frames": (lambda: many_frame_gif(100_000), "image/gif"),
    "apng-5k-frames": (lambda: many_frame_apng(5_000), "image/png"),
    "webp-300-frames": (lambda: many_frame_webp(300), "image/webp"),
    "tiff-50k-pages": (lambda: many_frame_tiff(50_000), "image/tiff"),
    "tiff-grey16-64mp": (lambda: tiff16(8000, 8000), "image/tiff"),
    "tiff-single-strip-64mp": (lambda: single_strip_tiff(8000, 8000), "image/tiff"),
    "tiff-header-10gp": (lambda: tiff_header_only(100_000, 100_000), "image/tiff"),
    "tiff-strip-table-bomb": (lambda: tiff_strip_table_bomb(1_000_000), "image/tiff"),
    "bmp-rle-64mp": (lambda: rle_bmp(8000, 8000), "image/bmp"),
    "avif-16mp": (lambda: flat_heif(4000, 4000), "image/avif"),
    "heic-3mp": (lambda: flat_heif(2000, 1500, "HEIF"), "image/heic"),
}

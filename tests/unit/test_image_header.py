"""header.py on hand-built bytes: the JPEG marker walk, libjpeg's coefficient buffers, the TIFF
directory guard in all four byte orders and sizes, the openers allowed, and every refusal's text.

Byte layouts follow ITU T.81 (JPEG: B.1.1.3 fill bytes, markers without a length, B.2.2 frame
header, B.2.3 scan header), TIFF 6.0 section 2 and the BigTIFF format (IFD entries of 12 and 20
bytes; field types 1-12, 13 IFD, 16-18 the 8-byte BigTIFF types).
"""

from __future__ import annotations

import base64
import io
import struct
from types import SimpleNamespace

import pytest
from PIL import Image, TiffImagePlugin

from models.vision_utils.image import header
from models.vision_utils.image.header import (
    MAX_INPUT_BYTES,
    MAX_TIFF_TAG_BYTES,
    JpegLayout,
    check_dimensions,
    check_tiff_directory,
    header_from_base64,
    jpeg_layout,
    open_header,
)
from provider.errors.tree import ImageError
from testkit.images import encode, photo

SOI = b"\xff\xd8"
YCC_420 = ((1, 0x22), (2, 0x11), (3, 0x11))  # component id, sampling byte (h << 4 | v)


def segment(marker: int, payload: bytes) -> bytes:
    return bytes([0xFF, marker]) + struct.pack(">H", len(payload) + 2) + payload


def frame(marker: int = 0xC0, components=YCC_420, width: int = 640, height: int = 480, padding: bytes = b"") -> bytes:
    body = struct.pack(">BHHB", 8, height, width, len(components))
    body += b"".join(bytes([cid, sampling, 0]) for cid, sampling in components)
    return segment(marker, body + padding)


def scan(component_ids=(1, 2, 3)) -> bytes:
    body = bytes([len(component_ids)]) + b"".join(bytes([cid, 0]) for cid in component_ids) + b"\x00\x3f\x00"
    return segment(0xDA, body)


SAMPLING_420 = ((2, 2), (1, 1), (1, 1))


@pytest.mark.parametrize(
    ("marker", "scalable", "progressive"),
    [
        (0xC0, True, False),  # baseline
        (0xC1, True, False),  # extended sequential
        (0xC2, True, True),  # progressive
        (0xC3, False, False),  # lossless
        (0xC5, False, False),  # differential sequential (hierarchical)
        (0xC6, False, True),  # differential progressive
        (0xC9, True, False),  # arithmetic sequential
        (0xCA, True, True),  # arithmetic progressive
        (0xCE, False, True),  # differential arithmetic progressive
    ],
)
def test_each_frame_type_decides_scaling_and_buffering(marker, scalable, progressive):
    layout = jpeg_layout(SOI + frame(marker) + scan())
    assert layout == JpegLayout(scalable=scalable, buffered=progressive, sampling=SAMPLING_420)


def test_a_first_scan_with_fewer_components_than_the_frame_buffers_the_image():
    assert jpeg_layout(SOI + frame() + scan((1,))).buffered
    assert not jpeg_layout(SOI + frame() + scan((1, 2, 3))).buffered


def test_fill_bytes_and_markers_without_a_length_are_stepped_over():
    standalone = b"\xff\x01\xff\xd0\xff\xd7\xff\xd8"  # TEM, RST0, RST7, a stray SOI
    raw = SOI + b"\xff\xff\xff" + standalone + segment(0xE0, b"JFIF\x00" + b"\x00" * 9) + b"\xff\xff" + frame(0xC2)
    assert jpeg_layout(raw + scan()) == JpegLayout(scalable=True, buffered=True, sampling=SAMPLING_420)


def test_segments_longer_than_32_kb_are_skipped_whole():
    exif = segment(0xE1, b"Exif\x00\x00" + b"\x01" * 40_000)  # a phone's EXIF with a large maker note
    assert jpeg_layout(SOI + exif + frame(0xC0) + scan()).scalable


def test_bytes_that_are_not_a_marker_end_the_walk():
    assert jpeg_layout(SOI + b"\x00\x00\x00\x00" + frame() + scan()) == JpegLayout(False, False, ())


def test_a_frame_without_a_scan_is_assumed_costly_and_a_cut_short_frame_is_no_frame():
    assert jpeg_layout(SOI + frame()) == JpegLayout(scalable=False, buffered=True, sampling=SAMPLING_420)
    five_bytes = segment(0xC0, struct.pack(">BHH", 8, 480, 640))
    assert jpeg_layout(SOI + five_bytes + scan()) == JpegLayout(False, False, ())
    no_components = segment(0xC0, struct.pack(">BHHB", 8, 480, 640, 0))  # six bytes: a frame
    assert jpeg_layout(SOI + no_components + scan(())) == JpegLayout(scalable=True, buffered=False, sampling=())


def test_only_the_declared_components_are_read_from_the_frame():
    padded = frame(components=YCC_420, padding=b"\x44\x00\x00\x55\x00\x00")
    assert jpeg_layout(SOI + padded + scan()).sampling == SAMPLING_420


def test_coefficient_buffers_are_padded_to_whole_mcus_per_component():
    layout = JpegLayout(scalable=True, buffered=True, sampling=SAMPLING_420)
    # 17x9 px: luma 3x2 blocks padded to 4x2 (2x2 MCU); each chroma 2x1 blocks: 12 blocks of 128 bytes.
    assert layout.coefficient_bytes(17, 9) == 12 * 128
    assert JpegLayout(True, False, SAMPLING_420).coefficient_bytes(17, 9) == 0, "not buffered: nothing held"


@pytest.mark.parametrize("sampling", [(), ((0, 1), (1, 1)), ((1, 0),)])
def test_nonsense_sampling_assumes_four_full_resolution_components(sampling):
    assert JpegLayout(True, True, sampling).coefficient_bytes(100, 50) == 100 * 50 * 2 * 4


# --- TIFF directory guard ---------------------------------------------------------------------
def tiff(entries: list[tuple[int, int, int]], order: str = "<", big: bool = False, count: int | None = None) -> bytes:
    """A TIFF (or BigTIFF) whose first directory holds (tag, type, value count) entries."""
    mark = b"II" if order == "<" else b"MM"
    count = len(entries) if count is None else count
    if big:
        head = mark + struct.pack(order + "HHHQ", 43, 8, 0, 16)
        directory = struct.pack(order + "Q", count)
        directory += b"".join(struct.pack(order + "HHQQ", tag, kind, values, 0) for tag, kind, values in entries)
    else:
        head = mark + struct.pack(order + "HI", 42, 8)
        directory = struct.pack(order + "H", count)
        directory += b"".join(struct.pack(order + "HHII", tag, kind, values, 0) for tag, kind, values in entries)
    return head + directory + b"\x00" * 8


TYPE_SIZES = {1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8, 13: 4, 16: 8, 17: 8, 18: 8}
LAYOUTS = [("<", False), (">", False), ("<", True), (">", True)]


@pytest.mark.parametrize(("order", "big"), LAYOUTS)
@pytest.mark.parametrize(("kind", "size"), sorted(TYPE_SIZES.items()))
def test_an_entry_over_one_mebibyte_is_refused_in_every_type_and_layout(order, big, kind, size):
    fits = MAX_TIFF_TAG_BYTES // size
    small = (256, 3, 1)  # an ordinary ImageWidth entry first: the big one is the second
    check_tiff_directory(tiff([small, (273, kind, fits)], order, big))
    with pytest.raises(ImageError, match=r"^the TIFF directory has a 1 MB entry \(tag 273\)"):
        check_tiff_directory(tiff([small, (273, kind, fits + 1)], order, big))


def test_an_unknown_type_counts_one_byte_per_value():
    check_tiff_directory(tiff([(273, 99, MAX_TIFF_TAG_BYTES)]))
    with pytest.raises(ImageError):
        check_tiff_directory(tiff([(273, 99, MAX_TIFF_TAG_BYTES + 1)]))


def test_the_refusal_says_how_big_the_entry_is():
    with pytest.raises(ImageError) as refused:
        check_tiff_directory(tiff([(279, 1, 1_500_000)]))
    assert str(refused.value) == (
        "the TIFF directory has a 2 MB entry (tag 279); real images need under 1 MB, so the file is refused"
    )


@pytest.mark.parametrize(("order", "big"), LAYOUTS)
def test_counts_past_the_signed_range_are_still_checked(order, big):
    # A directory claiming 65,535 (or 2^64 - 1) entries is read as far as the file goes; a value
    # count of 2^31 (or 2^63) is a huge entry, never a negative one.
    claimed = 2**64 - 1 if big else 0xFFFF
    with pytest.raises(ImageError):
        check_tiff_directory(tiff([(256, 3, 1), (273, 4, 300_000)], order, big, count=claimed))
    with pytest.raises(ImageError):
        check_tiff_directory(tiff([(273, 1, 2**63 if big else 2**31)], order, big))


def test_a_file_too_short_for_a_directory_is_left_to_pillow():
    check_tiff_directory(b"II*\x00\xff\xff\xff\x00")
    check_tiff_directory(b"II+\x00\x08\x00")


@pytest.mark.parametrize(("order", "big"), LAYOUTS)
def test_opening_runs_the_guard_for_every_tiff_magic(order, big):
    with pytest.raises(ImageError, match=r"^the TIFF directory has"):
        open_header(tiff([(273, 4, 1_000_000)], order, big))


# --- opening ---------------------------------------------------------------------------------
def test_only_the_allowed_pillow_plugins_may_open_an_upload():
    for fmt in ("PPM", "ICO", "TGA", "PCX"):
        with pytest.raises(ImageError) as refused:
            open_header(encode(photo(32, 32), fmt))
        assert str(refused.value) == (
            "the data is not an image in a supported format (JPEG, PNG, WEBP, GIF, BMP, TIFF, HEIC, AVIF)"
        ), fmt


def test_a_corrupt_header_says_so_with_pillows_reason():
    bmp = b"BM" + b"\x00" * 12 + struct.pack("<IiiHH", 40, 10, 10, 1, 99) + b"\x00" * 24  # 99 bits per pixel
    with pytest.raises(ImageError) as refused:
        open_header(bmp)
    assert str(refused.value) == "the image header is corrupt (Unsupported BMP pixel depth (99))"


def test_a_header_just_past_pillows_bomb_limit_is_refused_as_a_bomb():
    jpeg = bytearray(encode(photo(64, 48), "JPEG"))
    sof = jpeg.index(b"\xff\xc0")
    jpeg[sof + 5 : sof + 9] = struct.pack(">HH", 18000, 16000)  # 288 MP: over 260, under 2x 260
    with pytest.raises(ImageError, match=r"^the image has too many pixels to be safe to decode"):
        open_header(bytes(jpeg))


def test_empty_and_oversized_inputs_are_refused_before_opening():
    with pytest.raises(ImageError) as empty:
        open_header(b"")
    assert str(empty.value) == "the image is empty (0 bytes)"
    with pytest.raises(ImageError) as huge:
        open_header(b"\x00" * (MAX_INPUT_BYTES + 1))
    assert str(huge.value) == "the image is 52.4 MB; the limit is 52 MB"
    with pytest.raises(ImageError, match=r"^the data is not an image"):
        open_header(b"\x00" * MAX_INPUT_BYTES)  # at the limit: read, and found not to be an image


@pytest.mark.parametrize(("size", "fmt", "message"), [
    ((0, 5), "PNG", "the image has no pixels"),
    ((5, 0), "PNG", "the image has no pixels"),
    ((8001, 8000), "PNG", "the image is 8001x8000 (64 MP); the limit is 64 MP"),
    ((16125, 16125), "JPEG", "the image is 16125x16125 (260 MP); the limit is 260 MP"),
    ((16125, 16125), "MPO", "the image is 16125x16125 (260 MP); the limit is 260 MP"),
])  # fmt: skip
def test_dimension_refusals(size, fmt, message):
    with pytest.raises(ImageError) as refused:
        check_dimensions(SimpleNamespace(size=size, format=fmt))
    assert str(refused.value) == message


def test_jpeg_coded_images_get_the_jpeg_pixel_cap():
    for fmt in ("JPEG", "MPO"):
        assert check_dimensions(SimpleNamespace(size=(10000, 10000), format=fmt)).size == (10000, 10000)


# --- header from base64 ----------------------------------------------------------------------
def test_bad_base64_is_named():
    with pytest.raises(ImageError) as refused:
        header_from_base64("not base64!")
    assert str(refused.value) == "the image data is not valid base64"


def test_a_jpeg_whose_scan_starts_past_the_first_prefix_is_read_until_the_scan():
    # The frame header is in the first 64 kB, the scan header after a 100 kB comment: Pillow only
    # knows the image once it reaches the scan, so the prefix keeps doubling until then.
    jpeg = encode(photo(64, 48), "JPEG")
    scan_at = jpeg.index(b"\xff\xda")
    comment = segment(0xFE, b"c" * 50_000) + segment(0xFE, b"d" * 50_000)
    raw = jpeg[:scan_at] + comment + jpeg[scan_at:]
    image, prefix = header_from_base64(base64.b64encode(raw).decode())
    assert image.size == (64, 48) and image.tile
    assert len(prefix) > scan_at + len(comment), "read past the scan header"
    assert len(prefix) < len(raw) or len(raw) <= 2 * header.HEADER_PREFIX_BYTES


def test_a_png_header_is_read_from_the_first_prefix_only():
    png = encode(Image.effect_noise((600, 600), 100).convert("RGB"), "PNG")
    assert len(png) > 4 * header.HEADER_PREFIX_BYTES
    image, prefix = header_from_base64(base64.b64encode(png).decode())
    assert image.size == (600, 600) and len(prefix) == header.HEADER_PREFIX_BYTES // 3 * 3  # whole quads


@pytest.mark.parametrize("big", [False, True])
def test_only_the_declared_entries_are_checked_and_never_past_the_end(big):
    # A real file's directory is followed by other data: bytes that would read as a huge entry
    # after the declared ones do not count, and an over-claimed count stops at the file's end.
    huge_after = tiff([(256, 3, 1)], big=big)[:-8] + struct.pack("<HHQQ" if big else "<HHII", 273, 4, 10**9, 0)
    check_tiff_directory(huge_after + b"\x00" * 8)
    check_tiff_directory(tiff([(256, 3, 1), (257, 3, 1)], big=big, count=2**64 - 1 if big else 0xFFFF))


def test_warnings_other_than_the_bomb_warning_do_not_refuse_an_image():
    # Pillow only warns ("Truncated File Read") about a text tag pointing past the end of a TIFF.
    buffer = io.BytesIO()
    directory = TiffImagePlugin.ImageFileDirectory_v2()
    directory[305] = "a software name long enough to be stored apart"
    photo(16, 16).save(buffer, "TIFF", tiffinfo=directory)
    raw = bytearray(buffer.getvalue())
    (offset,) = struct.unpack_from("<I", raw, 4)
    (count,) = struct.unpack_from("<H", raw, offset)
    for index in range(count):
        tag, kind, values, _ = struct.unpack_from("<HHII", raw, offset + 2 + 12 * index)
        if tag == 305:
            struct.pack_into("<HHII", raw, offset + 2 + 12 * index, tag, kind, values, len(raw) + 1000)
    with pytest.warns(UserWarning, match="Truncated File Read"):
        assert open_header(bytes(raw)).size == (16, 16)

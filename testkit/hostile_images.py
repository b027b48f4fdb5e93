"""Hostile images, written fast and small: huge pixel counts in tiny files, many frames, profiles.

Most are written byte by byte instead of encoded with Pillow, because encoding a 260 MP image
needs the 260 MP image first (1 GB and many seconds); a hand-written bitstream of all-zero
coefficients or all-zero rows costs milliseconds and a few hundred kilobytes, yet decodes to
the full pixel count, which is what a hostile upload does.
Format facts: ITU T.81 (JPEG: markers, Huffman tables, progressive scans), PNG 1.2 / APNG
(chunks, acTL/fcTL/fdAT), GIF89a, TIFF 6.0 (IFDs), BMP (BITMAPINFOHEADER, BI_RLE8).
"""

from __future__ import annotations

import io
import math
import struct
import zlib
from functools import cache

from PIL import Image, ImageCms


# --- JPEG ----------------------------------------------------------------------------------
def _jpeg_segment(marker: int, payload: bytes) -> bytes:
    return struct.pack(">HH", marker, len(payload) + 2) + payload


def _one_code_table(table_class: int, symbol: int) -> bytes:
    """A Huffman table with a single 1-bit code ('0') for `symbol`."""
    return bytes([table_class << 4]) + bytes([1] + [0] * 15) + bytes([symbol])


def _zero_bits(count: int) -> bytes:
    """`count` zero bits (one '0' code per block), padded with 1-bits as T.81 asks."""
    whole, rest = divmod(count, 8)
    return b"\x00" * whole + (bytes([(1 << (8 - rest)) - 1]) if rest else b"")


def zero_jpeg(
    width: int, height: int, *, progressive: bool = True, components: int = 3, interleaved: bool = True
) -> bytes:
    """A mid-grey JPEG of any size whose every coefficient is zero: about 1 bit per 8x8 block.

    progressive=True: SOF2 with one DC scan and one AC scan per component (libjpeg must keep
    every coefficient of the whole image until the last scan). interleaved=False with
    progressive=False: a baseline (SOF0) file with one scan per component, which also makes
    libjpeg buffer the whole image even though the frame says "baseline".
    Colour uses 4:2:0 sampling like a phone photo; 4 components is an Adobe-style CMYK file.
    """
    sampling = {1: [(1, 1)], 3: [(2, 2), (1, 1), (1, 1)], 4: [(1, 1)] * 4}[components]
    h_max, v_max = max(s[0] for s in sampling), max(s[1] for s in sampling)
    frame = struct.pack(">BHHB", 8, height, width, components)
    for index, (h, v) in enumerate(sampling, start=1):
        frame += bytes([index, h << 4 | v, 0])

    def component_blocks(index: int) -> int:
        h, v = sampling[index]
        return math.ceil(math.ceil(width * h / h_max) / 8) * math.ceil(math.ceil(height * v / v_max) / 8)

    def scan(indexes: list[int], start: int, end: int, bits_per_block: int, blocks: int) -> bytes:
        header = bytes([len(indexes)]) + b"".join(bytes([i + 1, 0x00]) for i in indexes) + bytes([start, end, 0])
        return _jpeg_segment(0xFFDA, header) + _zero_bits(blocks * bits_per_block)

    mcus = math.ceil(width / (8 * h_max)) * math.ceil(height / (8 * v_max))
    per_mcu = sum(h * v for h, v in sampling)
    everything = list(range(components))
    out = b"\xff\xd8" + _jpeg_segment(0xFFDB, b"\x00" + b"\x01" * 64)
    if components == 4:
        out += _jpeg_segment(0xFFEE, b"Adobe" + struct.pack(">HHHB", 100, 0, 0, 0))
    out += _jpeg_segment(0xFFC2 if progressive else 0xFFC0, frame)
    out += _jpeg_segment(0xFFC4, _one_code_table(0, 0x00) + _one_code_table(1, 0x00))
    if progressive:  # DC first (all components interleaved), then each component's AC band
        out += scan(everything, 0, 0, 1, mcus * per_mcu if components > 1 else component_blocks(0))
        for index in everything:
            out += scan([index], 1, 63, 1, component_blocks(index))
    elif interleaved and components > 1:  # DC '0' then EOB '0' per block
        out += scan(everything, 0, 63, 2, mcus * per_mcu)
    else:
        for index in everything:
            out += scan([index], 0, 63, 2, component_blocks(index))
    return out + b"\xff\xd9"


# --- PNG / APNG ----------------------------------------------------------------------------
def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def _zero_rows(width: int, height: int, bytes_per_pixel: int) -> bytes:
    """Deflated PNG scanlines (filter 0, all samples zero), compressed row by row."""
    compressor = zlib.compressobj(1)
    row = b"\x00" * (1 + width * bytes_per_pixel)
    return b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()


def wide_gamut_profile() -> bytes:
    """An RGB ICC profile that does not call itself sRGB, so the converter runs the transform.

    littlecms only builds sRGB among RGB spaces; its description is renamed ("sRGB built-in"
    -> "Wide built-in", the same length in UTF-16), which is all the converter looks at.
    """
    data = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    renamed = data.replace("sRGB".encode("utf-16-be"), "Wide".encode("utf-16-be"))
    assert renamed != data
    return renamed


def zero_png(width: int, height: int, *, colour_type: int = 6, bit_depth: int = 8, icc: bytes | None = None) -> bytes:
    """A fully transparent (colour type 6) or black PNG of any size; tiny on disk."""
    channels = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[colour_type]
    bytes_per_pixel = channels * bit_depth // 8
    chunks = [_png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, bit_depth, colour_type, 0, 0, 0))]
    if icc:
        chunks.append(_png_chunk(b"iCCP", b"P3\x00\x00" + zlib.compress(icc)))
    if colour_type == 3:
        chunks.append(_png_chunk(b"PLTE", b"\x00\x00\x00\xff\xff\xff"))
    chunks.append(_png_chunk(b"IDAT", _zero_rows(width, height, bytes_per_pixel)))
    return b"\x89PNG\r\n\x1a\n" + b"".join(chunks) + _png_chunk(b"IEND", b"")


def many_frame_apng(frames: int, width: int = 64, height: int = 64) -> bytes:
    """An APNG declaring `frames` full RGB frames: the first black, every later one white."""
    black, white = _zero_rows(width, height, 3), zlib.compress((b"\x00" + b"\xff" * width * 3) * height)
    out = [_png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))]
    out.append(_png_chunk(b"acTL", struct.pack(">II", frames, 0)))
    sequence = 0
    for number in range(frames):
        control = struct.pack(">IIIIIHHBB", sequence, width, height, 0, 0, 1, 10, 0, 0)
        out.append(_png_chunk(b"fcTL", control))
        sequence += 1
        if number == 0:
            out.append(_png_chunk(b"IDAT", black))
        else:
            out.append(_png_chunk(b"fdAT", struct.pack(">I", sequence) + white))
            sequence += 1
    return b"\x89PNG\r\n\x1a\n" + b"".join(out) + _png_chunk(b"IEND", b"")


# --- GIF -----------------------------------------------------------------------------------
def _gif_lzw_pixels(count: int, colour: int = 0) -> bytes:
    """LZW data (minimum code size 2) for `count` pixels of `colour`, as GIF sub-blocks.

    A clear code before every 2 pixels keeps the code size at 3 bits, which is simple and
    still 9 bits per 2 pixels; good enough for small frames.
    """
    codes = []
    for _ in range(math.ceil(count / 2)):
        codes += [4, colour, colour]  # clear, then two pixels
    codes.append(5)  # end of information
    bits = 0
    value = 0
    out = bytearray()
    for code in codes:
        value |= code << bits
        bits += 3
        while bits >= 8:
            out.append(value & 0xFF)
            value >>= 8
            bits -= 8
    if bits:
        out.append(value & 0xFF)
    blocks = b"".join(bytes([len(out[i : i + 255])]) + out[i : i + 255] for i in range(0, len(out), 255))
    return b"\x02" + blocks + b"\x00"


def many_frame_gif(frames: int, width: int = 64, height: int = 64) -> bytes:
    """A GIF of `frames` frames: a black first frame, then 1x1 px white frames at the corner."""
    header = b"GIF89a" + struct.pack("<HHBBB", width, height, 0x80, 0, 0) + b"\x00\x00\x00\xff\xff\xff"
    loop = b"\x21\xff\x0bNETSCAPE2.0\x03\x01\x00\x00\x00"
    control = b"\x21\xf9\x04\x04\x02\x00\x00\x00"  # disposal 1: keep, 20 ms
    first = control + b"\x2c" + struct.pack("<HHHHB", 0, 0, width, height, 0) + _gif_lzw_pixels(width * height)
    later = control + b"\x2c" + struct.pack("<HHHHB", 0, 0, 1, 1, 0) + _gif_lzw_pixels(1, colour=1)
    return header + loop + first + later * (frames - 1) + b"\x3b"


def big_gif(width: int, height: int) -> bytes:
    """One frame of `width` x `height` px: Pillow's encoder, since LZW of zeros compresses well."""
    buffer = io.BytesIO()
    Image.new("P", (width, height), 0).save(buffer, "GIF")
    return buffer.getvalue()


def gif_header_only(width: int, height: int) -> bytes:
    """A GIF whose screen and frame claim `width` x `height` with almost no data behind it."""
    header = b"GIF89a" + struct.pack("<HHBBB", width, height, 0x80, 0, 0) + b"\x00\x00\x00\xff\xff\xff"
    return header + b"\x2c" + struct.pack("<HHHHB", 0, 0, width, height, 0) + _gif_lzw_pixels(2) + b"\x3b"


# --- TIFF ----------------------------------------------------------------------------------
def _ifd(entries: list[tuple[int, int, int, int]], next_offset: int) -> bytes:
    """Little-endian IFD; entries are (tag, type, count, value) with values that fit in 4 bytes."""
    body = struct.pack("<H", len(entries))
    for tag, kind, count, value in sorted(entries):
        packed = struct.pack("<H", value) + b"\x00\x00" if kind == 3 and count == 1 else struct.pack("<I", value)
        body += struct.pack("<HHI", tag, kind, count) + packed
    return body + struct.pack("<I", next_offset)


def many_frame_tiff(frames: int, width: int = 64, height: int = 64) -> bytes:
    """A TIFF of `frames` greyscale pages: the first black, every later one white (two shared strips)."""
    black, white = zlib.compress(b"\x00" * (width * height)), zlib.compress(b"\xff" * (width * height))
    ifd_size = 2 + 10 * 12 + 4
    first_ifd = 8 + len(black) + len(white)
    out = bytearray(b"II*\x00" + struct.pack("<I", first_ifd) + black + white)
    for number in range(frames):
        here = first_ifd + number * ifd_size
        following = here + ifd_size if number + 1 < frames else 0
        strip_at, strip = (8, black) if number == 0 else (8 + len(black), white)
        out += _ifd(
            [
                (256, 4, 1, width),
                (257, 4, 1, height),
                (258, 3, 1, 8),
                (259, 3, 1, 8),  # deflate
                (262, 3, 1, 1),  # black is zero
                (273, 4, 1, strip_at),
                (277, 3, 1, 1),
                (278, 4, 1, height),
                (279, 4, 1, len(strip)),
                (284, 3, 1, 1),
            ],
            following,
        )
    return bytes(out)


def tiff16(width: int, height: int) -> bytes:
    """16-bit greyscale, deflated: a scanner's or a microscope's output."""
    buffer = io.BytesIO()
    Image.new("I;16", (width, height), 1000).save(buffer, "TIFF", compression="tiff_adobe_deflate")
    return buffer.getvalue()


def _grey_tiff(width: int, height: int, strip: bytes, strips: int, compression: int) -> bytes:
    """Greyscale TIFF whose `strips` strips all point at one shared `strip`."""
    rows = -(-height // strips)
    strip_at = 8
    tables_at = strip_at + len(strip)
    tables = struct.pack("<I", strip_at) * strips + struct.pack("<I", len(strip)) * strips if strips > 1 else b""
    ifd_at = tables_at + len(tables)
    offsets = (tables_at, strip_at) if strips > 1 else (strip_at, strip_at)
    counts_at = tables_at + 4 * strips
    entries = [
        (256, 4, 1, width),
        (257, 4, 1, height),
        (258, 3, 1, 8),
        (259, 3, 1, compression),
        (262, 3, 1, 1),
        (273, 4, strips, offsets[0]),
        (277, 3, 1, 1),
        (278, 4, 1, rows),
        (279, 4, strips, counts_at if strips > 1 else len(strip)),
    ]
    return b"II*\x00" + struct.pack("<I", ifd_at) + strip + tables + _ifd(entries, 0)


def single_strip_tiff(width: int, height: int) -> bytes:
    """The whole image in one deflated strip: libtiff buffers the decompressed strip whole."""
    compressor = zlib.compressobj(1)
    row = b"\x00" * width
    strip = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    return _grey_tiff(width, height, strip, 1, 8)


def tiff_strip_table_bomb(strips: int) -> bytes:
    """64 px wide, one row per strip, `strips` rows: an 8 MB strip table for 1M strips that Pillow
    would turn into hundreds of MB of Python integers while merely opening the file."""
    return _grey_tiff(64, strips, b"\x00" * 64, strips, 1)


def tiff_header_only(width: int, height: int) -> bytes:
    """A TIFF whose directory claims `width` x `height` greyscale with a 16-byte strip."""
    return _grey_tiff(width, height, b"\x00" * 16, 1, 1)


# --- BMP, WEBP -----------------------------------------------------------------------------
def rle_bmp(width: int, height: int) -> bytes:
    """An 8-bit RLE BMP of runs of 255 zeros: ~66 bytes per 8000-px row."""
    palette = b"\x00\x00\x00\x00\xff\xff\xff\x00"
    full, rest = divmod(width, 255)
    row = b"\xff\x00" * full + (bytes([rest, 0]) if rest else b"") + b"\x00\x00"
    pixels = row * height + b"\x00\x01"
    offset = 14 + 40 + len(palette)
    info = struct.pack("<IiiHHIIiiII", 40, width, height, 1, 8, 1, len(pixels), 2835, 2835, 2, 0)
    return b"BM" + struct.pack("<IHHI", offset + len(pixels), 0, 0, offset) + info + palette + pixels


@cache
def flat_webp(width: int, height: int, lossless: bool = False) -> bytes:
    """A flat-colour WEBP: 64 MP is ~0.17 MB lossy or a few dozen bytes lossless."""
    buffer = io.BytesIO()
    options = {"lossless": True, "method": 0, "quality": 0} if lossless else {"quality": 10, "method": 0}
    Image.new("RGB", (width, height), (200, 10, 10)).save(buffer, "WEBP", **options)
    return buffer.getvalue()


def webp_header_only(width: int, height: int) -> bytes:
    """A lossless WEBP header claiming `width` x `height` (at most 16384 each) with no data."""
    bits = (width - 1) | (height - 1) << 14
    vp8l = b"\x2f" + struct.pack("<I", bits) + b"\x00" * 8
    chunk = b"VP8L" + struct.pack("<I", len(vp8l)) + vp8l
    return b"RIFF" + struct.pack("<I", 4 + len(chunk)) + b"WEBP" + chunk


def many_frame_webp(frames: int, width: int = 64, height: int = 64) -> bytes:
    """An animated WEBP: a black first frame, then light ones, each different (so none is merged)."""
    images = [Image.new("RGB", (width, height), (0, 0, 0) if n == 0 else (255, n % 200, 255)) for n in range(frames)]
    buffer = io.BytesIO()
    images[0].save(buffer, "WEBP", save_all=True, append_images=images[1:], lossless=True, method=0, duration=10)
    return buffer.getvalue()


# --- colour profiles in JPEG ----------------------------------------------------------------
def with_icc(jpeg: bytes, icc: bytes) -> bytes:
    """`jpeg` with `icc` embedded as APP2 ICC_PROFILE segments (ICC.1 annex B.4)."""
    pieces = [icc[i : i + 65519] for i in range(0, len(icc), 65519)]
    segments = b"".join(
        _jpeg_segment(0xFFE2, b"ICC_PROFILE\x00" + bytes([n + 1, len(pieces)]) + piece)
        for n, piece in enumerate(pieces)
    )
    return jpeg[:2] + segments + jpeg[2:]

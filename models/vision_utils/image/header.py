"""What an image is, from its header alone: format, size, and how libjpeg will decode it.

Nothing here decodes pixels. Hostile headers are refused before Pillow spends memory on them:
unknown formats never reach exotic Pillow plugins, and a TIFF whose directory holds huge
arrays (Pillow turns a 48 MB strip table into ~1.8 GB of Python integers while opening) is
refused by reading the directory first.
"""

from __future__ import annotations

import base64
import binascii
import io
import math
import struct
import warnings
from collections.abc import Callable
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError

from provider.errors.tree import ImageError

MAX_INPUT_BYTES = 50 * 1024 * 1024
# Formats without reduced-scale decoding are decoded whole; 64 MP is an 8K screenshot twice over
# or an A4 scan at 900 dpi. The memory budget (plan.py) refuses less for costly formats.
MAX_INPUT_PIXELS = 64_000_000
# Baseline JPEG is decoded at reduced scale (draft mode), so larger photos stay cheap.
MAX_JPEG_INPUT_PIXELS = 260_000_000
# Pillow plugins allowed to open uploads (JPEG's opener also returns MPO files); Pillow's
# other ~40 plugins (PSD, EPS, FITS, ...) never see untrusted bytes.
_OPENERS = ("JPEG", "PNG", "WEBP", "GIF", "BMP", "TIFF", "HEIF", "AVIF")
SUPPORTED_TEXT = "JPEG, PNG, WEBP, GIF, BMP, TIFF, HEIC, AVIF"
# A legitimate TIFF's largest directory entry is its strip or tile table: 65,535 rows of
# 4-byte offsets is 256 kB. Anything far beyond that is an attack on the parser.
MAX_TIFF_TAG_BYTES = 1024 * 1024
# Token counting reads this much of the image first and doubles it while the header is incomplete.
HEADER_PREFIX_BYTES = 64 * 1024
# header_text gives up (keeps the text whole) past this: a header further in (WEBP, whose header
# Pillow reads whole, or a hostile 50 MB of segments before the frame) is read once, when counted.
CUT_SEARCH_BYTES = 1024 * 1024


def configure_pillow() -> None:
    """Pillow's process-wide settings for the converter (called once by runtime/startup.py):
    its decompression-bomb limit at the largest image accepted, and the HEIF/AVIF opener."""
    Image.MAX_IMAGE_PIXELS = MAX_JPEG_INPUT_PIXELS
    try:  # HEIC/HEIF photos from iPhones; optional so a missing wheel never breaks startup
        from pillow_heif import register_heif_opener
    except ImportError:  # pragma: no cover - depends on the platform's wheels
        return
    register_heif_opener()


_SOF_MARKERS = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}
_PROGRESSIVE = {0xC2, 0xC6, 0xCA, 0xCE}
_SCALABLE = {0xC0, 0xC1, 0xC2, 0xC9, 0xCA}  # DCT processes libjpeg can scale while decoding
_COEFFICIENT_BYTES = 128  # one 8x8 block of 16-bit DCT coefficients (libjpeg's JBLOCK)


@dataclass(frozen=True)
class JpegLayout:
    """How libjpeg decodes a JPEG: scalable (draft mode works) and whole-image coefficient buffers.

    Progressive files, and baseline files whose first scan carries only some components
    (one scan per component), make libjpeg keep every DCT coefficient of the image in memory
    until the last scan: 2 bytes per sample at full resolution, whatever the output scale.
    """

    scalable: bool
    buffered: bool
    sampling: tuple[tuple[int, int], ...]  # (horizontal, vertical) factor of each component

    def coefficient_bytes(self, width: int, height: int) -> int:
        """libjpeg's whole-image coefficient arrays (jdcoefct.c), padded to whole MCUs per component."""
        if not self.buffered:
            return 0
        if not self.sampling or any(h < 1 or v < 1 for h, v in self.sampling):
            return width * height * 2 * 4  # nonsense sampling: assume four full-resolution components
        h_max = max(h for h, _ in self.sampling)
        v_max = max(v for _, v in self.sampling)
        total = 0
        for h, v in self.sampling:
            blocks_wide = _round_up(math.ceil(math.ceil(width * h / h_max) / 8), h)
            blocks_high = _round_up(math.ceil(math.ceil(height * v / v_max) / 8), v)
            total += blocks_wide * blocks_high * _COEFFICIENT_BYTES
        return total


def _round_up(value: int, step: int) -> int:
    return -(-value // step) * step


def jpeg_layout(raw: bytes) -> JpegLayout:
    """Read the frame and first scan headers; an unreadable layout is assumed to be the costly one."""
    frame: tuple[int, tuple[tuple[int, int], ...]] | None = None
    position = 2
    while position + 4 <= len(raw):
        if raw[position] != 0xFF:
            break
        marker = raw[position + 1]
        if marker == 0xFF:  # fill byte
            position += 1
            continue
        if marker == 0x01 or 0xD0 <= marker <= 0xD8:  # markers without a length
            position += 2
            continue
        (length,) = struct.unpack_from(">H", raw, position + 2)
        segment = raw[position + 4 : position + 2 + length]
        if marker in _SOF_MARKERS and len(segment) >= 6:
            count = segment[5]
            frame = (marker, tuple((b >> 4, b & 15) for b in segment[7 : 6 + 3 * count : 3]))
        elif marker == 0xDA and frame and segment:
            kind, sampling = frame
            buffered = kind in _PROGRESSIVE or segment[0] < len(sampling)
            return JpegLayout(scalable=kind in _SCALABLE, buffered=buffered, sampling=sampling)
        position += 2 + length
    if frame is None:
        return JpegLayout(scalable=False, buffered=False, sampling=())  # Pillow will refuse it anyway
    return JpegLayout(scalable=False, buffered=True, sampling=frame[1])


def check_tiff_directory(raw: bytes) -> None:
    """Refuse a TIFF whose first directory has an entry larger than any real image needs."""
    big = raw[2:4] in (b"\x2b\x00", b"\x00\x2b")
    order = "<" if raw[:2] == b"II" else ">"
    try:
        if big:
            (offset,) = struct.unpack_from(order + "Q", raw, 8)
            (count,) = struct.unpack_from(order + "Q", raw, offset)
            entry, start, layout = 20, offset + 8, "HHQ"
        else:
            (offset,) = struct.unpack_from(order + "I", raw, 4)
            (count,) = struct.unpack_from(order + "H", raw, offset)
            entry, start, layout = 12, offset + 2, "HHI"
    except struct.error:
        return  # too short to hold a directory: Pillow reports it as corrupt
    type_sizes = {1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8, 13: 4, 16: 8, 17: 8, 18: 8}
    for index in range(min(count, (len(raw) - start) // entry)):
        tag, kind, values = struct.unpack_from(order + layout, raw, start + index * entry)
        size = values * type_sizes.get(kind, 1)
        if size > MAX_TIFF_TAG_BYTES:
            raise ImageError(
                f"the TIFF directory has a {size / 1e6:.0f} MB entry (tag {tag}); real images need under "
                f"{MAX_TIFF_TAG_BYTES / 1e6:.0f} MB, so the file is refused"
            )


def open_header(raw: bytes) -> Image.Image:
    """Open without decoding pixels, rejecting empty, oversized, unknown and bomb inputs."""
    if not raw:
        raise ImageError("the image is empty (0 bytes)")
    if len(raw) > MAX_INPUT_BYTES:
        raise ImageError(f"the image is {len(raw) / 1e6:.1f} MB; the limit is {MAX_INPUT_BYTES / 1e6:.0f} MB")
    return check_dimensions(_open(raw))


def is_jpeg(image: Image.Image) -> bool:
    """JPEG-coded (MPO is a JPEG with extra frames): decoded by libjpeg, with draft mode."""
    return image.format in ("JPEG", "MPO")


def check_dimensions(image: Image.Image) -> Image.Image:
    width, height = image.size
    if width < 1 or height < 1:
        raise ImageError("the image has no pixels")
    pixel_cap = MAX_JPEG_INPUT_PIXELS if is_jpeg(image) else MAX_INPUT_PIXELS
    if width * height > pixel_cap:
        raise ImageError(
            f"the image is {width}x{height} ({width * height / 1e6:.0f} MP); the limit is {pixel_cap / 1e6:.0f} MP"
        )
    return image


def _openers() -> list[str]:
    Image.init()  # registers Pillow's plugins once (idempotent); HEIF only if pillow-heif is present
    return [name for name in _OPENERS if name in Image.OPEN]


def _open(data: bytes) -> Image.Image:
    if data[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"):
        check_tiff_directory(data)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            return Image.open(io.BytesIO(data), formats=_openers())
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise ImageError(f"the image has too many pixels to be safe to decode ({error})") from error
    except UnidentifiedImageError as error:
        raise ImageError(f"the data is not an image in a supported format ({SUPPORTED_TEXT})") from error
    except Exception as error:  # Pillow plugins raise assorted errors on hostile headers
        raise ImageError(f"the image header is corrupt ({error})") from error


def header_from_base64(text: str, start: int = 0) -> tuple[Image.Image, bytes]:
    """The header of the base64 image data in `text[start:]`, and the bytes decoded to read it.

    Only a prefix is decoded, doubled until it holds the header: a phone photo's size sits in
    its first few kilobytes, after the EXIF block, and decoding all of an 8 MB photo just to
    read it would cost more than everything else in a token count. Formats whose header Pillow
    can only read whole (WEBP, some TIFF and HEIF files) end up decoding the whole base64
    text, never the pixels. `start` lets a data URI be read without copying its payload.
    """
    image, prefix, _ = _header_and_end(text, start)
    return image, prefix


def header_text(text: str, start: int = 0) -> str:
    """`text` cut just after the base64 that header_from_base64 decodes to read its header, so it
    reads the very same header and bytes from the cut text; `text` itself when the header needs
    all of it or more than CUT_SEARCH_BYTES of it, or when the data is not an image at all (not
    base64, no format's signature: nothing the header reader would find in more of it)."""
    try:
        signature = base64.b64decode(text[start : start + 24], validate=True)
    except (binascii.Error, ValueError):
        return text
    if not _has_image_signature(signature[:16]):
        return text
    try:
        _, _, end = _header_and_end(text, start, CUT_SEARCH_BYTES)
    except ImageError:
        return text
    return text[:end]


def _has_image_signature(first_bytes: bytes) -> bool:
    """Whether an allowed opener would try these first 16 bytes (Pillow's `accept`; None takes any)."""
    for name in _openers():
        accepts: Callable[[bytes], object] | None = Image.OPEN[name][1]
        try:
            if accepts is None or accepts(first_bytes):
                return True
        except Exception:  # a plugin's check failing is no reason to skip the header reader
            return True
    return False


def _header_and_end(text: str, start: int, limit: int | None = None) -> tuple[Image.Image, bytes, int]:
    """header_from_base64, with where in `text` the decoded base64 ends; ImageError once more than
    `limit` bytes would have to be decoded."""
    length = HEADER_PREFIX_BYTES
    while limit is None or length <= limit:
        end = min(len(text), start + length // 3 * 4)  # whole base64 quads: at most `length` bytes
        try:
            prefix = base64.b64decode(text[start:end], validate=True)
        except (binascii.Error, ValueError) as error:
            raise ImageError("the image data is not valid base64") from error
        if end == len(text):
            return open_header(prefix), prefix, end
        try:
            image = _open(prefix)
        except ImageError:
            image = None  # most likely cut short by the prefix
        # Pillow stops reading a JPEG at its first scan; before that its size may be unknown.
        if image is not None and (image.tile or not is_jpeg(image)):
            return check_dimensions(image), prefix, end
        length *= 2
    raise ImageError(f"no header in the first {limit} bytes")

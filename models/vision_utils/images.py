"""Bytes -> a safe, normalised image that fits a model's limits (Pillow only; no Dify or HTTP types).

Order of work, cheapest first: size and header checks before any pixel is decoded (a
decompression bomb fails in milliseconds), JPEG draft mode so a 24 MP photo is decoded at
1/2..1/8 scale, then orientation, colour, transparency, resizing and re-encoding. An image
that already fits, is JPEG/PNG/WEBP and carries no metadata is passed through untouched.
"""

from __future__ import annotations

import base64
import io
import math
import warnings
from dataclasses import dataclass

from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

try:  # HEIC/HEIF photos from iPhones; optional so a missing wheel never breaks startup
    from pillow_heif import register_heif_opener

    register_heif_opener()
except ImportError:  # pragma: no cover - depends on the platform's wheels
    pass

MAX_INPUT_BYTES = 50 * 1024 * 1024
# Formats without reduced-scale decoding are decoded whole: 64 MP is ~256 MB of RGBA, the most
# we let one image take (an 8K screenshot is 33 MP, an A4 scan at 600 dpi 35 MP).
MAX_INPUT_PIXELS = 64_000_000
# JPEG is decoded at reduced scale (draft mode), so larger photos stay cheap.
MAX_JPEG_INPUT_PIXELS = 260_000_000
HARD_MAX_EDGE = 4096
# A cheap whole-factor shrink may end up this much below the edge cap instead of being resampled.
DCT_ACCEPT_RATIO = 0.7

ACCEPTED_FORMATS = {"JPEG", "PNG", "WEBP", "GIF", "BMP", "TIFF", "HEIF", "AVIF", "MPO"}
# Formats every AtlasCloud vision family reads; anything else is converted.
PASSTHROUGH_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
# Header facts that are not personal metadata; any other info key means "strip by re-encoding".
_HARMLESS_INFO = {
    "jfif",
    "jfif_version",
    "jfif_unit",
    "jfif_density",
    "dpi",
    "progressive",
    "progression",
    "adobe",
    "adobe_transform",
    "gamma",
    "srgb",
    "aspect",
    "interlace",
    "transparency",
    "loop",
    "duration",
    "background",
    "lossless",
    "chromaticity",
    "compression",
}
_PASSTHROUGH_MODES = {"RGB", "RGBA", "L", "LA", "P"}
_JPEG_QUALITIES = (85, 75, 65, 55, 45)
_LOSSLESS_SOURCES = {"PNG", "GIF", "BMP", "TIFF"}
# Distinct colours in a 128x128 sample above which an image counts as a photo.
GRAPHIC_MAX_COLOURS = 2048

Image.MAX_IMAGE_PIXELS = MAX_JPEG_INPUT_PIXELS


class ImageError(ValueError):
    """The image cannot be used; the message says why in words a user can act on."""


@dataclass(frozen=True)
class ImageLimits:
    max_edge: int = 2048
    max_pixels: int = 2048 * 2048
    max_bytes: int = 3 * 1024 * 1024


@dataclass(frozen=True)
class PreparedImage:
    data: bytes
    mime: str
    width: int
    height: int
    converted: bool

    @property
    def data_uri(self) -> str:
        return f"data:{self.mime};base64,{base64.b64encode(self.data).decode('ascii')}"


def fit_size(width: int, height: int, limits: ImageLimits) -> tuple[int, int]:
    """The largest size within the edge and pixel caps that keeps the aspect ratio."""
    edge = min(limits.max_edge, HARD_MAX_EDGE)
    scale = min(1.0, edge / max(width, height), math.sqrt(limits.max_pixels / (width * height)))
    return max(1, math.floor(width * scale)), max(1, math.floor(height * scale))


def shrink_plan(size: tuple[int, int], limits: ImageLimits, jpeg: bool) -> tuple[int, tuple[int, int]]:
    """(factor, reduced size) of the cheap first shrink step before any resampling.

    JPEG uses libjpeg's DCT scaling (1/2, 1/4, 1/8) while decoding; other formats a box
    reduction by a whole factor. Resampling megapixels costs more than decoding them, so
    when such a step lands within DCT_ACCEPT_RATIO of the cap it is the final size
    (6000x4000 JPEG -> 1500x1000, 4032x3024 -> 2016x1512, 4000x3000 PNG -> 2000x1500);
    otherwise the step stays above the cap and a LANCZOS resample finishes the job.
    """
    width, height = size
    target = fit_size(width, height, limits)
    if target == size:
        return 1, size
    most = max(size) / (DCT_ACCEPT_RATIO * max(target))
    candidates = (8, 4, 2) if jpeg else range(min(int(most), 64), 1, -1)
    for factor in candidates:
        if factor <= most:
            return factor, (math.ceil(width / factor), math.ceil(height / factor))
    return 1, size


def sent_size(raw: bytes, limits: ImageLimits) -> tuple[int, int]:
    """The size `prepare_image` will send, from the header alone (for token estimates)."""
    image = open_header(raw)
    _, reduced = shrink_plan(image.size, limits, jpeg=image.format == "JPEG")
    return fit_size(*reduced, limits)


def open_header(raw: bytes) -> Image.Image:
    """Open without decoding pixels, rejecting empty, oversized, unknown and bomb inputs."""
    if not raw:
        raise ImageError("the image is empty (0 bytes)")
    if len(raw) > MAX_INPUT_BYTES:
        raise ImageError(f"the image is {len(raw) / 1e6:.1f} MB; the limit is {MAX_INPUT_BYTES / 1e6:.0f} MB")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(raw))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise ImageError(f"the image has too many pixels to be safe to decode ({error})") from error
    except UnidentifiedImageError as error:
        raise ImageError(
            "the data is not an image in a supported format (JPEG, PNG, WEBP, GIF, BMP, TIFF, HEIC, AVIF)"
        ) from error
    except Exception as error:  # Pillow plugins raise assorted errors on hostile headers
        raise ImageError(f"the image header is corrupt ({error})") from error
    if image.format not in ACCEPTED_FORMATS:
        raise ImageError(f"{image.format} images are not supported; send JPEG, PNG, WEBP, GIF, BMP, TIFF or HEIC")
    width, height = image.size
    if width < 1 or height < 1:
        raise ImageError("the image has no pixels")
    pixel_cap = MAX_JPEG_INPUT_PIXELS if image.format == "JPEG" else MAX_INPUT_PIXELS
    if width * height > pixel_cap:
        raise ImageError(
            f"the image is {width}x{height} ({width * height / 1e6:.0f} MP); the limit is {pixel_cap / 1e6:.0f} MP"
        )
    return image


def _needs_conversion(image: Image.Image, raw_len: int, limits: ImageLimits) -> bool:
    if image.format not in PASSTHROUGH_FORMATS or image.mode not in _PASSTHROUGH_MODES:
        return True
    if getattr(image, "n_frames", 1) > 1 or raw_len > limits.max_bytes:
        return True
    if fit_size(*image.size, limits) != image.size:
        return True
    return bool(set(image.info) - _HARMLESS_INFO) or bool(getattr(image, "text", None))


def prepare_image(raw: bytes, limits: ImageLimits) -> PreparedImage:
    """Validate, normalise and fit one image; raises ImageError for anything unusable."""
    image = open_header(raw)
    try:
        if not _needs_conversion(image, len(raw), limits):
            image.load()  # a truncated file must fail here, not at the model; bounded by the limits
            return PreparedImage(raw, PASSTHROUGH_FORMATS[image.format], *image.size, converted=False)
        return _convert(image, limits)
    except ImageError:
        raise
    except (OSError, ValueError, SyntaxError, EOFError, MemoryError) as error:
        raise ImageError(f"the image data is corrupt or truncated ({error})") from error


def _convert(image: Image.Image, limits: ImageLimits) -> PreparedImage:
    source_format = image.format
    jpeg = source_format == "JPEG"
    factor, reduced = shrink_plan(image.size, limits, jpeg)
    if jpeg and factor > 1:
        image.draft("RGB" if image.mode != "CMYK" else "CMYK", reduced)
    image.seek(0)  # animated GIF/WEBP/TIFF: the first frame
    image.load()
    image = ImageOps.exif_transpose(image) or image
    image = _normalise_mode(_to_srgb(image))
    if not jpeg and factor > 1:
        image = image.reduce(factor)
    target = fit_size(*image.size, limits)
    if image.size != target:
        image = image.resize(target, Image.Resampling.LANCZOS)
    image.info = {}
    return _encode(image, lossless=source_format in _LOSSLESS_SOURCES and looks_like_graphic(image), limits=limits)


def looks_like_graphic(image: Image.Image) -> bool:
    """Screenshots, charts and logos use few distinct colours; photos use thousands.

    Graphics stay lossless (PNG keeps text sharp); photos from lossless files go to JPEG/WEBP,
    which is smaller and far faster to encode.
    """
    sample = image.resize((128, 128), Image.Resampling.NEAREST)
    return sample.getcolors(maxcolors=GRAPHIC_MAX_COLOURS) is not None


def _to_srgb(image: Image.Image) -> Image.Image:
    """Apply an embedded colour profile so colours survive dropping it."""
    icc = image.info.get("icc_profile")
    if not icc or image.mode not in ("RGB", "CMYK"):
        return image
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        if "srgb" in ImageCms.getProfileDescription(source).lower():
            return image
        return ImageCms.profileToProfile(image, source, ImageCms.createProfile("sRGB"), outputMode="RGB")
    except (ImageCms.PyCMSError, OSError, ValueError):
        return image  # an unreadable profile is dropped; the pixels stay as decoded


def _normalise_mode(image: Image.Image) -> Image.Image:
    """RGB, RGBA or L: the modes every encoder and model handles."""
    mode = image.mode
    if mode.startswith("I;16") or mode in ("I", "F"):
        # 16/32-bit greyscale: keep the top 8 bits of each sample.
        return image.convert("I").point(lambda value: value / 256).convert("L")
    if mode in ("RGB", "L"):
        return image
    if mode == "1":
        return image.convert("L")
    if mode in ("P", "PA"):
        return image.convert("RGBA" if "transparency" in image.info or mode == "PA" else "RGB")
    if mode in ("LA", "La", "RGBa", "RGBA"):
        image = image.convert("RGBA")
        # Fully opaque alpha is dead weight; real transparency is kept.
        return image.convert("RGB") if image.getchannel("A").getextrema() == (255, 255) else image
    return image.convert("RGB")


def _encode(image: Image.Image, lossless: bool, limits: ImageLimits) -> PreparedImage:
    has_alpha = image.mode == "RGBA"
    for attempt in range(4):
        if lossless:
            data = _save(image, "PNG", optimize=False, compress_level=6)
            if len(data) <= limits.max_bytes:
                return PreparedImage(data, "image/png", *image.size, converted=True)
        lossy = "WEBP" if has_alpha else "JPEG"
        for quality in _JPEG_QUALITIES:
            data = _save(image, lossy, quality=quality)
            if len(data) <= limits.max_bytes:
                return PreparedImage(data, f"image/{lossy.lower()}", *image.size, converted=True)
        if attempt < 3:
            width, height = image.size
            image = image.resize((max(1, width * 3 // 4), max(1, height * 3 // 4)), Image.Resampling.LANCZOS)
    raise ImageError(f"the image cannot be compressed below {limits.max_bytes / 1e6:.1f} MB")


def _save(image: Image.Image, fmt: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()

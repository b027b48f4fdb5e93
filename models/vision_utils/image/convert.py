"""Bytes -> a safe, normalised image that fits a model's limits (Pillow only; no Dify or HTTP types).

Order of work, cheapest first: size and header checks before any pixel is decoded (a
decompression bomb fails in milliseconds, an image too costly for the memory budget too),
JPEG draft mode so a 24 MP photo is decoded at 1/2..1/8 scale, then colour, mode and the
cheap shrink strip by strip (so no second full-size copy of a large image is ever made),
then orientation, transparency, resampling and re-encoding of the small image. An image that
already fits, is JPEG/PNG/WEBP and carries no metadata is passed through untouched.
Only the first frame of an animation is ever read.
"""

from __future__ import annotations

import base64
import io
import math
from collections.abc import Callable
from dataclasses import dataclass

from PIL import Image, ImageCms

from models.vision_utils.image.budget import image_memory
from models.vision_utils.image.header import open_header
from models.vision_utils.image.plan import DecodePlan, costed_plan
from models.vision_utils.image.sizing import ImageLimits, fit_size
from provider.errors.tree import ImageError

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
# Pixels converted at a time: a strip of the decoded image and its converted copy stay small.
STRIP_PIXELS = 1 << 20
# EXIF orientation -> the transpose that shows the image upright (EXIF 2.32, tag 0x0112).
_ORIENTATION = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


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


def draft_request(size: tuple[int, int], scale: int) -> tuple[int, int]:
    """The size to ask Pillow's draft() for so that libjpeg scales by exactly `scale`.

    Pillow picks the largest of 8/4/2/1 not above min(width // asked_width, height // asked_height):
    asking for the floor makes that quotient at least `scale` and below 2 x `scale`.
    """
    return size[0] // scale, size[1] // scale


def prepare_image(raw: bytes, limits: ImageLimits) -> PreparedImage:
    """Validate, normalise and fit one image; raises ImageError for anything unusable."""
    image = open_header(raw)
    plan, _ = costed_plan(image, raw, limits, image_memory().capacity)
    return prepare_opened(image, raw, plan, limits)


def prepare_opened(image: Image.Image, raw: bytes, plan: DecodePlan, limits: ImageLimits) -> PreparedImage:
    """`prepare_image` for an image whose header is open and whose plan is costed (by a caller
    that reserved that cost first); no pixel has been decoded yet."""
    try:
        if _may_pass_through(image, len(raw), limits):
            image.load()  # a truncated file must fail here, not at the model; bounded by the limits
            if _metadata_free(image):
                return PreparedImage(raw, PASSTHROUGH_FORMATS[image.format], *image.size, converted=False)
        return _convert(image, plan, limits)
    except ImageError:
        raise
    except (OSError, ValueError, SyntaxError, EOFError, MemoryError) as error:
        raise ImageError(f"the image data is corrupt or truncated ({error})") from error


def _may_pass_through(image: Image.Image, raw_len: int, limits: ImageLimits) -> bool:
    if image.format not in PASSTHROUGH_FORMATS or image.mode not in _PASSTHROUGH_MODES:
        return False
    # is_animated looks at most one frame ahead; n_frames would walk every frame of a GIF or TIFF.
    if getattr(image, "is_animated", False) or raw_len > limits.max_bytes:
        return False
    return fit_size(*image.size, limits) == image.size


def _metadata_free(image: Image.Image) -> bool:
    """After load(): PNG text chunks after the pixels are only in `info` once the file was read."""
    return not (set(image.info) - _HARMLESS_INFO)


def _convert(image: Image.Image, plan: DecodePlan, limits: ImageLimits) -> PreparedImage:
    source_format = image.format
    if plan.draft_scale > 1:
        # Same mode: draft() is asked to scale only (it never converts CMYK, and RGB stays RGB).
        image.draft(image.mode, draft_request(image.size, plan.draft_scale))
    image.load()
    orientation = image.getexif().get(0x0112)
    image = _to_working_mode(image, plan.reduce_factor)
    if orientation in _ORIENTATION:
        image = image.transpose(_ORIENTATION[orientation])
    image = _drop_opaque_alpha(image)
    target = fit_size(*image.size, limits)
    if image.size != target:
        image = image.resize(target, Image.Resampling.LANCZOS)
    image.info = {}
    return _encode(image, lossless=source_format in _LOSSLESS_SOURCES and looks_like_graphic(image), limits=limits)


def _to_working_mode(image: Image.Image, factor: int) -> Image.Image:
    """RGB, RGBA or L in sRGB, reduced by `factor`, converted one strip at a time.

    The decoded image is closed (its memory freed) once its last strip is converted, so the
    peak is the decoded image plus one strip plus the reduced result, never two full copies.
    """
    convert = _strip_converter(image)
    if convert is None and factor == 1:
        return image
    width, height = image.size
    rows = max(1, STRIP_PIXELS // width // factor) * factor
    result: Image.Image | None = None
    for top in range(0, height, rows):
        strip = image.crop((0, top, width, min(height, top + rows)))
        if convert is not None:
            strip = convert(strip)
        if factor > 1:
            strip = strip.reduce(factor)
        if result is None:
            result = Image.new(strip.mode, (math.ceil(width / factor), math.ceil(height / factor)))
        result.paste(strip, (0, top // factor))
    image.close()
    assert result is not None
    return result


def _strip_converter(image: Image.Image) -> Callable[[Image.Image], Image.Image] | None:
    """What turns a strip of this image into RGB, RGBA or L (sRGB); None if it already is."""
    mode = image.mode
    to_srgb = _srgb_transform(image)
    if to_srgb is not None:
        return lambda strip: ImageCms.applyTransform(strip, to_srgb)
    if mode in ("RGB", "L", "RGBA"):
        return None
    if mode.startswith("I") or mode == "F":
        # 16/32-bit greyscale: keep the top 8 bits of each sample.
        return lambda strip: strip.convert("I").point(lambda value: value / 256).convert("L")
    if mode == "1":
        return lambda strip: strip.convert("L")
    if mode == "P":
        target = "RGBA" if "transparency" in image.info else "RGB"
        return lambda strip: strip.convert(target)
    if mode in ("PA", "LA", "RGBa"):
        return lambda strip: strip.convert("RGBA")
    return lambda strip: strip.convert("RGB")


def _srgb_transform(image: Image.Image) -> ImageCms.ImageCmsTransform | None:
    """The transform applying an embedded non-sRGB colour profile, so colours survive dropping it."""
    icc = image.info.get("icc_profile")
    if not icc or image.mode not in ("RGB", "CMYK"):
        return None
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        if "srgb" in ImageCms.getProfileDescription(source).lower():
            return None
        return ImageCms.buildTransform(source, ImageCms.createProfile("sRGB"), image.mode, "RGB")
    except (ImageCms.PyCMSError, OSError, ValueError):
        return None  # an unreadable profile is dropped; the pixels stay as decoded


def _drop_opaque_alpha(image: Image.Image) -> Image.Image:
    """Fully opaque alpha is dead weight; real transparency is kept."""
    if image.mode == "RGBA" and image.getchannel("A").getextrema() == (255, 255):
        return image.convert("RGB")
    return image


def looks_like_graphic(image: Image.Image) -> bool:
    """Screenshots, charts and logos use few distinct colours; photos use thousands.

    Graphics stay lossless (PNG keeps text sharp); photos from lossless files go to JPEG/WEBP,
    which is smaller and far faster to encode.
    """
    sample = image.resize((128, 128), Image.Resampling.NEAREST)
    return sample.getcolors(maxcolors=GRAPHIC_MAX_COLOURS) is not None


def _encode(image: Image.Image, lossless: bool, limits: ImageLimits) -> PreparedImage:
    has_alpha = image.mode == "RGBA"
    for attempt in range(4):
        if lossless:
            data = _save(image, "PNG")  # Pillow's defaults: zlib level 6, no optimize pass
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

"""How the converter will decode an image, and the memory that costs, from its header alone.

The converter (convert.py), the memory budget (budget.py) and the token estimate (tokens/image.py)
all read the same plan, so what is counted, reserved and done cannot drift apart.

Memory model (bytes), checked against measured peaks by tests/unit/test_image_cost.py and
`bench/bench_images.py --calibrate`:
- decoding: the decoded pixels at the scale really used (libjpeg scales baseline and progressive
  JPEG output; everything else is decoded at full size) times the bytes Pillow keeps per pixel,
  times what the decoder holds besides (WEBP: libwebp's canvas and its previous-frame copy, the
  frame handed to Python, and Pillow's image: 4 copies); plus, for progressive or one-scan-per-
  component JPEG, libjpeg's whole-image coefficient buffers (2 bytes per sample at full size);
- working copies: the converter normalises and shrinks the decoded image strip by strip into a
  new image of the reduced size, then rotates, drops opaque alpha, resamples and encodes that
  one; at most WORK_COPIES images of the reduced size (4 bytes per pixel) are alive at once.
"""

from __future__ import annotations

from dataclasses import dataclass

from PIL import Image

from models.vision_utils.image.header import JpegLayout, is_jpeg, jpeg_layout
from models.vision_utils.image.sizing import ImageLimits, fit_size, shrink_plan
from provider.errors.tree import ImageError

# Bytes Pillow keeps per pixel (Storage.c: 1-byte modes, 16-bit modes, everything else 4).
_ONE_BYTE_MODES = {"1", "L", "P"}
# Copies of the decoded pixels a decoder holds at its peak, measured with
# bench/bench_image_memory.py: WEBP 16 bytes per pixel (libwebp's canvas, its previous-frame
# copy, the frame handed to Python, Pillow's image); HEIF/AVIF ~9 (YUV planes, RGB output,
# Pillow's copy); TIFF up to 2 (libtiff buffers a whole strip, which can be the whole image);
# BMP 3 (Pillow's RLE decoder is Python: a bytearray, its bytes copy, then the image).
DECODER_COPIES = {"WEBP": 4, "HEIF": 3, "AVIF": 3, "TIFF": 2, "BMP": 3}
# Images of the reduced size alive at once while converting (measured at most ~1.7:
# the converted result plus a rotated, alpha-free or resampled copy of it).
WORK_COPIES = 2
# One strip of the decoded image and its converted and reduced forms (convert.py: STRIP_PIXELS
# of up to 4 bytes each, three times).
STRIP_BYTES = 16 * 1024 * 1024
# Pillow, libjpeg and the encoders' fixed working memory per image (tables, row buffers).
FIXED_BYTES = 4 * 1024 * 1024
# Encoding a transparent photo as WEBP: libwebp holds ~15-17 bytes per output pixel (YUV and
# alpha planes, the lossless alpha encoder's buffers). JPEG and PNG encoders need little.
ALPHA_ENCODE_BYTES_PER_PIXEL = 18
_ALPHA_MODES = {"RGBA", "LA", "La", "PA", "RGBa"}
# libjpeg's row buffers grow with the width: a few rows of every component, as samples and output.
JPEG_BYTES_PER_COLUMN = 256


def pixel_bytes(mode: str) -> int:
    if mode in _ONE_BYTE_MODES:
        return 1
    return 2 if mode.startswith("I;16") else 4


@dataclass(frozen=True)
class DecodePlan:
    source_size: tuple[int, int]
    draft_scale: int  # libjpeg's decode scale (1 = full size)
    reduce_factor: int  # box reduction after decoding (formats without scaled decoding)
    decoded_size: tuple[int, int]
    reduced_size: tuple[int, int]
    sent_size: tuple[int, int]  # after resampling to the limits (before any byte-cap shrinking)
    coefficient_bytes: int  # libjpeg's whole-image coefficient buffers, if it needs them


def plan_for(size: tuple[int, int], layout: JpegLayout | None, limits: ImageLimits) -> DecodePlan:
    """The plan for an image of `size`; `layout` is None for formats other than JPEG."""
    scalable = layout is not None and layout.scalable
    factor, reduced = shrink_plan(size, limits, jpeg=scalable)
    coefficients = layout.coefficient_bytes(*size) if layout else 0
    sent = fit_size(*reduced, limits)
    if scalable:
        return DecodePlan(size, factor, 1, reduced, reduced, sent, coefficients)
    return DecodePlan(size, 1, factor, size, reduced, sent, coefficients)


def decode_plan(image: Image.Image, data: bytes, limits: ImageLimits) -> DecodePlan:
    """`data` is the file, or a prefix of it that holds the whole header (for token counting)."""
    return plan_for(image.size, jpeg_layout(data) if is_jpeg(image) else None, limits)


def sent_size(image: Image.Image, data: bytes, limits: ImageLimits) -> tuple[int, int]:
    """The size the converter sends (before any shrinking to meet the byte cap)."""
    return decode_plan(image, data, limits).sent_size


def decode_cost(image: Image.Image, plan: DecodePlan) -> int:
    """Peak bytes converting this image adds to the process (see the module docstring)."""
    decoded_pixels = plan.decoded_size[0] * plan.decoded_size[1]
    decoding = decoded_pixels * pixel_bytes(image.mode) * DECODER_COPIES.get(image.format or "", 1)
    if is_jpeg(image):
        decoding += plan.coefficient_bytes + plan.source_size[0] * JPEG_BYTES_PER_COLUMN
    reduced_pixels = plan.reduced_size[0] * plan.reduced_size[1]
    working = STRIP_BYTES + WORK_COPIES * 4 * reduced_pixels + FIXED_BYTES
    if may_have_alpha(image):
        sent_width, sent_height = plan.sent_size
        working += ALPHA_ENCODE_BYTES_PER_PIXEL * sent_width * sent_height
    return decoding + working


def may_have_alpha(image: Image.Image) -> bool:
    """Transparency may survive conversion, so the image may be encoded as WEBP."""
    return image.mode in _ALPHA_MODES or (image.mode == "P" and "transparency" in image.info)


def describe(image: Image.Image, plan: DecodePlan) -> str:
    if plan.coefficient_bytes:
        return "progressive JPEG" if image.info.get("progressive") else "multi-scan JPEG"
    return f"{image.format} ({image.mode})" if image.format else "image"


def costed_plan(image: Image.Image, data: bytes, limits: ImageLimits, capacity: int) -> tuple[DecodePlan, int]:
    """The plan and its cost, or an ImageError when this image alone would exceed the budget."""
    layout = jpeg_layout(data) if is_jpeg(image) else None
    plan = plan_for(image.size, layout, limits)
    cost = decode_cost(image, plan)
    if cost <= capacity:
        return plan, cost
    width, height = image.size
    fits = _largest_fitting_pixels(image, layout, limits, capacity)
    raise ImageError(
        f"the image is {width}x{height} ({width * height / 1e6:.0f} MP); decoding this {describe(image, plan)} "
        f"would need about {cost / 2**20:.0f} MB, more than the {capacity / 2**20:.0f} MB an image may use: "
        f"send it at most {fits / 1e6:.0f} MP, or as a baseline JPEG"
    )


def _largest_fitting_pixels(image: Image.Image, layout: JpegLayout | None, limits: ImageLimits, capacity: int) -> int:
    """The pixel count of the largest image of this kind and shape that fits (bisection on the scale)."""
    width, height = image.size
    low, high = 0.0, 1.0
    for _ in range(30):
        scale = (low + high) / 2
        size = (max(1, int(width * scale)), max(1, int(height * scale)))
        if decode_cost(image, plan_for(size, layout, limits)) <= capacity:
            low = scale
        else:
            high = scale
    return max(1, int(width * low)) * max(1, int(height * low))

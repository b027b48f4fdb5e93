"""Generated test images: every case the vision converter must handle, made on the fly."""

from __future__ import annotations

import base64
import io

from PIL import Image, ImageDraw


def photo(width: int, height: int, mode: str = "RGB") -> Image.Image:
    """A smooth gradient with some structure, so encoders behave like on a real photo."""
    image = Image.linear_gradient("L").resize((width, height))
    rgb = Image.merge("RGB", (image, image.rotate(90).resize((width, height)), image.transpose(Image.FLIP_LEFT_RIGHT)))
    draw = ImageDraw.Draw(rgb)
    for step in range(0, min(width, height), max(1, min(width, height) // 12)):
        draw.ellipse((step, step // 2, step + width // 8, step // 2 + height // 8), outline=(255, 32, 32), width=3)
    # Sensor-like noise: makes PNG and JPEG sizes realistic for a photo.
    noise = Image.effect_noise((width, height), 48).convert("RGB")
    rgb = Image.blend(rgb, noise, 0.12)
    return rgb.convert(mode) if mode != "RGB" else rgb


def encode(image: Image.Image, fmt: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def png_bytes_b64(width: int, height: int) -> str:
    return base64.b64encode(encode(photo(width, height), "PNG")).decode()


def image_part(raw: bytes, mime: str, detail: str = "high", filename: str = "") -> dict:
    """A Dify image content part as the daemon sends it (MULTIMODAL_SEND_FORMAT=base64)."""
    return {
        "type": "image",
        "format": mime.split("/")[-1],
        "mime_type": mime,
        "base64_data": base64.b64encode(raw).decode(),
        "url": "",
        "filename": filename,
        "detail": detail,
    }

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


def exif_photo_jpeg(width: int, height: int, orientation: int = 6, quality: int = 90) -> bytes:
    """A phone photo: EXIF orientation, GPS position and camera make attached."""
    image = photo(width, height)
    exif = image.getexif()
    exif[0x0112] = orientation
    exif[0x010F] = "PhoneMaker"
    exif[0x8825] = {1: "N", 2: (48.0, 51.0, 24.0), 3: "E", 4: (2.0, 21.0, 3.0)}
    return encode(image, "JPEG", quality=quality, exif=exif)


def screenshot(width: int, height: int) -> Image.Image:
    """Flat colours and text-like strokes: a graphic, not a photo."""
    image = Image.new("RGB", (width, height), (246, 247, 249))
    draw = ImageDraw.Draw(image)
    for row in range(0, height, 28):
        draw.rectangle((16, row + 6, 16 + (row * 37) % max(1, width - 32), row + 18), fill=(40, 44, 52))
    draw.rectangle((0, 0, width, 48), fill=(31, 79, 255))
    return image


def transparent_png(width: int = 400, height: int = 300) -> bytes:
    image = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    ImageDraw.Draw(image).ellipse((50, 50, width - 50, height - 50), fill=(255, 200, 0, 255))
    return encode(image, "PNG")


def animated_gif(frames: int = 3) -> bytes:
    colours = [(255, 0, 0), (0, 255, 0), (0, 0, 255)]
    images = [Image.new("RGB", (120, 90), colours[i % 3]) for i in range(frames)]
    buffer = io.BytesIO()
    images[0].save(buffer, "GIF", save_all=True, append_images=images[1:], duration=100, loop=0)
    return buffer.getvalue()


def grey16_png(width: int = 256, height: int = 128) -> bytes:
    image = Image.linear_gradient("L").resize((width, height)).convert("I")
    image = image.point(lambda value: value * 256)  # spread 0..255 to 0..65280
    return encode(image.convert("I;16"), "PNG")


def cmyk_jpeg(width: int = 640, height: int = 480) -> bytes:
    return encode(photo(width, height).convert("CMYK"), "JPEG", quality=90)


def bomb_png(width: int = 30000, height: int = 30000) -> bytes:
    """A tiny file whose header claims ~900 MP: must be refused before decoding."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    body = zlib.compress(b"\x00" * 1024)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", body) + chunk(b"IEND", b"")

"""What a vision model would receive: the images inside a chat request."""

from __future__ import annotations

import base64
import io
from typing import Any

from PIL import Image, ImageStat


def image_urls(body: dict[str, Any]) -> list[str]:
    urls = []
    for message in body.get("messages") or []:
        content = message.get("content")
        if isinstance(content, list):
            urls += [p["image_url"]["url"] for p in content if isinstance(p, dict) and p.get("type") == "image_url"]
    return urls


def inspect_image(url: str) -> dict[str, Any]:
    """What a vision model would receive: format, size, metadata still attached."""
    if not url.startswith("data:"):
        return {"url": url}
    header, _, encoded = url.partition(",")
    raw = base64.b64decode(encoded)
    image = Image.open(io.BytesIO(raw))
    exif = image.getexif()
    return {
        "declared_mime": header[5:].split(";")[0],
        "format": image.format,
        "mime": Image.MIME.get(image.format or ""),
        "width": image.width,
        "height": image.height,
        "mode": image.mode,
        "bytes": len(raw),
        "has_exif": bool(exif) or "exif" in image.info,
        "has_gps": 0x8825 in exif,
        "orientation": exif.get(0x0112),
        "has_icc": "icc_profile" in image.info,
        "has_xmp": "xmp" in image.info or "XML:com.adobe.xmp" in image.info,
        "frames": getattr(image, "n_frames", 1),
        "corner_pixel": image.convert("RGBA").getpixel((0, 0)),
        "mean_luma": ImageStat.Stat(image.convert("L")).mean[0],
    }


def inspect_images(body: dict[str, Any]) -> list[dict[str, Any]]:
    return [inspect_image(url) for url in image_urls(body)]

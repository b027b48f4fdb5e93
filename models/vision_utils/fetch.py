"""Download an image the plugin must convert itself, within strict bounds.

Only http(s); at most MAX_REDIRECTS hops, each checked for scheme; a hard size cap while
streaming; short timeouts. Private addresses are allowed on purpose: Dify's own file URLs
(MULTIMODAL_SEND_FORMAT=url) usually point at an internal host that AtlasCloud cannot reach.
"""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit

import httpx

from models.vision_utils.images import MAX_INPUT_BYTES, ImageError

MAX_REDIRECTS = 3
TIMEOUT = httpx.Timeout(20.0, connect=5.0)


def fetch_image(url: str, max_bytes: int = MAX_INPUT_BYTES) -> bytes:
    with httpx.Client(timeout=TIMEOUT, follow_redirects=False) as client:
        for _ in range(MAX_REDIRECTS + 1):
            if urlsplit(url).scheme not in ("http", "https"):
                raise ImageError(f"image URLs must be http(s); got {urlsplit(url).scheme or 'none'}")
            try:
                with client.stream("GET", url) as response:
                    if response.is_redirect:
                        url = urljoin(url, response.headers.get("location", ""))
                        continue
                    if response.status_code != 200:
                        raise ImageError(f"downloading the image failed with HTTP {response.status_code}")
                    return _read_capped(response, max_bytes)
            except httpx.HTTPError as error:
                raise ImageError(f"downloading the image failed: {type(error).__name__}") from error
    raise ImageError(f"the image URL redirected more than {MAX_REDIRECTS} times")


def _read_capped(response: httpx.Response, max_bytes: int) -> bytes:
    declared = response.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > max_bytes:
        raise ImageError(f"the image is larger than {max_bytes / 1e6:.0f} MB")
    body = bytearray()
    for piece in response.iter_bytes():
        body += piece
        if len(body) > max_bytes:
            raise ImageError(f"the image is larger than {max_bytes / 1e6:.0f} MB")
    return bytes(body)

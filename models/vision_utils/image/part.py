"""One Dify image part -> one OpenAI `image_url` part, through the shared converter."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable

from dify_plugin.entities.model.message import ImagePromptMessageContent

from models.common.threads import run_blocking
from models.vision_utils.content import inline_text
from models.vision_utils.download.fetch import allowed_file_hosts, fetch_image
from models.vision_utils.download.url import parse_image_url
from models.vision_utils.download.url_policy import AllowedHost, is_allowlisted, is_public_address, refused_name
from models.vision_utils.image import cache
from models.vision_utils.image.budget import image_memory
from models.vision_utils.image.convert import PreparedImage, prepare_opened
from models.vision_utils.image.header import open_header
from models.vision_utils.image.plan import costed_plan
from models.vision_utils.image.policy import ImagePolicy
from models.vision_utils.image.sizing import ImageLimits
from provider.errors.tree import DownloadError, ImageError, MalformedURL

# Extensions AtlasCloud's vision models read directly from a public URL.
_FORWARDABLE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp")


def detail_of(part: ImagePromptMessageContent) -> str:
    return "low" if part.detail == ImagePromptMessageContent.DETAIL.LOW else "high"


def is_forwardable_url(url: str, allowlist: Iterable[AllowedHost] | None = None) -> bool:
    """Public https URLs of formats every model reads are sent as they are (AtlasCloud fetches
    them): a public DNS name (not a local or metadata name, not an allowlisted host, which is
    Dify's internal file server) or a public IP literal, on port 443, without credentials."""
    try:
        parsed = parse_image_url(url)
    except MalformedURL:
        return False
    if parsed.scheme != "https" or parsed.port != 443 or not parsed.path.lower().endswith(_FORWARDABLE_SUFFIXES):
        return False
    if is_allowlisted(parsed.host, parsed.port, allowed_file_hosts() if allowlist is None else allowlist):
        return False
    if parsed.address is not None:
        return is_public_address(parsed.address)
    return refused_name(parsed.host) is None


def image_bytes(part: ImagePromptMessageContent) -> bytes:
    """The raw bytes of an inline (base64 / data URI) or downloadable image."""
    encoded = inline_text(part)
    if encoded:
        try:
            return base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError) as error:
            raise ImageError("the image data is not valid base64") from error
    if part.url:
        return fetch_image(part.url)
    raise ImageError("the image part has neither data nor a URL")


def prepare_within_budget(raw: bytes, limits: ImageLimits) -> PreparedImage:
    """Convert on a real thread once the process-wide image memory budget has room for it.

    The wait happens here, in the request's greenlet, so a waiting request holds no thread
    and no decoded pixels; the reservation is returned when the converted image is back.
    """
    image = open_header(raw)
    plan, cost = costed_plan(image, raw, limits, image_memory().capacity)
    with image_memory().reserve(cost):
        return run_blocking(prepare_opened, image, raw, plan, limits)


def prepare_part(part: ImagePromptMessageContent, limits: ImageLimits) -> PreparedImage:
    return cache.cached(image_bytes(part), limits, prepare_within_budget)


def to_openai_image(part: ImagePromptMessageContent, policy: ImagePolicy, images_in_request: int) -> dict:
    """One OpenAI image part; raises ImageError naming the image and the problem."""
    detail = detail_of(part)
    try:
        if not part.base64_data and is_forwardable_url(part.url):
            return {"type": "image_url", "image_url": {"url": part.url, "detail": detail}}
        prepared = prepare_part(part, policy.limits(detail, images_in_request))
    except (ImageError, DownloadError) as error:
        name = f" '{part.filename}'" if part.filename else ""
        raise ImageError(f"Image{name} cannot be sent: {error}.") from error
    return {"type": "image_url", "image_url": {"url": prepared.data_uri, "detail": detail}}

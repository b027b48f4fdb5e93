"""Dify image content parts -> OpenAI `image_url` parts, through the shared converter."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable

from dify_plugin.entities.model.message import ImagePromptMessageContent
from dify_plugin.errors.model import InvokeBadRequestError

from models.vision_utils import cache
from models.vision_utils.budget import IMAGE_MEMORY
from models.vision_utils.fetch import allowed_file_hosts, fetch_image
from models.vision_utils.header import header_from_base64, open_header
from models.vision_utils.image_url import MalformedURL, parse_image_url
from models.vision_utils.images import ImageError, ImageLimits, PreparedImage, prepare_opened
from models.vision_utils.offload import run_blocking
from models.vision_utils.plan import costed_plan, sent_size
from models.vision_utils.policy import ImagePolicy
from models.vision_utils.ssrf import AllowedHost, is_allowlisted, is_public_address, refused_name

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
    encoded = part.base64_data
    if not encoded and part.url.startswith("data:"):
        encoded = part.url.partition(",")[2]
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
    plan, cost = costed_plan(image, raw, limits, IMAGE_MEMORY.capacity)
    with IMAGE_MEMORY.reserve(cost):
        return run_blocking(prepare_opened, image, raw, plan, limits)


def prepare_part(part: ImagePromptMessageContent, limits: ImageLimits) -> PreparedImage:
    return cache.cached(image_bytes(part), limits, prepare_within_budget)


def to_openai_image(part: ImagePromptMessageContent, policy: ImagePolicy, images_in_request: int) -> dict:
    """One OpenAI image part; raises InvokeBadRequestError naming the problem."""
    detail = detail_of(part)
    try:
        if not part.base64_data and is_forwardable_url(part.url):
            return {"type": "image_url", "image_url": {"url": part.url, "detail": detail}}
        prepared = prepare_part(part, policy.limits(detail, images_in_request))
    except ImageError as error:
        name = f" '{part.filename}'" if part.filename else ""
        raise InvokeBadRequestError(f"Image{name} cannot be sent: {error}.") from error
    return {"type": "image_url", "image_url": {"url": prepared.data_uri, "detail": detail}}


def inline_base64(part: ImagePromptMessageContent) -> tuple[str, int] | None:
    """(text, offset) of the part's base64 data, a data URI's payload left uncopied; None for a URL."""
    if part.base64_data:
        return part.base64_data, 0
    if part.url.startswith("data:"):
        comma = part.url.find(",")
        return (part.url, comma + 1) if comma >= 0 else ("", 0)
    return None


def estimate_image_tokens(part: ImagePromptMessageContent, policy: ImagePolicy) -> int:
    """Tokens for the image as it will be sent, from its header: no pixel is decoded and only
    the first kilobytes of its base64 text are (header.header_from_base64)."""
    limits = policy.limits(detail_of(part), 1)
    inline = inline_base64(part)
    if inline is None:
        # Not downloaded just to count: assume a full-size 4:3 image.
        return policy.tokens.tokens(limits.max_edge, limits.max_edge * 3 // 4)
    try:
        image, header = header_from_base64(*inline)
        width, height = sent_size(image, header, limits)
    except ImageError:
        return policy.tokens.min_tokens
    return policy.tokens.tokens(width, height)

"""Token estimates from headers: only a prefix of the base64 text is decoded, no pixel ever is,
models without vision count their placeholder text; the conversion cache keeps its bound;
only the first frame of an animation is read."""

from __future__ import annotations

import base64
from functools import partial

import pytest
from dify_plugin.entities.model.message import (
    DocumentPromptMessageContent,
    ImagePromptMessageContent,
    SystemPromptMessage,
    TextPromptMessageContent,
    UserPromptMessage,
)
from PIL import GifImagePlugin, Image, ImageFile, PngImagePlugin, TiffImagePlugin, WebPImagePlugin

from models.vision_utils.image import cache
from models.vision_utils.image.convert import PreparedImage, prepare_image
from models.vision_utils.image.header import HEADER_PREFIX_BYTES, header_from_base64
from models.vision_utils.image.policy import ImagePolicy
from models.vision_utils.image.sizing import ImageLimits
from models.vision_utils.tokens.image import estimate_image_tokens
from models.vision_utils.tokens.prompt import PER_MESSAGE, REPLY_PRIMER, count_prompt_tokens
from models.vision_utils.tokens.text import count_text
from provider.errors.tree import ImageError
from testkit.hostile_images import (
    flat_webp,
    many_frame_apng,
    many_frame_gif,
    many_frame_tiff,
    many_frame_webp,
    with_icc,
    zero_jpeg,
    zero_png,
)
from testkit.images import exif_photo_jpeg

POLICY = ImagePolicy()


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


HIGH = ImagePromptMessageContent.DETAIL.HIGH  # the SDK's default is low
LOW = ImagePromptMessageContent.DETAIL.LOW


def part(raw: bytes, mime: str = "image/jpeg", **fields) -> ImagePromptMessageContent:
    return ImagePromptMessageContent(
        format=mime.split("/")[1], mime_type=mime, base64_data=b64(raw), detail=HIGH, **fields
    )


def test_a_phone_photo_header_is_read_from_the_first_64_kb():
    raw = exif_photo_jpeg(6000, 4000, orientation=6)
    image, header = header_from_base64(b64(raw))
    assert image.size == (6000, 4000)
    assert HEADER_PREFIX_BYTES - 3 < len(header) <= HEADER_PREFIX_BYTES < len(raw) // 50


def test_the_prefix_doubles_past_large_segments_before_the_frame():
    raw = with_icc(zero_jpeg(16000, 16250, progressive=False), bytes(300_000))  # 300 kB profile first
    image, header = header_from_base64(b64(raw))
    assert image.size == (16000, 16250)
    assert 4 * HEADER_PREFIX_BYTES < len(header) <= 8 * HEADER_PREFIX_BYTES < len(raw), "64 -> 128 -> 256 -> 512 kB"


def test_a_data_uri_is_read_like_base64_data():
    raw = zero_png(3000, 2000, colour_type=2)
    uri = ImagePromptMessageContent(
        format="png", mime_type="image/png", url="data:image/png;base64," + b64(raw), detail=HIGH
    )
    assert estimate_image_tokens(uri, POLICY) == estimate_image_tokens(part(raw, "image/png"), POLICY)
    image, _ = header_from_base64("data:image/png;base64," + b64(raw), start=len("data:image/png;base64,"))
    assert image.size == (3000, 2000)


def test_formats_pillow_reads_whole_are_decoded_whole_but_never_their_pixels():
    raw = flat_webp(3000, 2000)
    image, header = header_from_base64(b64(raw))
    assert image.size == (3000, 2000) and header == raw


def test_bad_base64_is_an_image_error():
    with pytest.raises(ImageError, match="not valid base64"):
        header_from_base64("!!!!" * 10)


@pytest.fixture
def no_pixel_decoding(monkeypatch):
    def refuse(self, *args, **kwargs):
        raise AssertionError("pixels were decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", refuse)
    monkeypatch.setattr(Image.Image, "load", refuse)


@pytest.mark.parametrize(
    ("raw", "mime", "sent"),
    [
        (exif_photo_jpeg(6000, 4000, orientation=6), "image/jpeg", (1500, 1000)),  # 1/4 DCT scale
        (zero_jpeg(16000, 16250), "image/jpeg", (2000, 2032)),  # 1/8, then within the caps
        (zero_png(8000, 8000, colour_type=2), "image/png", (1600, 1600)),  # 5x box reduction
        (flat_webp(3000, 2000), "image/webp", (1500, 1000)),
        (many_frame_gif(1000), "image/gif", (64, 64)),
    ],
)
def test_estimates_follow_the_sizing_rule_without_decoding_pixels(no_pixel_decoding, raw, mime, sent):
    blocks = -(-sent[0] // 32) * -(-sent[1] // 32)
    assert estimate_image_tokens(part(raw, mime), POLICY) == max(blocks, 4) + 2


def test_images_that_cannot_be_read_count_the_minimum():
    assert estimate_image_tokens(part(b"not an image"), POLICY) == POLICY.tokens.min_tokens
    url = ImagePromptMessageContent(format="jpeg", mime_type="image/jpeg", url="https://example.com/a.jpg", detail=HIGH)
    assert estimate_image_tokens(url, POLICY) == POLICY.tokens.tokens(2048, 1536), "not fetched: a 4:3 guess"
    low = url.model_copy(update={"detail": ImagePromptMessageContent.DETAIL.LOW})
    assert estimate_image_tokens(low, POLICY) == POLICY.tokens.tokens(768, 576)


def test_without_vision_the_placeholder_text_is_counted():
    image = part(exif_photo_jpeg(600, 400), filename="IMG_0001.jpg")
    document = DocumentPromptMessageContent(format="pdf", mime_type="application/pdf", url="https://x/a.pdf")
    message = UserPromptMessage(content=[TextPromptMessageContent(data="Describe."), image, document])
    expected_text = (
        "Describe.\n[image 'IMG_0001.jpg' omitted: this model does not accept images]"
        "\n[document 'pdf' omitted: this model only accepts text and images]"
    )
    assert count_prompt_tokens([message], None, None) == REPLY_PRIMER + PER_MESSAGE + count_text(expected_text)


def test_with_vision_each_user_image_is_counted_once_and_other_roles_send_no_images():
    seen = []

    def count_image(image):
        seen.append(image.filename)
        return 1000

    images = [part(b"x", filename=name) for name in ("a.png", "b.png")]
    user = UserPromptMessage(content=[TextPromptMessageContent(data="Describe."), *images])
    system = SystemPromptMessage(content=[TextPromptMessageContent(data="Be brief."), part(b"x", filename="c.png")])
    total = count_prompt_tokens([system, user], None, count_image)
    assert seen == ["a.png", "b.png"]
    assert total == REPLY_PRIMER + 2 * PER_MESSAGE + count_text("Be brief.") + count_text("Describe.") + 2000


def prepared(size: int) -> PreparedImage:
    return PreparedImage(b"x" * size, "image/jpeg", 1, 1, converted=True)


def recording_prepare(made: list[bytes], size: int):
    """A converter stand-in that records each image it is asked to convert."""

    def prepare(raw, fit):
        made.append(raw)
        return prepared(size)

    return prepare


def test_the_conversion_cache_holds_at_most_64_mb_and_forgets_the_oldest_first():
    cache.clear()
    limits = ImageLimits()
    made: list[bytes] = []
    make = partial(recording_prepare, made)

    for number in range(5):  # 5 x 15 MB: only four fit in 64 MB
        cache.cached(b"image %d" % number, limits, make(15 * 2**20))
    assert cache.held_bytes() == 4 * 15 * 2**20 <= cache.MAX_CACHED_BYTES
    cache.cached(b"image 4", limits, make(1))  # newest: still cached
    cache.cached(b"image 0", limits, make(1))  # oldest: was evicted, so converted again
    assert made == [b"image %d" % n for n in range(5)] + [b"image 0"]
    cache.cached(b"big", limits, make(cache.MAX_CACHED_BYTES // 4 + 1))
    assert cache.held_bytes() <= cache.MAX_CACHED_BYTES
    cache.cached(b"big", limits, make(1))
    assert made[-1] == b"big", "an entry over a quarter of the cache is never kept"
    cache.cached(b"image 4", ImageLimits(max_bytes=1), make(1))
    assert made[-1] == b"image 4", "other limits are another entry"
    cache.clear()
    assert cache.held_bytes() == 0


@pytest.mark.parametrize(
    ("raw", "plugin", "method"),
    [
        (many_frame_gif(20_000), GifImagePlugin.GifImageFile, "_seek"),
        (many_frame_apng(2_000), PngImagePlugin.PngImageFile, "_seek"),
        (many_frame_tiff(20_000), TiffImagePlugin.TiffImageFile, "_seek"),
        (many_frame_webp(100), WebPImagePlugin.WebPImageFile, "seek"),
    ],
    ids=["gif", "apng", "tiff", "webp"],
)
def test_only_the_first_frame_is_read(monkeypatch, raw, plugin, method):
    frames = []
    original = getattr(plugin, method)

    def recording(self, frame, *args, **kwargs):
        frames.append(frame)
        return original(self, frame, *args, **kwargs)

    monkeypatch.setattr(plugin, method, recording)
    result = prepare_image(raw, ImageLimits())
    assert max(frames, default=0) <= 1, f"frames up to {max(frames)} were read"
    assert (result.width, result.height) == (64, 64)


def test_the_base64_of_a_data_uri_starts_after_its_first_comma_and_is_not_copied():
    from models.vision_utils.content import inline_base64

    def url_part(url: str) -> ImagePromptMessageContent:
        return ImagePromptMessageContent(format="png", mime_type="image/png", url=url, detail=HIGH)

    uri = "data:image/png;base64,QUJD,REVG"  # RFC 2397: the data begins after the first comma
    text, offset = inline_base64(url_part(uri))
    assert text is uri and offset == len("data:image/png;base64,")
    assert inline_base64(url_part("data:image/png;base64")) == ("", 0), "no data at all"
    assert inline_base64(url_part("https://example.com/a.png")) is None
    assert inline_base64(part(b"raw")) == (b64(b"raw"), 0)


def test_detail_is_low_only_when_dify_says_low():
    from models.vision_utils.image.part import detail_of

    assert detail_of(part(b"x")) == "high"
    low = ImagePromptMessageContent(format="png", mime_type="image/png", base64_data="", detail=LOW)
    assert detail_of(low) == "low"


def test_the_cache_bounds_are_inclusive():
    cache.clear()
    limits = ImageLimits()
    made: list[bytes] = []
    prepare_of = partial(recording_prepare, made)

    quarter = cache.MAX_CACHED_BYTES // 4  # 16 MiB: the largest entry kept
    for number in range(4):
        cache.cached(b"q%d" % number, limits, prepare_of(quarter))
    assert cache.held_bytes() == cache.MAX_CACHED_BYTES, "exactly full: nothing evicted"
    for number in range(4):
        cache.cached(b"q%d" % number, limits, prepare_of(1))
    assert len(made) == 4, "all four came from the cache"
    cache.clear()
    cache.cached(b"over", limits, prepare_of(quarter + 1))
    cache.cached(b"over", limits, prepare_of(quarter + 1))
    assert made[4:] == [b"over", b"over"] and cache.held_bytes() == 0, "one byte over a quarter: never kept"
    cache.clear()

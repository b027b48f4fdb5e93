"""One Dify image part as the model receives it (image/part.py): inline data and data URIs are
converted and sent inline, public image URLs are forwarded, other URLs are downloaded first;
the detail and the request's image count set the limits; the conversion holds a share of the
image memory budget while it runs; every failure names the image and the problem."""

from __future__ import annotations

import base64
import io

import pytest
from dify_plugin.entities.model.message import ImagePromptMessageContent
from PIL import Image

from models.vision_utils.image import cache
from models.vision_utils.image import part as image_part
from models.vision_utils.image.budget import MemoryBudget
from models.vision_utils.image.policy import ImagePolicy
from provider.errors.tree import DownloadError, ImageError
from testkit.images import encode, photo

POLICY = ImagePolicy()
HIGH = ImagePromptMessageContent.DETAIL.HIGH
LOW = ImagePromptMessageContent.DETAIL.LOW
PNG = encode(photo(1200, 900), "PNG")


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()
    yield
    cache.clear()


def inline(raw: bytes, detail=HIGH, **fields) -> ImagePromptMessageContent:
    return ImagePromptMessageContent(
        format="png", mime_type="image/png", base64_data=base64.b64encode(raw).decode(), detail=detail, **fields
    )


def linked(url: str, detail=HIGH, **fields) -> ImagePromptMessageContent:
    return ImagePromptMessageContent(format="png", mime_type="image/png", url=url, detail=detail, **fields)


def sent_image(sent: dict) -> tuple[str, bytes]:
    """The MIME type and bytes of an inline image part as sent."""
    assert sent["type"] == "image_url"
    header, _, payload = sent["image_url"]["url"].partition(",")
    assert header.startswith("data:") and header.endswith(";base64")
    return header[len("data:") : -len(";base64")], base64.b64decode(payload)


def no_download(url: str) -> bytes:
    raise AssertionError(f"{url} was downloaded")


def test_inline_data_is_converted_and_sent_inline_with_its_detail(monkeypatch):
    monkeypatch.setattr(image_part, "fetch_image", no_download)
    sent = image_part.to_openai_image(inline(PNG), POLICY, 1)
    assert sent["image_url"]["detail"] == "high"
    mime, data = sent_image(sent)
    with Image.open(io.BytesIO(data)) as image:
        assert image.size == (1200, 900) and mime == f"image/{image.format.lower()}"


def test_low_detail_fits_the_image_to_the_low_limits():
    sent = image_part.to_openai_image(inline(PNG, detail=LOW), POLICY, 1)
    assert sent["image_url"]["detail"] == "low"
    data = sent_image(sent)[1]
    assert len(data) <= POLICY.low.max_bytes
    with Image.open(io.BytesIO(data)) as image:
        assert max(image.size) <= POLICY.low.max_edge == 768


def test_many_images_in_one_request_share_its_byte_budget(monkeypatch):
    seen = []
    prepare = image_part.prepare_within_budget

    def recording(raw, limits):
        seen.append(limits)
        return prepare(raw, limits)

    monkeypatch.setattr(image_part, "prepare_within_budget", recording)
    image_part.to_openai_image(inline(PNG), POLICY, 1)
    image_part.to_openai_image(inline(PNG), POLICY, 40)
    assert seen == [POLICY.limits("high", 1), POLICY.limits("high", 40)]
    assert seen[1].max_bytes < seen[0].max_bytes


def test_a_data_uri_in_the_url_field_is_decoded_not_downloaded(monkeypatch):
    monkeypatch.setattr(image_part, "fetch_image", no_download)
    uri = "data:image/png;base64," + base64.b64encode(PNG).decode()
    sent = image_part.to_openai_image(linked(uri), POLICY, 1)
    with Image.open(io.BytesIO(sent_image(sent)[1])) as image:
        assert image.size == (1200, 900)


def test_a_public_https_image_url_is_forwarded_as_it_is(monkeypatch):
    monkeypatch.setattr(image_part, "fetch_image", no_download)
    url = "https://images.example.com/cat.jpg"
    assert image_part.to_openai_image(linked(url, detail=LOW), POLICY, 3) == {
        "type": "image_url",
        "image_url": {"url": url, "detail": "low"},
    }


def test_inline_data_wins_over_a_forwardable_url(monkeypatch):
    monkeypatch.setattr(image_part, "fetch_image", no_download)
    both = inline(PNG, url="https://images.example.com/cat.jpg")
    sent = image_part.to_openai_image(both, POLICY, 1)
    assert sent["image_url"]["url"].startswith("data:image/")


def test_other_urls_are_downloaded_and_converted(monkeypatch):
    asked = []

    def fetch(url: str) -> bytes:
        asked.append(url)
        return PNG

    monkeypatch.setattr(image_part, "fetch_image", fetch)
    url = "http://files.example.com/files/cat.gif?sign=1"
    sent = image_part.to_openai_image(linked(url), POLICY, 1)
    assert asked == [url]
    assert sent_image(sent)[0].startswith("image/")


@pytest.mark.parametrize(
    ("content", "fields", "message"),
    [
        (
            "!!not base64!!",
            {"filename": "cat.png"},
            "Image 'cat.png' cannot be sent: the image data is not valid base64.",
        ),
        ("!!not base64!!", {}, "Image cannot be sent: the image data is not valid base64."),
        ("", {}, "Image cannot be sent: the image part has neither data nor a URL."),
    ],
)
def test_unusable_parts_are_errors_naming_the_image_and_the_problem(content, fields, message):
    part = ImagePromptMessageContent(format="png", mime_type="image/png", base64_data=content, **fields)
    with pytest.raises(ImageError) as refused:
        image_part.to_openai_image(part, POLICY, 1)
    assert str(refused.value) == message


def test_a_failed_download_is_an_image_error_naming_the_image(monkeypatch):
    def fetch(url: str) -> bytes:
        raise DownloadError("the image could not be downloaded from its URL")

    monkeypatch.setattr(image_part, "fetch_image", fetch)
    with pytest.raises(ImageError) as refused:
        image_part.to_openai_image(linked("http://files.example.com/cat.png", filename="cat.png"), POLICY, 1)
    assert str(refused.value) == "Image 'cat.png' cannot be sent: the image could not be downloaded from its URL."


def test_an_image_that_is_not_an_image_is_named_in_the_error():
    with pytest.raises(ImageError, match=r"^Image 'notes\.png' cannot be sent: "):
        image_part.to_openai_image(inline(b"plain text, not pixels", filename="notes.png"), POLICY, 1)


def test_the_conversion_holds_its_cost_of_the_image_memory_only_while_it_runs(monkeypatch):
    budget = MemoryBudget(256 * 2**20)
    monkeypatch.setattr(image_part, "image_memory", lambda: budget)
    held = []
    run_blocking = image_part.run_blocking

    def watching(work, *args):
        held.append(budget.used)
        return run_blocking(work, *args)

    monkeypatch.setattr(image_part, "run_blocking", watching)
    prepared = image_part.prepare_within_budget(PNG, POLICY.high)
    assert held[0] >= 1200 * 900 * 3, "at least the decoded pixels are reserved"
    assert budget.used == 0 and budget.peak == held[0]
    assert prepared.data and prepared.mime.startswith("image/")


def test_an_image_too_large_for_the_image_memory_is_refused_before_decoding(monkeypatch):
    monkeypatch.setattr(image_part, "image_memory", lambda: MemoryBudget(2**20))
    monkeypatch.setattr(image_part, "run_blocking", lambda *args: pytest.fail("decoded anyway"))
    with pytest.raises(ImageError, match=r"more than the 1 MB an image may use"):
        image_part.to_openai_image(inline(PNG), POLICY, 1)


def test_the_same_image_is_converted_once(monkeypatch):
    calls = []
    prepare = image_part.prepare_within_budget

    def counting(raw, limits):
        calls.append(limits)
        return prepare(raw, limits)

    monkeypatch.setattr(image_part, "prepare_within_budget", counting)
    first = image_part.to_openai_image(inline(PNG), POLICY, 1)
    again = image_part.to_openai_image(inline(PNG), POLICY, 1)
    assert first == again and len(calls) == 1


def test_base64_with_characters_outside_its_alphabet_is_refused_not_skipped():
    text = base64.b64encode(PNG).decode()
    part = ImagePromptMessageContent(format="png", mime_type="image/png", base64_data=text[:40] + "$" + text[40:])
    with pytest.raises(ImageError, match=r"^Image cannot be sent: the image data is not valid base64\.$"):
        image_part.to_openai_image(part, POLICY, 1)


def test_a_jpeg_is_costed_from_its_own_layout_and_sent(monkeypatch):
    budget = MemoryBudget(256 * 2**20)
    monkeypatch.setattr(image_part, "image_memory", lambda: budget)
    jpeg = encode(photo(1200, 900), "JPEG", quality=90)
    sent = image_part.to_openai_image(inline(jpeg), POLICY, 1)
    mime, data = sent_image(sent)
    assert mime == "image/jpeg" and data == jpeg, "a JPEG within the limits is sent as it is"
    assert budget.peak > 0 and budget.used == 0

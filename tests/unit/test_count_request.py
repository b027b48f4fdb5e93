"""A long token-count request keeps each image only as far as its header, and counts the same."""

from __future__ import annotations

import base64
import json
import os

import pytest
from dify_plugin.entities.model.message import ImagePromptMessageContent

from models.common.catalog import plugin_settings
from models.vision_utils.image.header import HEADER_PREFIX_BYTES, header_from_base64, header_text
from models.vision_utils.image.policy import ImagePolicy
from models.vision_utils.tokens.image import estimate_image_tokens
from provider.errors.tree import ImageError
from runtime import count_filter as count_request
from runtime.count_filter import WORTH_CUTTING, ImageHeadersForCounts
from runtime.stdin_reader import IncrementalLine
from testkit.image_corpus import HOSTILE
from testkit.images import encode, photo

VISION = "qwen/qwen3.5-27b"
DATA_URI = "data:image/jpeg;base64,"


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def late_header_jpeg(icc_bytes: int = 300_000) -> bytes:
    """A photo whose frame header sits ~300 kB in, after a colour profile in many APP2 segments:
    the header reader has to double its prefix several times to reach it."""
    return encode(photo(1600, 1200), "JPEG", quality=90, icc_profile=os.urandom(icc_bytes))


def header_of(text: str, start: int = 0) -> tuple:
    try:
        image, prefix = header_from_base64(text, start)
    except ImageError as error:
        return ("error", str(error))
    return (image.format, image.size, image.mode, prefix)


def image_part(text: str, detail: str = "high") -> ImagePromptMessageContent:
    return ImagePromptMessageContent(format="jpeg", mime_type="image/jpeg", base64_data=text, detail=detail)


CORPUS = {
    "jpeg with its header 300 kB in": lambda: late_header_jpeg(),
    "jpeg photo": lambda: encode(photo(3000, 2000), "JPEG", quality=88),
    "progressive jpeg": lambda: encode(photo(2000, 1500), "JPEG", progressive=True),
    "png": lambda: encode(photo(1200, 900), "PNG"),
    "webp": lambda: encode(photo(1200, 900), "WEBP"),
    "gif": lambda: encode(photo(800, 600).convert("P"), "GIF"),
    **{name: make for name, (make, _) in HOSTILE.items()},
}


@pytest.fixture(scope="module")
def corpus() -> dict[str, str]:
    return {name: b64(make()) for name, make in CORPUS.items()}


@pytest.mark.parametrize("name", CORPUS)
def test_the_cut_text_reads_the_same_header_and_counts_the_same(name, corpus):
    text = corpus[name]
    cut = header_text(text)
    assert text.startswith(cut)
    assert header_of(cut) == header_of(text)
    for model in (VISION, "moonshotai/kimi-k2.6"):
        policy = ImagePolicy.from_config(plugin_settings(model))
        for detail in ("low", "high"):
            assert estimate_image_tokens(image_part(cut, detail), policy) == estimate_image_tokens(
                image_part(text, detail), policy
            )


def test_large_jpeg_and_png_keep_only_their_header(corpus):
    assert len(header_text(corpus["jpeg photo"])) <= HEADER_PREFIX_BYTES * 4 // 3 < len(corpus["jpeg photo"]) // 4
    assert len(header_text(corpus["png"])) <= HEADER_PREFIX_BYTES * 4 // 3
    late = corpus["jpeg with its header 300 kB in"]
    assert 300_000 * 4 // 3 < len(header_text(late)) <= 8 * HEADER_PREFIX_BYTES * 4 // 3 < len(late)


def test_a_data_uri_keeps_its_scheme_and_the_header_after_it(corpus):
    text = DATA_URI + corpus["jpeg photo"]
    cut = header_text(text, len(DATA_URI))
    assert cut.startswith(DATA_URI) and text.startswith(cut) and len(cut) < len(text) // 4
    assert header_of(cut, len(DATA_URI)) == header_of(text, len(DATA_URI))


@pytest.mark.parametrize(
    "text",
    [
        b64(os.urandom(3_000_000)),  # no image signature: counted as unreadable, whatever its length
        b64(b"%PDF-1.7\n" + os.urandom(3_000_000)),
        "not base64 at all! " * 100_000,
        b64(b"\xff\xd8\xff" + os.urandom(3_000_000)),  # a JPEG signature, then nothing readable
        "",
    ],
    ids=["random bytes", "pdf", "not base64", "jpeg signature only", "empty"],
)
def test_data_that_is_no_readable_image_is_kept_whole(text):
    assert header_text(text) is text


def line_filter_run(values: list[tuple[str, str]], line: dict) -> tuple[list[str], ImageHeadersForCounts]:
    strings = ImageHeadersForCounts()
    kept = [strings.keep(path, value) for path, value in values]
    strings.check(line)
    return kept, strings


@pytest.fixture(scope="module")
def big_jpeg() -> str:
    text = b64(encode(photo(2400, 1800), "JPEG", quality=95))
    assert len(text) > 2 * WORTH_CUTTING
    return text


def test_a_count_cuts_base64_and_data_uri_images_and_nothing_else(big_jpeg):
    count = {"data": {"action": "get_llm_num_tokens"}}
    long_text = "word " * 100_000
    values = [
        (count_request.ACTION_PATH, "get_llm_num_tokens"),
        (count_request.BASE64_PATH, big_jpeg),
        (count_request.URL_PATH, DATA_URI + big_jpeg),
        (count_request.URL_PATH, "https://example.com/photo.jpg?" + "q" * WORTH_CUTTING),
        ("data.prompt_messages.item.content.item.data", long_text),
        ("data.prompt_messages.item.content", big_jpeg),
        (count_request.BASE64_PATH, big_jpeg[: WORTH_CUTTING - 4]),  # small: not worth reading twice
    ]
    kept, _ = line_filter_run(values, count)
    assert kept[0] == "get_llm_num_tokens"
    assert kept[1] == header_text(big_jpeg) and len(kept[1]) < len(big_jpeg) // 4
    assert kept[2] == DATA_URI + kept[1]
    assert kept[3:] == [value for _, value in values[3:]]


@pytest.mark.parametrize("action", ["invoke_llm", "get_text_embedding_num_tokens", None])
def test_other_requests_keep_every_image_whole(action, big_jpeg):
    values = [(count_request.BASE64_PATH, big_jpeg)]
    if action is not None:
        values.insert(0, (count_request.ACTION_PATH, action))
    kept, _ = line_filter_run(values, {"data": {"action": action}})
    assert kept[-1] is big_jpeg


def test_an_action_written_after_the_messages_cuts_nothing(big_jpeg):
    values = [(count_request.BASE64_PATH, big_jpeg), (count_request.ACTION_PATH, "get_llm_num_tokens")]
    kept, _ = line_filter_run(values, {"data": {"action": "get_llm_num_tokens"}})
    assert kept[0] is big_jpeg


def test_a_line_whose_action_changes_after_its_images_were_cut_is_refused(big_jpeg):
    strings = ImageHeadersForCounts()
    strings.keep(count_request.ACTION_PATH, "get_llm_num_tokens")
    assert strings.keep(count_request.BASE64_PATH, big_jpeg) != big_jpeg
    strings.keep(count_request.ACTION_PATH, "invoke_llm")  # a second "action" key: the last one wins
    assert strings.keep(count_request.BASE64_PATH, big_jpeg) is big_jpeg
    with pytest.raises(ValueError, match="action changed to 'invoke_llm' after its images were read"):
        strings.check({"data": {"action": "invoke_llm"}})
    for not_a_request in ([], {"data": "x"}):
        with pytest.raises(ValueError, match="action changed to 'None'"):
            strings.check(not_a_request)


def test_a_count_line_that_cut_nothing_passes_its_check_whatever_it_is():
    strings = ImageHeadersForCounts()
    strings.keep(count_request.ACTION_PATH, "get_llm_num_tokens")
    strings.check([])


def test_a_parsed_count_line_holds_cut_images_and_counts_like_the_whole_one(corpus):
    photos = [corpus["jpeg photo"], corpus["jpeg with its header 300 kB in"], corpus["png"], corpus["webp"]]
    content = [{"type": "text", "data": "these?"}]
    content += [{"type": "image", "format": "jpeg", "mime_type": "image/jpeg", "base64_data": t} for t in photos]
    data = {"action": "get_llm_num_tokens", "model": VISION, "prompt_messages": [{"role": "user", "content": content}]}
    line = json.dumps({"session_id": "s", "event": "request", "data": data}).encode()
    parsed = IncrementalLine([line[i : i + 65536] for i in range(0, len(line), 65536)], ImageHeadersForCounts())
    value = parsed.value()
    whole = json.loads(line)
    kept = [part["base64_data"] for part in value["data"]["prompt_messages"][0]["content"][1:]]
    assert kept == [header_text(text) for text in photos]
    assert sum(map(len, kept)) < len(line) // 4
    for part in content[1:]:
        part.pop("base64_data")
    assert value["data"]["prompt_messages"][0]["content"][0] == whole["data"]["prompt_messages"][0]["content"][0]
    policy = ImagePolicy.from_config(plugin_settings(VISION))
    assert [estimate_image_tokens(image_part(text), policy) for text in kept] == [
        estimate_image_tokens(image_part(text), policy) for text in photos
    ]


def test_an_image_whose_header_pillow_reads_only_whole_is_kept_whole():
    text = b64(encode(photo(2400, 1800), "WEBP", quality=95))
    assert len(text) > 2 * WORTH_CUTTING
    assert header_text(text) == text


def test_a_signature_check_that_raises_leaves_the_decision_to_the_header_reader(monkeypatch, corpus):
    from PIL import Image

    def raising(prefix: bytes) -> bool:
        raise RuntimeError("a plugin's accept broke")

    factory, _ = Image.OPEN["JPEG"]
    monkeypatch.setitem(Image.OPEN, "JPEG", (factory, raising))
    text = b64(os.urandom(100_000))
    assert header_text(text) is text  # not raised: the header reader ran, and found no image


def test_data_of_exactly_the_worth_cutting_length_is_cut(big_jpeg):
    strings = ImageHeadersForCounts()
    strings.keep(count_request.ACTION_PATH, "get_llm_num_tokens")
    value = big_jpeg[:WORTH_CUTTING]
    assert strings.keep(count_request.BASE64_PATH, value) == header_text(value) != value


def test_a_count_line_that_kept_its_data_whole_may_change_its_action():
    """Only a cut makes a changed action an error: data kept whole suits any request."""
    strings = ImageHeadersForCounts()
    strings.keep(count_request.ACTION_PATH, "get_llm_num_tokens")
    random_data = b64(os.urandom(WORTH_CUTTING))
    assert strings.keep(count_request.BASE64_PATH, random_data) is random_data
    strings.check({"data": {"action": "invoke_llm"}})


def test_a_changed_action_is_quoted_at_most_forty_characters_long(big_jpeg):
    strings = ImageHeadersForCounts()
    strings.keep(count_request.ACTION_PATH, "get_llm_num_tokens")
    strings.keep(count_request.BASE64_PATH, big_jpeg)
    with pytest.raises(ValueError) as raised:
        strings.check({"data": {"action": "a" * 100}})
    assert f"changed to '{'a' * 40}' after" in str(raised.value)


@pytest.mark.parametrize(
    ("text", "read"),
    [
        (b64(encode(photo(600, 400), "JPEG")), True),
        (b64(b"RIFF\x00\x00\x00\x00WEBPVP8 " + os.urandom(5000)), True),
        (b64(bytes(16) + os.urandom(5000)), False),  # no format starts with 16 zero bytes
        (b64(b"%PDF-1.7\n" + os.urandom(5000)), False),
        ("!!!!" + b64(encode(photo(600, 400), "JPEG")), False),  # not base64: never decoded further
    ],
    ids=["jpeg", "webp signature", "random bytes", "pdf", "junk before a jpeg"],
)
def test_only_data_with_an_image_signature_is_read_for_its_header(text, read, monkeypatch):
    from models.vision_utils.image import header

    calls: list[int] = []
    real = header._header_and_end
    monkeypatch.setattr(header, "_header_and_end", lambda *args: calls.append(1) or real(*args))
    header_text(text)
    assert bool(calls) is read


def test_a_raising_signature_check_counts_as_a_signature(monkeypatch):
    from PIL import Image

    from models.vision_utils.image import header

    def raising(prefix: bytes) -> bool:
        raise RuntimeError("a plugin's accept broke")

    factory, _ = Image.OPEN["AVIF"]  # the last opener asked: every other one has said no
    monkeypatch.setitem(Image.OPEN, "AVIF", (factory, raising))
    calls: list[int] = []
    monkeypatch.setattr(header, "_header_and_end", lambda *args: calls.append(1) or (None, b"", len(args[0])))
    text = b64(bytes(16) + os.urandom(5000))
    assert header_text(text) == text and calls == [1]


def test_a_header_further_in_than_the_search_bound_is_left_whole_after_reading_at_most_the_bound(monkeypatch):
    """A frame header 1.5 MB in (a hostile run of segments, or a huge profile) is not searched
    for while the line is parsed: the count reads it once, later, from the whole text."""
    from models.vision_utils.image import header

    text = b64(late_header_jpeg(icc_bytes=1_500_000))
    decoded: list[int] = []
    real = header.base64.b64decode
    monkeypatch.setattr(header.base64, "b64decode", lambda data, **kw: decoded.append(len(data)) or real(data, **kw))
    assert header_text(text) is text
    assert max(decoded) * 3 // 4 <= header.CUT_SEARCH_BYTES
    assert header_of(text)[1] == (1600, 1200)  # the count still finds it

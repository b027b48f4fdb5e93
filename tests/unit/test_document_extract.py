"""One document read into pages (extract.py) and its page images made (pages.py), with the reader
process faked: what is asked of the reader, what the plugin keeps of its answer, what is logged,
and that a content is read (and a page rendered) once."""

from __future__ import annotations

import base64
import io
import logging
from typing import Any

import pytest
from PIL import Image

from models.vision_utils.document import extract as extract_module
from models.vision_utils.document import pages as pages_module
from models.vision_utils.document.extract import Page, clear_caches, digest_of, extract
from models.vision_utils.document.limits import DocumentLimits
from models.vision_utils.document.pages import clear_cache, page_images
from models.vision_utils.document.plan import DocumentPlan, PageImage, PagePlan
from models.vision_utils.document.protocol import ReaderError
from models.vision_utils.document.reader import Answer, ReaderLimits
from models.vision_utils.document.sniff import Sniffed
from models.vision_utils.image.policy import ImagePolicy
from models.vision_utils.tokens.text import count_text

LIMITS = DocumentLimits(max_pages=7, max_chars=5000, reader=ReaderLimits(300, 9.0))


@pytest.fixture(autouse=True)
def _fresh_caches():
    clear_caches()
    clear_cache()
    yield
    clear_caches()
    clear_cache()


class FakeReader:
    """run_reader: records each job and answers with `header` (and `blobs`), or raises `error`."""

    def __init__(self, header: dict[str, Any] | None = None, blobs: list[bytes] = (), error: Exception | None = None):
        self.header, self.blobs, self.error = header or {}, list(blobs), error
        self.jobs: list[tuple[dict[str, Any], bytes, ReaderLimits]] = []

    def __call__(self, job: dict[str, Any], raw: bytes, limits: ReaderLimits) -> Answer:
        self.jobs.append((job, raw, limits))
        if self.error:
            raise self.error
        return Answer(dict(self.header), list(self.blobs), 0.25)


PDF_HEADER = {
    "ok": True,
    "kind": "PDF",
    "total_pages": 40,
    "pages": [
        {"text": "First page text.", "w": 612.5, "h": 792, "image": False},
        {"text": "", "w": 612, "h": 792, "image": True, "bad": True},
        {"text": "", "w": 100, "h": 50, "image": False, "blank": True},
    ],
    "cut": True,
    "encrypted": False,
    "peak_kb": 51_200,
}


def test_a_pdf_is_read_by_the_reader_into_pages_with_their_tokens(monkeypatch: pytest.MonkeyPatch):
    reader = FakeReader(PDF_HEADER)
    monkeypatch.setattr(extract_module, "run_reader", reader)
    raw = b"%PDF-1.7 pretend"
    result = extract(raw, Sniffed("pdf", "PDF"), LIMITS)
    assert reader.jobs == [({"op": "read", "format": "pdf", "max_pages": 7, "max_chars": 5000}, raw, LIMITS.reader)]
    assert (result.digest, result.kind, result.paged) == (digest_of(raw), "PDF", True)
    assert (result.total_pages, result.cut_chars, result.size_bytes) == (40, True, len(raw))
    assert result.pages == (
        Page(1, "First page text.", count_text("First page text."), (612.5, 792.0), False),
        Page(2, "", 0, (612.0, 792.0), True, unreadable=True),
        Page(3, "", 0, (100.0, 50.0), False, blank=True),
    )
    assert result.chars == len("First page text.")


def test_what_was_read_goes_to_the_log(monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture):
    monkeypatch.setattr(extract_module, "run_reader", FakeReader(PDF_HEADER))
    raw = b"x" * (3 * 2**19)
    with caplog.at_level(logging.INFO, logger=extract_module.__name__):
        extract(raw, Sniffed("pdf", "PDF"), LIMITS)
    assert caplog.messages == [
        f"document {digest_of(raw)[:12]}… (PDF, 1.5 MB): 3 of 40 pages, 16 characters read in 0.25 s "
        "(reader peak 50 MB)"
    ]


def test_a_reader_answer_without_its_peak_logs_zero(monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture):
    header = {"total_pages": 1, "pages": [{"text": "x", "w": 0, "h": 0, "image": False}], "cut": False}
    monkeypatch.setattr(extract_module, "run_reader", FakeReader(header))
    with caplog.at_level(logging.INFO, logger=extract_module.__name__):
        result = extract(b"<p>x</p>", Sniffed("html", "HTML"), LIMITS)
    assert caplog.messages[0].endswith("(reader peak 0 MB)")
    assert not result.paged and result.kind == "HTML"


def test_plain_text_is_read_here_as_one_unpaged_page(monkeypatch: pytest.MonkeyPatch):
    reader = FakeReader()
    monkeypatch.setattr(extract_module, "run_reader", reader)
    result = extract("Grüße\r\nzwei".encode(), Sniffed("text", "Markdown"), LIMITS)
    assert reader.jobs == []
    assert (result.kind, result.paged, result.total_pages, result.cut_chars) == ("Markdown", False, 1, False)
    assert result.pages == (Page(1, "Grüße\nzwei", count_text("Grüße\nzwei"), (0.0, 0.0), False),)


def test_plain_text_stops_at_the_characters_allowed():
    small = DocumentLimits(max_chars=6)
    assert extract(b"abcdef", Sniffed("text", "text"), small).pages[0].text == "abcdef"
    assert not extract(b"abcdef", Sniffed("text", "text"), small).cut_chars
    longer = extract(b"abcdefgh", Sniffed("text", "text"), small)
    assert (longer.pages[0].text, longer.cut_chars) == ("abcdef", True)


def test_text_past_what_cleaning_removed_still_says_the_document_was_cut():
    small = DocumentLimits(max_chars=6)
    noisy = b"\x01" * 20 + b"abc" + b"real text that was never read"
    result = extract(noisy, Sniffed("text", "text"), small)
    assert (result.pages[0].text, result.cut_chars) == ("", True)


def test_a_content_is_read_once_per_limits(monkeypatch: pytest.MonkeyPatch):
    reader = FakeReader(PDF_HEADER)
    monkeypatch.setattr(extract_module, "run_reader", reader)
    first = extract(b"%PDF-a", Sniffed("pdf", "PDF"), LIMITS)
    assert extract(b"%PDF-a", Sniffed("pdf", "PDF"), LIMITS) is first
    assert len(reader.jobs) == 1
    extract(b"%PDF-a", Sniffed("pdf", "PDF"), DocumentLimits(max_pages=8, max_chars=5000, reader=LIMITS.reader))
    extract(b"%PDF-a", Sniffed("pdf", "PDF"), DocumentLimits(max_pages=7, max_chars=5001, reader=LIMITS.reader))
    extract(b"%PDF-a", Sniffed("pdf", "PDF"), DocumentLimits(max_pages=7, max_chars=5000))
    extract(b"%PDF-b", Sniffed("pdf", "PDF"), LIMITS)
    assert len(reader.jobs) == 5
    clear_caches()
    extract(b"%PDF-a", Sniffed("pdf", "PDF"), LIMITS)
    assert len(reader.jobs) == 6


def test_a_refusal_is_remembered_and_logged(monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture):
    reader = FakeReader(error=ReaderError("password", "it is locked"))
    monkeypatch.setattr(extract_module, "run_reader", reader)
    raw = b"%PDF-locked"
    with caplog.at_level(logging.INFO, logger=extract_module.__name__):
        for _ in range(2):
            with pytest.raises(ReaderError) as caught:
                extract(raw, Sniffed("pdf", "PDF"), LIMITS)
            assert caught.value.message == "it is locked"
    assert len(reader.jobs) == 1
    assert caplog.messages == [f"document {digest_of(raw)[:12]}… (PDF) refused: password: it is locked"]
    clear_caches()
    with pytest.raises(ReaderError):
        extract(raw, Sniffed("pdf", "PDF"), LIMITS)
    assert len(reader.jobs) == 2


def _jpeg(size: tuple[int, int]) -> bytes:
    buffer = io.BytesIO()
    Image.new("L", size, 128).save(buffer, "JPEG")
    return buffer.getvalue()


def scan_plan(*numbers: int, scale: float = 0.5) -> DocumentPlan:
    pages = (*(PagePlan(n, "", PageImage(scale, (10, 10), 85)) for n in numbers), PagePlan(99, "text only"))
    return DocumentPlan("s.pdf", "PDF", True, 99, pages, (), "f" * 64)


def test_page_images_are_rendered_in_one_job_and_sent_as_high_detail_images(monkeypatch: pytest.MonkeyPatch):
    reader = FakeReader({"ok": True, "pages": []}, [_jpeg((1000, 900)), _jpeg((20, 30))])
    monkeypatch.setattr(pages_module, "run_reader", reader)
    parts = page_images(b"%PDF-", scan_plan(2, 5), ImagePolicy(), 1, ReaderLimits(300, 9.0))
    assert reader.jobs == [
        ({"op": "render", "format": "pdf", "pages": [[1, 0.5], [4, 0.5]]}, b"%PDF-", ReaderLimits(300, 9.0))
    ]
    assert sorted(parts) == [2, 5]
    assert parts[2]["type"] == "image_url" and parts[2]["image_url"]["detail"] == "high"
    url = parts[2]["image_url"]["url"]
    assert url.startswith("data:image/jpeg;base64,")
    with Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1]))) as image:
        assert image.size == (1000, 900), "high detail: not shrunk to the low-detail edge"


def test_a_page_image_is_rendered_once_per_scale_and_image_limits(monkeypatch: pytest.MonkeyPatch):
    reader = FakeReader({"ok": True, "pages": []}, [_jpeg((40, 40))])
    monkeypatch.setattr(pages_module, "run_reader", reader)
    policy, limits = ImagePolicy(), ReaderLimits()
    first = page_images(b"%PDF-", scan_plan(3), policy, 1, limits)
    assert page_images(b"%PDF-", scan_plan(3), policy, 1, limits) == first
    assert page_images(b"%PDF-", scan_plan(3), policy, 5, limits) == first, "the same image limits"
    assert len(reader.jobs) == 1
    page_images(b"%PDF-", scan_plan(3, scale=0.6), policy, 1, limits)
    page_images(b"%PDF-", scan_plan(3), policy, 100, limits)
    assert len(reader.jobs) == 3
    clear_cache()
    page_images(b"%PDF-", scan_plan(3), policy, 1, limits)
    assert len(reader.jobs) == 4


def test_only_pages_not_yet_rendered_are_asked_for(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(pages_module, "run_reader", FakeReader({}, [_jpeg((40, 40))]))
    page_images(b"%PDF-", scan_plan(3), ImagePolicy(), 1, ReaderLimits())
    reader = FakeReader({}, [_jpeg((40, 40))])
    monkeypatch.setattr(pages_module, "run_reader", reader)
    assert sorted(page_images(b"%PDF-", scan_plan(3, 4), ImagePolicy(), 1, ReaderLimits())) == [3, 4]
    assert reader.jobs[0][0]["pages"] == [[3, 0.5]]


def test_a_plan_without_page_images_renders_nothing(monkeypatch: pytest.MonkeyPatch):
    reader = FakeReader()
    monkeypatch.setattr(pages_module, "run_reader", reader)
    assert page_images(b"%PDF-", scan_plan(), ImagePolicy(), 1, ReaderLimits()) == {}
    assert reader.jobs == []


def test_a_reader_rendering_another_number_of_pages_is_an_internal_error(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(pages_module, "run_reader", FakeReader({}, [_jpeg((40, 40))]))
    with pytest.raises(ReaderError) as caught:
        page_images(b"%PDF-", scan_plan(1, 2), ImagePolicy(), 1, ReaderLimits())
    assert (caught.value.kind, caught.value.message) == (
        "internal",
        "the reader rendered another number of pages than asked",
    )


def test_rendering_goes_to_the_log(monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture):
    monkeypatch.setattr(pages_module, "run_reader", FakeReader({"peak_kb": 3 * 1024}, [_jpeg((40, 40))]))
    with caplog.at_level(logging.INFO, logger=pages_module.__name__):
        page_images(b"%PDF-", scan_plan(1), ImagePolicy(), 1, ReaderLimits())
    assert caplog.messages == ["document ffffffffffff…: 1 page images rendered in 0.25 s (reader peak 3 MB)"]
    monkeypatch.setattr(pages_module, "run_reader", FakeReader({}, [_jpeg((40, 40))]))
    with caplog.at_level(logging.INFO, logger=pages_module.__name__):
        page_images(b"%PDF-", scan_plan(2), ImagePolicy(), 1, ReaderLimits())
    assert caplog.messages[-1].endswith("(reader peak 0 MB)")


def test_page_images_after_text_pages_are_rendered(monkeypatch: pytest.MonkeyPatch):
    reader = FakeReader({}, [_jpeg((40, 40))])
    monkeypatch.setattr(pages_module, "run_reader", reader)
    image = PageImage(0.5, (10, 10), 85)
    plan = DocumentPlan("s.pdf", "PDF", True, 2, (PagePlan(1, "text"), PagePlan(2, "", image)), (), "a" * 64)
    assert sorted(page_images(b"%PDF-", plan, ImagePolicy(), 1, ReaderLimits())) == [2]
    assert reader.jobs[0][0]["pages"] == [[1, 0.5]]


def test_many_refusals_are_remembered(monkeypatch: pytest.MonkeyPatch):
    reader = FakeReader(error=ReaderError("damaged", "it is damaged"))
    monkeypatch.setattr(extract_module, "run_reader", reader)
    for n in range(300):
        with pytest.raises(ReaderError):
            extract(b"%%PDF-%d" % n, Sniffed("pdf", "PDF"), LIMITS)
    with pytest.raises(ReaderError):
        extract(b"%PDF-0", Sniffed("pdf", "PDF"), LIMITS)
    assert len(reader.jobs) == 300, "300 refusals fit the refusal cache"


def test_a_read_document_is_weighed_by_its_characters_and_an_overhead(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(extract_module, "_extractions", extract_module.WeightedCache(4040))  # one entry: 1,010 at most
    for text, cached in ((b"x" * 10, True), (b"y" * 11, False)):
        first = extract(text, Sniffed("text", "text"), LIMITS)
        assert (extract(text, Sniffed("text", "text"), LIMITS) is first) is cached

"""The PDF reader in this process, on small PDFs built here (and fake pages for the geometry): page
facts, which pages want an image, where reading stops, refusals, and rendered page images."""

from __future__ import annotations

import io
import math
from dataclasses import dataclass

import pytest
from PIL import Image

from models.vision_utils.document import pdf_reader
from models.vision_utils.document.pdf_reader import (
    DEFAULT_PAGE_SIZE,
    _jpeg,
    open_pdf,
    page_size,
    picture_share,
    read_pdf,
    render_pdf,
    wants_image,
)
from models.vision_utils.document.protocol import ReaderError
from testkit.documents import build_pdf, default_lines, page_content, pdf_objects, scan_jpeg, scanned_pdf, text_pdf


@dataclass
class FakeObject:
    bounds: tuple[float, float, float, float]

    def get_bounds(self) -> tuple[float, float, float, float]:
        return self.bounds


@dataclass
class FakePage:
    size: tuple[float, float] = (100.0, 100.0)
    objects: tuple[FakeObject, ...] = ()

    def get_size(self) -> tuple[float, float]:
        return self.size

    def get_objects(self, filter: list[int], max_depth: int) -> list[FakeObject]:
        return list(self.objects)


@pytest.mark.parametrize(
    ("size", "read"),
    [
        ((300.0, 400.0), (300.0, 400.0)),
        ((0.5, 0.25), (1.0, 1.0)),
        ((0.0, 400.0), DEFAULT_PAGE_SIZE),
        ((300.0, 0.0), DEFAULT_PAGE_SIZE),
        ((300.0, -1.0), DEFAULT_PAGE_SIZE),
        ((math.inf, 400.0), DEFAULT_PAGE_SIZE),
        ((300.0, math.nan), DEFAULT_PAGE_SIZE),
    ],
)
def test_a_nonsense_page_size_reads_as_us_letter(size: tuple[float, float], read: tuple[float, float]):
    assert page_size(FakePage(size)) == read


def test_the_picture_share_counts_only_what_lies_on_the_page():
    page = FakePage(
        objects=(FakeObject((-50, -50, 50, 50)), FakeObject((90, 90, 200, 200)), FakeObject((10, 10, 5, 5)))
    )
    assert picture_share(page, (100.0, 100.0)) == pytest.approx((50 * 50 + 10 * 10) / 10_000)
    assert picture_share(FakePage(), (100.0, 100.0)) == 0.0


def test_the_picture_share_is_at_most_the_whole_page():
    page = FakePage(objects=(FakeObject((0, 0, 100, 100)), FakeObject((0, 0, 100, 100))))
    assert picture_share(page, (100.0, 100.0)) == 1.0
    overlapping = FakePage(objects=(FakeObject((0, 0, 100, 60)), FakeObject((0, 0, 100, 60))))
    assert picture_share(overlapping, (100.0, 100.0)) == 1.0


def test_only_so_many_pictures_are_looked_at(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(pdf_reader, "MAX_OBJECTS_SEEN", 2)
    page = FakePage(objects=tuple(FakeObject((0, 0, 10, 10)) for _ in range(5)))
    assert picture_share(page, (100.0, 100.0)) == pytest.approx(0.02)


@pytest.mark.parametrize(
    ("chars", "share", "wanted"),
    [(199, 0.0, True), (200, 0.0, False), (200, 0.35, True), (1499, 0.9, True), (1500, 0.9, False), (200, 0.34, False)],
)
def test_a_page_wants_an_image_when_it_has_little_text_or_is_mostly_pictures(chars: int, share: float, wanted: bool):
    assert wants_image(chars, share) is wanted


def _figure_pdf(width: int) -> bytes:
    """One page: an image `width` points wide on its left, and 10 lines of text (about 800 characters)."""
    jpeg = scan_jpeg(1, (400, 400))
    text = page_content(default_lines(1, 10))
    image = b"<< /Type /XObject /Subtype /Image /Width 400 /Height 400 /ColorSpace /DeviceGray"
    image += b" /BitsPerComponent 8 /Filter /DCTDecode /Length %d >>\nstream\n" % len(jpeg) + jpeg + b"\nendstream"
    body = b"q %d 0 0 792 0 0 cm /Im1 Do Q\n" % width + text
    return build_pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /MediaBox [0 0 612 792] /Count 1 /Kids [4 0 R] >>",
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
            b"<< /Type /Page /Parent 2 0 R /Resources << /Font << /F1 3 0 R >> /XObject << /Im1 6 0 R >> >>"
            b" /Contents 5 0 R >>",
            b"<< /Length %d >>\nstream\n" % len(body) + body + b"\nendstream",
            image,
        ]
    )


def _nested_figure_pdf(forms: int) -> bytes:
    """One page of 10 text lines and a picture covering it, drawn `forms` form XObjects deep."""
    jpeg = scan_jpeg(1, (400, 400))
    image = b"<< /Type /XObject /Subtype /Image /Width 400 /Height 400 /ColorSpace /DeviceGray"
    image += b" /BitsPerComponent 8 /Filter /DCTDecode /Length %d >>\nstream\n" % len(jpeg) + jpeg + b"\nendstream"

    def content(body: bytes) -> bytes:
        return b"/Length %d >>\nstream\n" % len(body) + body + b"\nendstream"

    draw = b"q 612 0 0 792 0 0 cm /Im1 Do Q\n"
    first = (b"/Fm1 Do\n" if forms else draw) + page_content(default_lines(1, 10))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /MediaBox [0 0 612 792] /Count 1 /Kids [4 0 R] >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Type /Page /Parent 2 0 R /Resources << /Font << /F1 3 0 R >> /XObject << %s >> >> /Contents 5 0 R >>"
        % (b"/Fm1 7 0 R" if forms else b"/Im1 6 0 R"),
        b"<< " + content(first),
        image,
    ]
    for depth in range(1, forms + 1):
        inner = b"/Im1 6 0 R" if depth == forms else b"/Fm1 %d 0 R" % (7 + depth)
        body = draw if depth == forms else b"/Fm1 Do\n"
        objects.append(
            b"<< /Type /XObject /Subtype /Form /BBox [0 0 612 792] /Resources << /XObject << %s >> >> " % inner
            + content(body)
        )
    return build_pdf(objects)


@pytest.mark.parametrize(("forms", "wanted"), [(0, True), (1, True), (2, False)])
def test_pictures_count_at_the_top_level_and_one_form_deep(forms: int, wanted: bool):
    [facts] = read_pdf(_nested_figure_pdf(forms), 1, 10_000)["pages"]
    assert 200 <= len(facts["text"]) < 1500 and facts["image"] is wanted


def _big_text_pdf() -> bytes:
    lines = b"".join(b"(Large line number %d is here) '\n" % n for n in range(20))
    body = b"BT /F1 36 Tf 20 760 Td 38 TL\n" + lines + b"ET"
    return build_pdf(pdf_objects([body]))


def test_text_covering_the_page_is_not_a_picture():
    [facts] = read_pdf(_big_text_pdf(), 1, 10_000)["pages"]
    assert 200 <= len(facts["text"]) < 1500 and not facts["image"]


def test_a_page_of_some_text_beside_a_large_picture_wants_an_image():
    [figure] = read_pdf(_figure_pdf(306), 10, 100_000)["pages"]
    assert 200 <= len(figure["text"]) < 1500 and figure["image"], "half the page is a picture"
    [text] = read_pdf(_figure_pdf(100), 10, 100_000)["pages"]
    assert not text["image"], "a small picture beside the text"


def test_a_blank_page_wants_no_image_and_says_so():
    raw = build_pdf(pdf_objects([None, page_content(["x"])]))
    blank, short = read_pdf(raw, 10, 1000)["pages"]
    assert blank == {"text": "", "w": 612, "h": 792, "image": False, "blank": True}
    assert short == {"text": "x", "w": 612, "h": 792, "image": True}


def test_a_whole_read_is_not_cut_and_says_whether_it_was_encrypted():
    raw = text_pdf(1, lines=2)
    result = read_pdf(raw, 1, 10_000)
    text = result["pages"][0]["text"]
    assert result == {
        "kind": "PDF",
        "total_pages": 1,
        "pages": [{"text": text, "w": 612, "h": 792, "image": True}],
        "cut": False,
        "encrypted": False,
    }
    assert read_pdf(raw, 1, len(text)) == result, "exactly the characters allowed is not a cut"


def test_reading_stops_when_the_characters_run_out_at_a_page_end():
    raw = text_pdf(3, lines=2)
    first = read_pdf(raw, 3, 10_000)["pages"][0]["text"]
    result = read_pdf(raw, 3, len(first))
    assert result["cut"] and [page["text"] for page in result["pages"]] == [first]


@pytest.mark.parametrize(
    ("code", "kind", "message"),
    [
        (0, "empty", "it has no pages"),
        (
            4,
            "password",
            "it is protected with a password; remove the password (print or export it again) and attach it",
        ),
        (5, "password", "it uses a security handler PDFium does not support; export it again without protection"),
        (3, "damaged", "it is damaged or not a complete PDF file"),
        (None, "damaged", "it is damaged or not a complete PDF file"),
    ],
)
def test_pdfiums_load_errors_become_refusals_a_user_can_act_on(
    monkeypatch: pytest.MonkeyPatch, code: int | None, kind: str, message: str
):
    # PDFium keeps its last error across loads in one process; the reader process loads one
    # document, so the codes are faked here (test_document_reader_process.py reads real files).
    def refuse(_data: bytes) -> None:
        raise pdf_reader.pdfium.PdfiumError("Failed to load document", err_code=code)

    monkeypatch.setattr(pdf_reader.pdfium, "PdfDocument", refuse)
    with pytest.raises(ReaderError) as caught:
        open_pdf(b"%PDF-")
    assert (caught.value.kind, caught.value.message) == (kind, message)


def test_a_page_pdfium_cannot_load_is_marked_unreadable():
    objects = pdf_objects([page_content(["one"]), page_content(["two"])])
    objects[1] = objects[1].replace(b"/Kids [4 0 R 6 0 R]", b"/Kids [4 0 R 3 0 R]")  # page 2 is a font
    result = read_pdf(build_pdf(objects), 10, 1000)
    assert result["total_pages"] == 2 and result["pages"][0]["text"] == "one"
    assert result["pages"][1] == {"text": "", "w": 612.0, "h": 792.0, "image": False, "bad": True}


def test_pages_render_at_their_scale_greyscale_without_colour():
    grey = scanned_pdf(1, size=(400, 520))
    header, [blob] = render_pdf(grey, [[0, 0.5]])
    assert header == {"pages": [[0, 306, 396]]}
    with Image.open(io.BytesIO(blob)) as image:
        assert (image.format, image.mode, image.size) == ("JPEG", "L", (306, 396))
    colour = build_pdf(pdf_objects([None], {0: scan_jpeg(1, (400, 520), colour=True)}))
    _, [blob] = render_pdf(colour, [[0, 0.25]])
    with Image.open(io.BytesIO(blob)) as image:
        assert (image.mode, image.size) == ("RGB", (153, 198))


def test_a_page_rendering_larger_than_allowed_is_refused(monkeypatch: pytest.MonkeyPatch):
    raw = text_pdf(2, lines=1)
    pixels = math.ceil(612 * 0.1) * math.ceil(792 * 0.1)  # 62 x 80
    monkeypatch.setattr(pdf_reader, "MAX_RENDER_PIXELS", math.ceil(pixels / 1.05))
    assert render_pdf(raw, [[1, 0.1]])[0] == {"pages": [[1, 62, 80]]}
    monkeypatch.setattr(pdf_reader, "MAX_RENDER_PIXELS", math.ceil(pixels / 1.05) - 1)
    with pytest.raises(ReaderError) as caught:
        render_pdf(raw, [[1, 0.1]])
    assert (caught.value.kind, caught.value.message) == ("limit", "page 2 would render larger than the plugin allows")


@pytest.mark.parametrize(("green", "mode"), [(112, "L"), (113, "RGB"), (88, "L"), (87, "RGB")])
def test_a_page_is_greyscale_when_its_channels_differ_by_scanner_noise_only(green: int, mode: str):
    with Image.open(io.BytesIO(_jpeg(Image.new("RGB", (80, 80), (100, green, 100))))) as image:
        assert (image.format, image.mode) == ("JPEG", mode)


def test_the_picture_share_is_measured_on_a_page_that_is_not_square():
    wide = FakePage(objects=(FakeObject((150, 0, 250, 100)),))
    assert picture_share(wide, (200.0, 100.0)) == pytest.approx(50 * 100 / 20_000), "clipped at the right edge"
    tall = FakePage(objects=(FakeObject((0, 150, 100, 250)),))
    assert picture_share(tall, (100.0, 200.0)) == pytest.approx(50 * 100 / 20_000), "clipped at the top edge"


def test_pictures_with_no_area_on_the_page_count_nothing_and_thin_ones_count():
    flipped = FakePage(objects=(FakeObject((0, 50, 10, 40)), FakeObject((0, 50, 10, 40)[::-1])))
    assert picture_share(flipped, (100.0, 100.0)) == 0.0
    thin = FakePage(objects=(FakeObject((0, 0, 0.5, 100)), FakeObject((0, 0, 100, 0.5))))
    assert picture_share(thin, (100.0, 100.0)) == pytest.approx(100 / 10_000)


def test_one_character_left_still_reads_the_next_page():
    raw = text_pdf(2, lines=2)
    first = read_pdf(raw, 2, 10_000)["pages"][0]["text"]
    result = read_pdf(raw, 2, len(first) + 1)
    assert [len(page["text"]) for page in result["pages"]] == [len(first), 1] and result["cut"]


def test_a_single_page_cut_short_is_a_cut():
    result = read_pdf(text_pdf(1, lines=2), 1, 10)
    assert result["cut"] and len(result["pages"][0]["text"]) == 10


def test_pages_after_one_pdfium_cannot_load_are_read():
    objects = pdf_objects([page_content(["one"]), page_content(["two"]), page_content(["three"])])
    objects[1] = objects[1].replace(b"/Kids [4 0 R 6 0 R 8 0 R]", b"/Kids [4 0 R 3 0 R 8 0 R]")
    pages = read_pdf(build_pdf(objects), 10, 1000)["pages"]
    assert [page["text"] for page in pages] == ["one", "", "three"] and pages[1]["bad"]


def test_a_page_rendering_at_exactly_the_allowance_is_rendered(monkeypatch: pytest.MonkeyPatch):
    raw = build_pdf(pdf_objects([page_content(["x"])], mediabox=(0, 0, 6, 14)))  # 3 x 7 pixels at scale 0.5
    monkeypatch.setattr(pdf_reader, "MAX_RENDER_PIXELS", 20)  # 20 * 1.05 == 21
    assert render_pdf(raw, [[0, 0.5]])[0] == {"pages": [[0, 3, 7]]}


def test_rendered_colours_keep_their_channels():
    colour = build_pdf(pdf_objects([None], {0: scan_jpeg(1, (400, 520), colour=True)}))
    _, [blob] = render_pdf(colour, [[0, 0.25]])
    with Image.open(io.BytesIO(blob)) as image:
        red, green, blue = image.convert("RGB").getpixel((5, 5))
    assert red > green > blue, "the scan's sheet is orange-brown (shade, shade / 2, 40)"


def test_page_images_are_jpeg_at_quality_85():
    with Image.open(io.BytesIO(_jpeg(Image.new("RGB", (80, 80), (10, 200, 30))))) as image:
        assert image.quantization[0][:4] == [5, 3, 3, 5]


def _form_pdf() -> bytes:
    """One page whose only content is a form field's widget, drawn black by its appearance stream."""
    appearance = b"0 0 0 rg 0 0 300 300 re f"
    return build_pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [4 0 R] >> >>",
            b"<< /Type /Pages /MediaBox [0 0 612 792] /Count 1 /Kids [3 0 R] >>",
            b"<< /Type /Page /Parent 2 0 R /Annots [4 0 R] /Contents 6 0 R >>",
            b"<< /Type /Annot /Subtype /Widget /FT /Tx /T (f) /V (hello) /Rect [100 100 400 400] /P 3 0 R"
            b" /AP << /N 5 0 R >> /F 4 >>",
            b"<< /Type /XObject /Subtype /Form /BBox [0 0 300 300] /Length %d >>\nstream\n" % len(appearance)
            + appearance
            + b"\nendstream",
            b"<< /Length 0 >>\nstream\n\nendstream",
        ]
    )


def test_filled_in_form_fields_are_drawn_on_the_page_image():
    _, [blob] = render_pdf(_form_pdf(), [[0, 0.25]])
    with Image.open(io.BytesIO(blob)) as image:
        assert image.convert("L").getpixel((60, 140)) < 40, "the field's widget"
        assert image.convert("L").getpixel((5, 5)) > 215, "the blank page around it"

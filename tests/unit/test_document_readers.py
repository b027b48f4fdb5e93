"""The readers themselves (in this process, on benign files): what text comes out, in what order,
and what is left out. Hostile files only ever go through the reader process
(test_document_reader_process.py)."""

from __future__ import annotations

import pytest

from models.vision_utils.document.docx_reader import read_docx
from models.vision_utils.document.html_reader import MAX_NESTING, html_text, nesting_estimate
from models.vision_utils.document.pdf_reader import LOW_TEXT_CHARS, read_pdf
from models.vision_utils.document.protocol import ReaderError
from testkit.documents import encrypted_pdf, scanned_pdf, text_pdf
from testkit.hostile_documents import W_NS, docx, docx_laughs, docx_xxe, word_xml, xlsx_like, zip_of


def docx_text(raw: bytes, max_chars: int = 100_000) -> str:
    return read_docx(raw, max_chars)["pages"][0]["text"]


def test_word_text_comes_in_document_order_with_tables_as_rows():
    raw = docx(["Title", "Before the table."], table=[["A1", "B1"], ["A2", "B2"]])
    assert docx_text(raw) == "Title\nBefore the table.\nA1\tB1\nA2\tB2"


def test_hidden_deleted_and_fallback_text_is_left_out():
    body = (
        "<w:p><w:r><w:t>shown</w:t></w:r><w:r><w:rPr><w:vanish/></w:rPr><w:t>HIDDEN</w:t></w:r></w:p>"
        "<w:p><w:del><w:r><w:delText>DELETED</w:delText></w:r></w:del><w:r><w:t>kept</w:t></w:r></w:p>"
        '<w:p><w:r><w:rPr><w:vanish w:val="0"/></w:rPr><w:t>visible again</w:t></w:r></w:p>'
        '<w:p><w:r><w:instrText>HYPERLINK "x"</w:instrText><w:t>link</w:t></w:r></w:p>'
    )
    text = docx_text(docx([], document_xml=word_xml(body)))
    assert text == "shown\nkept\nvisible again\nlink"


def test_word_reading_stops_at_the_characters_asked_for():
    result = read_docx(docx(["x" * 1000] * 50), 2500)
    assert result["cut"] and len(result["pages"][0]["text"]) == 2500


def test_the_main_part_is_found_through_the_package_relationships():
    rels = (
        b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        b'<Relationship Id="r" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
        b'officeDocument" Target="/word/main2.xml"/></Relationships>'
    )
    raw = zip_of({"_rels/.rels": rels, "word/main2.xml": word_xml(f"<w:p><w:r><w:t>{W_NS[:4]}</w:t></w:r></w:p>")})
    assert docx_text(raw) == "http"


@pytest.mark.parametrize(
    ("raw", "kind", "says"),
    [
        (docx_laughs(), "format", "DTD"),
        (docx_xxe(), "format", "DTD"),
        (xlsx_like(), "format", "Excel workbook"),
        (zip_of({"notes.txt": b"hi"}), "format", "a ZIP archive, not a Word document"),
        (docx([], document_xml=b"<w:document><unclosed>"), "damaged", "not well-formed"),
    ],
)
def test_word_refusals_say_why(raw, kind, says):
    with pytest.raises(ReaderError, match=says) as caught:
        read_docx(raw, 1000)
    assert caught.value.kind == kind


def test_html_keeps_what_a_browser_shows():
    page = b"""<!doctype html><html><head><title>The  title</title><style>p{}</style>
    <script>document.write("SCRIPT")</script></head><body><h1>Heading</h1>
    <p>Para <b>bold</b>
       continues</p><div hidden>HIDDEN</div><p style="display : none">NONE</p>
    <noscript>NOSCRIPT</noscript><template>TEMPLATE</template><svg><text>SVG</text></svg>
    <table><tr><td>a<td>b<tr><td>c<td>d</table><pre>def f():
        return 1</pre>line<br>break &amp; caf\xc3\xa9</body></html>"""
    text, cut = html_text(page, 10_000)
    assert not cut
    # (the <pre> keeps the 8 spaces this test's own indentation put in it)
    assert text == (
        "The title\n\nHeading\nPara bold continues\na\tb\nc\td\n\ndef f():\n        return 1\nline\nbreak & café"
    )


def test_html_nested_deeper_than_any_page_is_refused_before_parsing():
    assert nesting_estimate(b"<div>" * 10 + b"<p>x<br><img>" * 100 + b"</div>" * 10) == 10
    with pytest.raises(ReaderError, match="nested more than") as caught:
        html_text(b"<div>" * (MAX_NESTING + 1), 1000)
    assert caught.value.kind == "nesting"


def test_pdf_pages_come_with_their_text_size_and_whether_they_want_an_image():
    result = read_pdf(scanned_pdf(3, text_pages=[2]), max_pages=10, max_chars=100_000)
    assert result["total_pages"] == 3 and not result["cut"]
    first, second, third = result["pages"]
    assert first["text"] == "" and first["image"] and (first["w"], first["h"]) == (612, 792)
    assert second["text"].startswith("Page 2 line 1: The quick brown fox") and not second["image"]
    assert len(second["text"]) > LOW_TEXT_CHARS and third["image"]


def test_pdf_reading_stops_at_the_page_and_character_limits():
    pages = read_pdf(text_pdf(10), max_pages=4, max_chars=1_000_000)
    assert (pages["total_pages"], len(pages["pages"]), pages["cut"]) == (10, 4, False)
    chars = read_pdf(text_pdf(10), max_pages=10, max_chars=5000)
    assert chars["cut"] and sum(len(page["text"]) for page in chars["pages"]) == 5000
    assert len(chars["pages"]) == 2


def test_pdf_with_a_user_password_is_refused_and_an_owner_only_one_is_read():
    with pytest.raises(ReaderError, match="protected with a password") as caught:
        read_pdf(encrypted_pdf("secret"), 10, 1000)
    assert caught.value.kind == "password"
    owner_only = read_pdf(encrypted_pdf(""), 10, 100_000)
    assert owner_only["encrypted"] and owner_only["pages"][0]["text"].startswith("Page 1 line 1")

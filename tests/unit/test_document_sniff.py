"""What a document is comes from its bytes; Dify's MIME guess and extension only name the kind of text."""

from __future__ import annotations

import gzip

import pytest

from models.vision_utils.document.cleanup import clean_text
from models.vision_utils.document.encoding import decode_text
from models.vision_utils.document.sniff import SUPPORTED, NotReadable, sniff
from testkit.documents import text_pdf
from testkit.hostile_documents import docx
from testkit.images import encode, photo


def test_a_pdf_is_a_pdf_whatever_dify_called_it():
    assert sniff(text_pdf(1), "text/plain", "notes.txt").reader == "pdf"
    # Readers accept the header anywhere in the first kilobyte.
    assert sniff(b"\x00" * 500 + text_pdf(1), "application/octet-stream").reader == "pdf"


def test_a_zip_goes_to_the_word_reader_which_tells_word_from_other_zips():
    assert sniff(docx(["hello"]), "application/pdf", "renamed.pdf") == sniff(docx(["x"]))
    assert sniff(docx(["hello"])).reader == "docx"


@pytest.mark.parametrize(
    ("raw", "mime", "name", "kind"),
    [
        (b"# Title\n\nSome *markdown*.", "text/markdown", "notes.md", "Markdown"),
        (b"a,b\n1,2\n", "text/csv", "table.csv", "CSV"),
        (b'{"a": [1, 2]}', "application/json", "data.json", "JSON"),
        (b"plain words", "text/plain", "readme.txt", "text"),
        (b"<?xml version='1.0'?><a>x</a>", "application/xml", "data.xml", "text"),  # text is text
        (b"\xef\xbb\xbfwith a BOM", "", "", "text"),
    ],
)
def test_text_files_are_read_as_text_and_named_by_their_kind(raw, mime, name, kind):
    found = sniff(raw, mime, name)
    assert (found.reader, found.kind) == ("text", kind)


def test_html_is_recognised_by_content_or_by_its_name():
    assert sniff(b"  <!DOCTYPE html><html><body>x</body></html>").reader == "html"
    assert sniff(b"\xef\xbb\xbf<html><p>x</p></html>").reader == "html"
    assert sniff(b"<p>fragment</p>", "text/html", "page.htm").reader == "html"
    assert sniff(b"<p>fragment</p>", "text/plain", "snippet.txt").reader == "text"


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        (b"", "it is empty"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100), "older Office file"),
        (encode(photo(40, 30), "PNG"), "it is an image"),
        (gzip.compress(b"hello"), "gzip archive"),
        (b"\x00\x01\x02binary\x00" * 50, "binary file"),
    ],
)
def test_other_kinds_are_refused_with_what_they_are(raw, says):
    with pytest.raises(NotReadable, match=says):
        sniff(raw, "application/pdf", "file.pdf")
    assert "DOCX" in SUPPORTED and "Markdown" in SUPPORTED


def test_text_decoding_prefers_utf8_then_a_declared_charset_then_gb18030():
    assert decode_text("naïve café".encode()) == "naïve café"
    assert decode_text("中文文本".encode("gb18030")) == "中文文本"
    assert decode_text("UTF-16 text".encode("utf-16")) == "UTF-16 text"
    html = b'<meta charset="shift_jis">' + "日本語".encode("shift_jis")
    assert decode_text(html, html=True).endswith("日本語")
    assert decode_text(b"caf\xe9 au lait") == "café au lait"  # not valid GB18030 either: Windows-1252


def test_cleaning_removes_controls_bidi_tricks_and_padding():
    text = "line\r\nnext\x00\u202eevil\ud800\n\n\n\n\nend" + " " * 50 + "x   \n"
    assert clean_text(text) == "line\nnextevil\n\nend" + " " * 16 + "x"

"""Where a document's bytes come from (source.py), what kind of file they are (sniff.py) and the
limits an administrator sets for reading them (limits.py)."""

from __future__ import annotations

import base64

import pytest
from dify_plugin.entities.model.message import DocumentPromptMessageContent

from models.vision_utils.document import limits as limits_module
from models.vision_utils.document import source
from models.vision_utils.document.limits import MAX_DOCUMENT_BYTES, DocumentLimits
from models.vision_utils.document.reader import ReaderLimits
from models.vision_utils.document.sniff import NotReadable, Sniffed, looks_like_text, sniff
from models.vision_utils.document.source import display_name, document_bytes
from provider.errors.tree import DocumentError
from provider.settings import Settings, read_settings


def part(**fields: str) -> DocumentPromptMessageContent:
    return DocumentPromptMessageContent(**{"format": "", "mime_type": "application/pdf", **fields})


@pytest.mark.parametrize(
    ("fields", "name"),
    [
        ({"filename": "report.pdf", "format": "txt"}, "report.pdf"),
        ({"format": "pdf"}, "document.pdf"),
        ({}, "document"),
        ({"filename": 'a"b<c>d`e\x00f\u202eg.pdf'}, "abcdefg.pdf"),
        ({"filename": '"<>`'}, "document"),
        ({"filename": "X-ray.pdf"}, "X-ray.pdf"),
        ({"filename": "n" * 130}, "n" * 120),
    ],
)
def test_the_display_name_is_the_file_name_made_safe_to_quote(fields: dict, name: str):
    assert display_name(part(**fields)) == name


def test_inline_data_is_decoded_up_to_the_size_cap():
    raw = b"x" * 12
    assert document_bytes(part(base64_data=base64.b64encode(raw).decode()), 12) == raw
    uri = "data:application/pdf;base64," + base64.b64encode(raw).decode()
    assert document_bytes(part(url=uri), 9) == raw, "the cap allows for the padding of the last quantum"
    with pytest.raises(DocumentError) as caught:
        document_bytes(part(base64_data=base64.b64encode(raw).decode()), 8)
    assert str(caught.value) == "it is larger than the 0 MB AtlasCloud accepts in one request"
    with pytest.raises(DocumentError, match="larger than the 2 MB"):
        document_bytes(part(base64_data="AAAA" * (2**20)), 2 * 2**20 + 2**19)


@pytest.mark.parametrize("data", ["not base64!", "QUJD*", "QUJDQUJDQUJDQUJDQ"])
def test_data_that_is_not_base64_is_refused(data: str):
    with pytest.raises(DocumentError) as caught:
        document_bytes(part(base64_data=data), 9)
    assert str(caught.value) == "its data is not valid base64"


def test_a_url_is_downloaded_and_a_part_without_data_refused(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(source, "fetch_document", lambda url: url.encode())
    assert document_bytes(part(url="https://files.example/a.pdf"), 1) == b"https://files.example/a.pdf"
    with pytest.raises(DocumentError) as caught:
        document_bytes(part(), 100)
    assert str(caught.value) == "the document part has neither data nor a URL"


@pytest.mark.parametrize(
    ("mime", "filename", "extension", "kind"),
    [
        ("Text/Markdown; charset=utf-8", "", "", "Markdown"),
        ("", "", ".CSV", "CSV"),
        ("", "data.v2.JSON", "", "JSON"),
        ("", "README", "", "text"),
        ("application/octet-stream", "notes.mdx", "", "Markdown"),
    ],
)
def test_the_kind_of_text_comes_from_the_mime_type_extension_or_file_name(
    mime: str, filename: str, extension: str, kind: str
):
    assert sniff(b"a,b\n", mime, filename, extension) == Sniffed("text", kind)


def test_html_is_recognised_after_comments_and_a_byte_order_mark():
    assert sniff(b"<!-- saved page -->\n<!-- x --><HEAD><title>t</title>").reader == "html"
    assert sniff(b"\xef\xbb\xbf\n<body>x</body>").reader == "html"
    assert sniff(b"<bodybuilder>").reader == "text"
    assert sniff(b" " * 4100 + b"<html>").reader == "text", "only the first 4 kB are looked at"
    assert sniff(b" " * 4091 + b"<html>").reader == "text", "its '>' is the 4,097th byte"
    assert sniff(b" " * 4090 + b"<html>").reader == "html"
    assert sniff(b"<p>x</p>", "", "", "XHTML").kind == "HTML"


@pytest.mark.parametrize(
    ("raw", "what"),
    [
        (b"Rar!\x1a\x07\x00", "a RAR archive"),
        (b"7z\xbc\xaf\x27\x1c\x00\x04", "a 7-Zip archive"),
        (b"ID3\x04\x00", "an audio file"),
        (b"OggS\x00\x02", "an audio or video file"),
        (b"fLaC\x00\x00", "an audio file"),
        (b"\x1a\x45\xdf\xa3\x01\x00", "a video file"),
    ],
)
def test_other_binary_formats_are_named(raw: bytes, what: str):
    with pytest.raises(NotReadable) as caught:
        sniff(raw + bytes(50))
    assert str(caught.value) == f"it is {what}"


def test_an_empty_zip_goes_to_the_word_reader_and_old_office_files_are_named():
    assert sniff(b"PK\x05\x06" + bytes(18)) == Sniffed("docx", "DOCX")
    with pytest.raises(NotReadable) as caught:
        sniff(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")
    assert str(caught.value) == ("it is an older Office file (DOC, XLS, PPT, MSG) or a password-protected Office file")


@pytest.mark.parametrize(
    ("raw", "said"),
    [
        (b"", "it is empty"),
        (b"\x89PNG\r\n\x1a\n" + bytes(40), "it is an image; attach it as an image instead"),
        (b"\x00binary", "it is a binary file of a kind the plugin does not read"),
    ],
)
def test_what_cannot_be_read_is_said_in_words(raw: bytes, said: str):
    with pytest.raises(NotReadable) as caught:
        sniff(raw)
    assert str(caught.value) == said


def test_a_pdf_is_named_pdf():
    assert sniff(b"%PDF-1.7\n") == Sniffed("pdf", "PDF")


def test_utf16_text_is_text_though_it_holds_nul_bytes():
    assert sniff("plain words".encode("utf-16")) == Sniffed("text", "text")


@pytest.mark.parametrize(("code", "counted"), [(1, True), (8, True), (9, False), (10, False), (11, True), (12, False),
                                               (13, False), (14, True), (26, True), (27, False), (28, True),
                                               (31, True), (32, False)])  # fmt: skip
def test_text_has_few_control_bytes_tab_newline_and_escape_are_not_counted(code: int, counted: bool):
    assert looks_like_text(bytes([code]) + b"x" * 9) is not counted, "one control byte in 10 is too many"


def test_one_control_byte_in_twenty_is_still_text():
    assert looks_like_text(b"\x01" + b"x" * 19)
    assert not looks_like_text(b"\x01" + b"x" * 18)


def test_only_the_first_8_kb_are_probed():
    assert looks_like_text(b"x" * 8192 + b"\x00" * 100)
    assert not looks_like_text(b"x" * 8191 + b"\x00")


def test_the_limits_default_to_the_settings_defaults():
    limits = DocumentLimits()
    assert (limits.max_pages, limits.max_chars, limits.max_tokens) == (500, 400_000, 120_000)
    assert (limits.request_max_chars, limits.request_max_tokens, limits.page_images) == (1_000_000, 200_000, 50)
    assert limits.reader == ReaderLimits(256, 60.0) and limits.max_bytes == MAX_DOCUMENT_BYTES == 50 * 2**20


def test_a_documents_share_is_never_more_than_the_requests():
    values = read_settings(
        {
            "ATLASCLOUD_DOCUMENT_MAX_CHARS": "5000",
            "ATLASCLOUD_DOCUMENT_REQUEST_MAX_CHARS": "3000",
            "ATLASCLOUD_DOCUMENT_MAX_TOKENS": "900",
            "ATLASCLOUD_DOCUMENT_REQUEST_MAX_TOKENS": "700",
            "ATLASCLOUD_DOCUMENT_READ_MEMORY_MB": "512",
            "ATLASCLOUD_DOCUMENT_READ_TIMEOUT_S": "9.5",
        },
        warn=lambda _: None,
    )
    limits = DocumentLimits.from_settings(values)
    assert (limits.max_chars, limits.request_max_chars, limits.max_tokens, limits.request_max_tokens) == (
        3000,
        3000,
        700,
        700,
    )
    assert limits.reader == ReaderLimits(512, 9.5)
    smaller = DocumentLimits.from_settings(Settings(document_max_chars=2000, document_max_tokens=300))
    assert (smaller.max_chars, smaller.max_tokens) == (2000, 300)


def test_without_values_the_processs_settings_are_used(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(limits_module, "settings", lambda: Settings(document_max_pages=7))
    assert DocumentLimits.from_settings().max_pages == 7

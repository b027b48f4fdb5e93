"""Downloading a document (fetch_document) under the image download's policy: what counts as
a document's first bytes, the Accept header it asks with, and its own uniform error and log line."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from models.vision_utils.download import fetch
from models.vision_utils.download import url_policy as ssrf
from models.vision_utils.download.fetch import FetchSettings, fetch_document, fetch_image, looks_like_document
from provider.errors.tree import DownloadError, FetchFailed
from testkit import fetch_servers as fs

PDF = b"%PDF-1.7\n" + b"x" * 200


@pytest.mark.parametrize(
    ("start", "document"),
    [
        (b"%PDF-1.4\n%\xe2\xe3\xcf\xd3", True),
        (b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00", True),  # DOCX, XLSX, PPTX
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\x00\x00\x00\x00", True),  # old Office
        (b"\xef\xbb\xbfhello", True),  # UTF-8 with its byte order mark
        (b"\xff\xfeh\x00i\x00", True),  # UTF-16 LE: NUL bytes, but its byte order mark says text
        (b"\xfe\xff\x00h\x00i", True),
        (b"# Notes\nplain text", True),
        (b"a", True),
        (b"", False),
        (b"ab\x00cd", False),  # binary
        (b"\x00\x00\x00\x18ftypmp42", False),  # a video
    ],
)
def test_a_document_starts_like_a_known_format_or_like_text(start, document):
    assert looks_like_document(start) is document


class Response:
    def __init__(self, body: bytes) -> None:
        self.headers = [(b"Content-Type", b"application/octet-stream")]
        self.body = body

    def iter_stream(self):
        yield self.body


def test_a_body_that_is_not_a_document_is_named_so():
    with pytest.raises(FetchFailed, match=r"^the body is not a document$"):
        fetch._read_body(Response(b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 40), 1000, fetch.DOCUMENT_BODY)
    with pytest.raises(FetchFailed, match=r"^the body is not an image$"):
        fetch._read_body(Response(PDF), 1000, fetch.IMAGE_BODY)
    assert fetch._read_body(Response(PDF), 1000, fetch.DOCUMENT_BODY) == PDF


@pytest.fixture
def server() -> Iterator[fs.ScriptedServer]:
    running = fs.serving(("/report.pdf", fs.image(PDF, "application/pdf")), ("/page", fs.status(404)))
    yield running
    running.stop()


def allowing(server: fs.ScriptedServer) -> FetchSettings:
    allowlist, _ = ssrf.parse_allowlist(f"127.0.0.1:{server.port}")
    return FetchSettings(allowlist=allowlist, timeout_s=5.0)


def test_a_document_is_downloaded_asking_for_any_type(server):
    assert fetch_document(server.url("/report.pdf"), allowing(server)) == PDF
    assert [line for line in server.seen.header_lines[0] if line.startswith("Accept:")] == ["Accept: */*"]


def test_a_pdf_is_not_accepted_where_an_image_is_expected(server, caplog):
    with pytest.raises(DownloadError) as failed:
        fetch_image(server.url("/report.pdf"), allowing(server))
    assert str(failed.value) == fetch.UNIFORM_ERROR
    assert f"image download failed: {server.url('/report.pdf')}: FetchFailed: the body is not an image" in caplog.text


def test_a_failed_document_download_has_its_own_uniform_error_and_log_line(server, caplog):
    with pytest.raises(DownloadError) as failed:
        fetch_document(server.url("/page?token=SECRET"), allowing(server))
    assert str(failed.value) == fetch.DOCUMENT_UNIFORM_ERROR == "the document could not be downloaded from its URL"
    messages = [record.getMessage() for record in caplog.records if record.name == fetch.logger.name]
    assert messages == [
        f"document download failed: http://127.0.0.1:{server.port}/page?<query removed>: FetchFailed: HTTP 404"
    ]


def test_a_download_without_a_kind_is_an_image_download(server):
    with pytest.raises(FetchFailed, match=r"^the body is not an image$"):
        fetch.download(server.url("/report.pdf"), allowing(server))

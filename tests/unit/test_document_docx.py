"""The Word reader in this process, on small documents built here: which text a user's model gets
(runs, tabs, breaks, table cells, hidden runs), where reading stops, and why a file is refused."""

from __future__ import annotations

import io
import zipfile

import pytest

from models.vision_utils.document import docx_reader
from models.vision_utils.document.docx_reader import _parser, _stream, read_docx
from models.vision_utils.document.protocol import ReaderError
from testkit.hostile_documents import docx, word_xml, zip_of

OFFICE_DOCUMENT = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"


def text_of(body: str, max_chars: int = 100_000) -> str:
    return read_docx(docx([], document_xml=word_xml(body)), max_chars)["pages"][0]["text"]


def run(inner: str, properties: str = "") -> str:
    return f"<w:r>{properties}{inner}</w:r>"


def test_a_word_document_is_one_page_of_text():
    assert read_docx(docx(["Hello"]), 1000) == {
        "kind": "DOCX",
        "total_pages": 1,
        "pages": [{"text": "Hello", "w": 0, "h": 0, "image": False}],
        "cut": False,
    }


def test_tabs_breaks_and_hyphens_inside_a_run_become_text():
    body = "<w:p>" + run("<w:t>a</w:t><w:tab/><w:t>b</w:t><w:br/><w:t>c</w:t><w:cr/><w:t>d</w:t>")
    body += run("<w:t>e</w:t><w:noBreakHyphen/><w:t>f</w:t>") + "</w:p>"
    assert text_of(body) == "a\tb\nc\nd" + "e-f"


def test_a_tab_outside_a_run_is_not_text():
    assert text_of("<w:p><w:pPr><w:tabs><w:tab/></w:tabs></w:pPr>" + run("<w:t>x</w:t>") + "</w:p>") == "x"


@pytest.mark.parametrize(
    ("vanish", "shown"),
    [
        ("<w:vanish/>", False),
        ('<w:vanish w:val="true"/>', False),
        ('<w:vanish w:val="1"/>', False),
        ('<w:vanish w:val="on"/>', False),
        ('<w:vanish w:val="0"/>', True),
        ('<w:vanish w:val="False"/>', True),
        ('<w:vanish w:val="off"/>', True),
    ],
)
def test_a_run_hidden_from_the_reader_is_left_out(vanish: str, shown: bool):
    body = "<w:p>" + run("<w:t>hidden?</w:t><w:tab/>", f"<w:rPr>{vanish}</w:rPr>") + run("<w:t>next</w:t>") + "</w:p>"
    assert text_of(body) == ("hidden?\tnext" if shown else "next"), "the next run is visible again"


def test_a_hidden_paragraph_mark_does_not_hide_the_paragraphs_text():
    body = "<w:p><w:pPr><w:rPr><w:vanish/></w:rPr></w:pPr>" + run("<w:t>kept</w:t>") + "</w:p>"
    assert text_of(body) == "kept"


def test_deleted_text_and_its_breaks_are_left_out_and_text_outside_w_t_is_ignored():
    body = "<w:p><w:del>" + run("<w:delText>gone</w:delText><w:tab/>") + "</w:del>"
    body += run("<w:instrText>PAGE</w:instrText>") + "<w:proofErr/>stray" + run("<w:t>kept</w:t>") + "</w:p>"
    assert text_of(body) == "kept"


def test_table_cells_are_tab_separated_and_rows_are_lines():
    cell = "<w:tc><w:p>" + run("<w:t>{}</w:t>") + "</w:p>{}</w:tc>"
    two_paragraphs = cell.format("a", "<w:p>" + run("<w:t>more</w:t>") + "</w:p>")
    empty = "<w:tc></w:tc>"
    cells = f"{two_paragraphs}{cell.format('b', '')}{empty}{cell.format('c', '')}"
    body = f"<w:tbl><w:tr>{cells}</w:tr></w:tbl><w:p>{run('<w:t>after</w:t>')}</w:p>"
    assert text_of(body) == "a more\tb\t\tc\nafter"


def test_reading_stops_once_the_characters_asked_for_are_in():
    raw = docx(["abc"])
    assert read_docx(raw, 4) == {**read_docx(raw, 100), "cut": False}, "abc and its line end fit in 4"
    cut = read_docx(raw, 3)
    assert cut["cut"] and cut["pages"][0]["text"] == "abc"
    assert read_docx(docx(["abcdef"]), 3)["pages"][0]["text"] == "abc"


def rels(*targets: tuple[str, str]) -> bytes:
    entries = "".join(
        f'<Relationship Id="r{n}" Type="{kind}" Target="{target}"/>' for n, (kind, target) in enumerate(targets)
    )
    return f'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">{entries}</Relationships>'.encode()


def test_the_main_part_is_the_first_office_document_relationship_that_exists():
    main = word_xml("<w:p>" + run("<w:t>main</w:t>") + "</w:p>")
    usual = word_xml("<w:p>" + run("<w:t>usual</w:t>") + "</w:p>")
    styles = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles"
    found = zip_of({"_rels/.rels": rels((styles, "word/document.xml"), (OFFICE_DOCUMENT, "/w/main.xml")),
                    "w/main.xml": main, "word/document.xml": usual})  # fmt: skip
    assert read_docx(found, 100)["pages"][0]["text"] == "main"
    missing = zip_of({"_rels/.rels": rels((OFFICE_DOCUMENT, "w/gone.xml")), "word/document.xml": usual})
    assert read_docx(missing, 100)["pages"][0]["text"] == "usual"
    no_target = zip_of({"_rels/.rels": rels(), "word/document.xml": usual})
    assert read_docx(no_target, 100)["pages"][0]["text"] == "usual"


def test_a_relationship_without_a_target_falls_back_to_the_usual_name():
    raw = zip_of(
        {
            "_rels/.rels": rels((OFFICE_DOCUMENT, "")).replace(b' Target=""', b""),
            "word/document.xml": word_xml("<w:p>" + run("<w:t>usual</w:t>") + "</w:p>"),
        }
    )
    assert read_docx(raw, 100)["pages"][0]["text"] == "usual"


def test_an_oversized_relationships_part_is_not_read(monkeypatch: pytest.MonkeyPatch):
    part = rels((OFFICE_DOCUMENT, "w/main.xml"))
    raw = zip_of({"_rels/.rels": part, "w/main.xml": word_xml("<w:p>" + run("<w:t>main</w:t>") + "</w:p>"),
                  "word/document.xml": word_xml("<w:p>" + run("<w:t>usual</w:t>") + "</w:p>")})  # fmt: skip
    monkeypatch.setattr(docx_reader, "MAX_RELS_BYTES", len(part))
    assert read_docx(raw, 100)["pages"][0]["text"] == "main", "a part of exactly the cap is read"
    monkeypatch.setattr(docx_reader, "MAX_RELS_BYTES", len(part) - 1)
    assert read_docx(raw, 100)["pages"][0]["text"] == "usual"


def test_bytes_inflated_past_the_cap_stop_the_stream_whatever_the_header_says():
    data = b"<a>" + b" " * 3000 + b"</a>"
    archive = zipfile.ZipFile(io.BytesIO(zip_of({"x.xml": data})))
    info = archive.getinfo("x.xml")
    _stream(archive, info, _parser(), len(data))  # exactly the cap: read whole
    with pytest.raises(ReaderError) as caught:
        _stream(archive, info, _parser(), len(data) - 1)
    assert caught.value.message == "its text part inflates past 0 MB"
    assert caught.value.kind == "limit"


def test_a_large_part_is_streamed_in_chunks_and_read_whole(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(docx_reader, "CHUNK_BYTES", 7)
    assert text_of("<w:p>" + run("<w:t>streamed in small chunks</w:t>") + "</w:p>") == "streamed in small chunks"


def test_a_text_part_over_the_size_cap_is_refused_before_it_is_inflated(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(docx_reader, "MAX_PART_BYTES", 2**20)
    raw = docx([], document_xml=word_xml("<w:p>" + run("<w:t>" + "x" * 2**21 + "</w:t>") + "</w:p>"))
    with pytest.raises(ReaderError) as caught:
        read_docx(raw, 100)
    assert caught.value.message == "its text part is 2 MB uncompressed, over 1 MB"
    assert caught.value.kind == "limit"
    monkeypatch.setattr(docx_reader, "MAX_PART_BYTES", 2**22)
    assert read_docx(raw, 100)["cut"]


def test_an_archive_of_too_many_files_is_refused(monkeypatch: pytest.MonkeyPatch):
    raw = docx(["x"])  # three members
    monkeypatch.setattr(docx_reader, "MAX_MEMBERS", 3)
    assert read_docx(raw, 100)["pages"][0]["text"] == "x"
    monkeypatch.setattr(docx_reader, "MAX_MEMBERS", 2)
    with pytest.raises(ReaderError) as caught:
        read_docx(raw, 100)
    assert caught.value.message == "its archive holds more than 2 files"
    assert caught.value.kind == "limit"


def test_xml_nested_deeper_than_the_limit_is_refused(monkeypatch: pytest.MonkeyPatch):
    raw = docx(["x"])  # document > body > p > r > t: five levels
    monkeypatch.setattr(docx_reader, "MAX_DEPTH", 5)
    assert read_docx(raw, 100)["pages"][0]["text"] == "x"
    monkeypatch.setattr(docx_reader, "MAX_DEPTH", 4)
    with pytest.raises(ReaderError) as caught:
        read_docx(raw, 100)
    assert caught.value.message == "its XML is nested more than 4 levels deep"
    assert caught.value.kind == "nesting"


@pytest.mark.parametrize(
    ("member", "what"),
    [
        ("ppt/presentation.xml", "a PowerPoint presentation (PPTX)"),
        ("META-INF/container.xml", "an EPUB book"),
        ("content.xml", "an OpenDocument file (ODT, ODS, ODP)"),
    ],
)
def test_other_zip_formats_are_named(member: str, what: str):
    with pytest.raises(ReaderError) as caught:
        read_docx(zip_of({"mimetype": b"x", member: b"<x/>"}), 100)
    assert caught.value.message == f"it is {what}, not a Word document" and caught.value.kind == "format"


def test_a_dtd_is_refused_with_its_reason():
    raw = docx([], document_xml=word_xml("<w:p/>", "<!DOCTYPE w:document>"))
    with pytest.raises(ReaderError) as caught:
        read_docx(raw, 100)
    assert caught.value.message == "its XML declares a DTD, which Word never writes (entity tricks are refused)"


def test_malformed_xml_says_what_expat_found():
    with pytest.raises(ReaderError) as caught:
        read_docx(docx([], document_xml=word_xml("<w:p/>")[:-5]), 100)
    assert caught.value.message == "its text part is not well-formed XML (unclosed token)"


def _flag_encrypted(raw: bytes) -> bytes:
    """The archive with every member marked encrypted (general purpose bit 0), as a password-protected zip has."""
    data = bytearray(raw)
    for signature, flag_at in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        start = 0
        while (start := data.find(signature, start)) >= 0:
            data[start + flag_at] |= 1
            start += 4
    return bytes(data)


def test_an_encrypted_archive_is_a_password_refusal():
    with pytest.raises(ReaderError) as caught:
        read_docx(_flag_encrypted(docx(["secret"])), 100)
    assert caught.value.message.startswith("its archive is encrypted (")
    assert caught.value.kind == "password"


def test_damaged_compressed_data_is_a_damaged_refusal():
    raw = bytearray(docx(["x" * 200]))
    start = raw.find(b"PK\x03\x04", raw.find(b"word/document.xml") - 40)
    name_length = int.from_bytes(raw[start + 26 : start + 28], "little")
    body = start + 30 + name_length
    raw[body : body + 8] = b"\xff" * 8
    with pytest.raises(ReaderError) as caught:
        read_docx(bytes(raw), 100)
    assert caught.value.message.startswith("its archive is damaged (")
    assert caught.value.kind == "damaged"


def test_bytes_that_are_no_zip_are_a_damaged_refusal():
    with pytest.raises(ReaderError) as caught:
        read_docx(b"PK\x03\x04 not a zip", 100)
    assert caught.value.message == "it is not a complete ZIP archive, so not a readable DOCX file"
    assert caught.value.kind == "damaged"


def test_text_outside_w_t_elements_is_ignored_and_bare_w_t_is_read():
    body = "<w:p><w:t>bare</w:t></w:p><w:p>" + run("<w:t>kept</w:t>") + "after the run</w:p>"
    assert text_of(body) == "bare\nkept"


def test_run_properties_other_than_vanish_hide_nothing():
    body = "<w:p>" + run("<w:t>bold</w:t>", "<w:rPr><w:i w:val='0'/><w:b/></w:rPr>") + "</w:p>"
    assert text_of(body) == "bold"


def test_a_hidden_run_inside_a_table_cell_is_left_out():
    hidden = run("<w:t>HIDDEN</w:t>", "<w:rPr><w:vanish/></w:rPr>")
    body = f"<w:tbl><w:tr><w:tc><w:p>{run('<w:t>a</w:t>')}{hidden}</w:p></w:tc>"
    body += f"<w:tc><w:p>{run('<w:t>b</w:t>')}</w:p></w:tc></w:tr></w:tbl>"
    assert text_of(body) == "a\tb"


def test_a_table_starting_with_an_empty_cell_is_read():
    body = f"<w:tbl><w:tr><w:tc></w:tc><w:tc><w:p>{run('<w:t>b</w:t>')}</w:p></w:tc></w:tr></w:tbl>"
    assert text_of(body) == "\tb"


def test_paragraphs_after_a_table_are_lines_again():
    cell = f"<w:tc><w:p>{run('<w:t>a</w:t>')}</w:p></w:tc>"
    body = f"<w:tbl><w:tr>{cell}{cell}</w:tr></w:tbl>"
    body += f"<w:p>{run('<w:t>one</w:t>')}</w:p><w:p>{run('<w:t>two</w:t>')}</w:p>"
    assert text_of(body) == "a\ta\none\ntwo"


def test_a_nested_tables_cells_are_tab_separated_inside_the_outer_cell():
    inner = f"<w:tbl><w:tr><w:tc><w:p>{run('<w:t>in</w:t>')}</w:p></w:tc></w:tr></w:tbl>"
    outer = f"<w:tc><w:p>{run('<w:t>before</w:t>')}</w:p>{inner}<w:p>{run('<w:t>after</w:t>')}</w:p></w:tc>"
    body = f"<w:tbl><w:tr>{outer}<w:tc><w:p>{run('<w:t>next</w:t>')}</w:p></w:tc></w:tr></w:tbl>"
    assert text_of(body) == "before in\nafter\tnext", "the inner row ends a line; the outer cells stay cells"


def test_inflation_is_counted_over_every_chunk(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(docx_reader, "CHUNK_BYTES", 7)
    data = b"<a>" + b" " * 100 + b"</a>"
    archive = zipfile.ZipFile(io.BytesIO(zip_of({"x.xml": data})))
    _stream(archive, archive.getinfo("x.xml"), _parser(), len(data))
    with pytest.raises(ReaderError):
        _stream(archive, archive.getinfo("x.xml"), _parser(), len(data) - 1)


def test_a_text_part_of_exactly_the_size_cap_is_read(monkeypatch: pytest.MonkeyPatch):
    raw = docx(["x"])
    size = zipfile.ZipFile(io.BytesIO(raw)).getinfo("word/document.xml").file_size
    monkeypatch.setattr(docx_reader, "MAX_PART_BYTES", size)
    assert read_docx(raw, 100)["pages"][0]["text"] == "x"


def test_a_main_part_whose_name_starts_with_x_is_found():
    raw = zip_of({"_rels/.rels": rels((OFFICE_DOCUMENT, "/XML/main.xml")),
                  "XML/main.xml": word_xml("<w:p>" + run("<w:t>found</w:t>") + "</w:p>")})  # fmt: skip
    assert read_docx(raw, 100)["pages"][0]["text"] == "found"


def test_the_inflation_limit_is_named_in_whole_megabytes():
    data = b"<a>" + b" " * (3 * 2**20) + b"</a>"
    archive = zipfile.ZipFile(io.BytesIO(zip_of({"x.xml": data})))
    with pytest.raises(ReaderError) as caught:
        _stream(archive, archive.getinfo("x.xml"), _parser(), 2 * 2**20 + 5)
    assert caught.value.message == "its text part inflates past 2 MB"

"""Documents through the real plugin process (stdio and serverless): what AtlasCloud receives is the
document's text page by page, page images for scans on vision models, cuts that say so, and
clear refusals for hostile files, while the plugin keeps serving and never shows the key."""

from __future__ import annotations

import json
import time

import pytest

from models.vision_utils.image.policy import ImagePolicy
from models.vision_utils.tokens.prompt import PER_MESSAGE, REPLY_PRIMER
from models.vision_utils.tokens.text import count_text
from testkit.documents import document_part, encrypted_pdf, scanned_pdf, text_pdf
from testkit.hostile_documents import HOSTILE_DOCX, HOSTILE_PDFS, docx, injection_pdf, xlsx_like
from testkit.plugin_driver import DAEMON_MAX_LINE_BYTES, action_request, llm_request
from testkit.simulator.inspect import inspect_images

VISION = "qwen/qwen3.5-27b"
TEXT_ONLY = "deepseek-ai/deepseek-v3.2"
PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
SUPPORTED = "The plugin reads PDF, DOCX, plain text, Markdown, CSV, JSON and HTML."
PAGE_TOKENS = ImagePolicy().tokens.tokens(1275, 1651)  # a Letter page at 150 dpi, Qwen's 32 px patches


def content(*parts: dict, text: str = "Summarise.") -> list[dict]:
    return [{"role": "user", "content": [{"type": "text", "data": text}, *parts]}]


def send(plugin, creds, *parts, model=VISION):
    request = llm_request(model, creds, content(*parts), parameters={"thinking": False})
    return plugin.request(request, timeout=180)


def count(plugin, creds, *parts, model=VISION) -> int:
    request = action_request("get_llm_num_tokens", "llm", model, creds, prompt_messages=content(*parts), tools=[])
    result = plugin.request(request, timeout=180)
    assert result.ok, result.error
    return result.single()["num_tokens"]


def sent_parts(sim) -> list[dict]:
    return sim.last_body()["messages"][0]["content"]


def sent_text(sim) -> str:
    return "\n".join(part["text"] for part in sent_parts(sim) if part["type"] == "text")


def expected_count(sim) -> int:
    """What the plugin must count: the text it sent and each image it sent, by its size."""
    images = inspect_images(sim.last_body())
    return (
        REPLY_PRIMER
        + PER_MESSAGE
        + count_text(sent_text(sim))
        + sum(ImagePolicy().tokens.tokens(image["width"], image["height"]) for image in images)
    )


@pytest.fixture(autouse=True)
def _never_the_key(plugin, sim):
    yield
    shown = "\n".join([*plugin.stdout_lines, *plugin.stderr_lines, *plugin.wire_lines])
    assert sim.state.api_key not in shown
    assert plugin.longest_line <= DAEMON_MAX_LINE_BYTES


@pytest.mark.parametrize("model", [VISION, TEXT_ONLY])
def test_a_text_pdf_reaches_every_model_as_its_pages_text(plugin, sim, creds, model):
    part = document_part(text_pdf(3), PDF, "report.pdf")
    result = send(plugin, creds, part, model=model)
    assert result.ok, result.error
    text = sent_text(sim)
    assert '<document name="report.pdf" type="PDF" pages="3">' in text
    for page in (1, 2, 3):
        assert f"[page {page} of 3]\nPage {page} line 1: The quick brown fox" in text
    assert text.endswith("</document>") and "[Document cut" not in text
    assert [p["type"] for p in sent_parts(sim)] == ["text", "text"]
    assert count(plugin, creds, part, model=model) == expected_count(sim)


def test_a_scanned_pdf_becomes_page_images_for_a_vision_model(plugin, sim, creds):
    part = document_part(scanned_pdf(4, text_pages=[3]), PDF, "scan.pdf")
    result = send(plugin, creds, part)
    assert result.ok, result.error
    parts = sent_parts(sim)
    images = inspect_images(sim.last_body())
    assert [(i["width"], i["height"], i["format"], i["mode"]) for i in images] == [(1275, 1651, "JPEG", "L")] * 3
    follows = [parts[i - 1]["text"].rsplit("\n", 2)[-2] for i, p in enumerate(parts) if p["type"] == "image_url"]
    assert follows == [f"[page {n} of 4: no extractable text; its image follows]" for n in (1, 2, 4)]
    assert "[page 3 of 4]\nPage 3 line 1" in sent_text(sim)
    assert count(plugin, creds, part) == expected_count(sim)
    assert expected_count(sim) > 3 * PAGE_TOKENS


def test_a_scanned_pdf_on_a_model_without_vision_says_the_pages_have_no_text(plugin, sim, creds):
    part = document_part(scanned_pdf(2), PDF, "scan.pdf")
    result = send(plugin, creds, part, model=TEXT_ONLY)
    assert result.ok, result.error
    assert all(p["type"] == "text" for p in sent_parts(sim))
    text = sent_text(sim)
    assert "[page 1 of 2: no extractable text (a scan or a picture)]" in text
    assert "[page 2 of 2: no extractable text (a scan or a picture)]" in text
    assert count(plugin, creds, part, model=TEXT_ONLY) == expected_count(sim)


def test_a_word_document_sends_its_visible_text_and_tables(plugin, sim, creds):
    raw = docx(
        ["Minutes of the meeting.", "Budget approved."],
        table=[["Item", "Cost"], ["Paper", "12"]],
        hidden=["SECRET NOTE"],
    )
    result = send(plugin, creds, document_part(raw, DOCX, "minutes.docx"))
    assert result.ok, result.error
    text = sent_text(sim)
    assert '<document name="minutes.docx" type="DOCX">' in text
    assert "Minutes of the meeting.\nBudget approved.\nItem\tCost\nPaper\t12" in text
    assert "SECRET NOTE" not in text and "[page" not in text


@pytest.mark.parametrize(
    ("raw", "mime", "name", "kind", "expected"),
    [
        (b"# Plan\n\n- ship *docs*\n", "text/markdown", "plan.md", "Markdown", "# Plan\n\n- ship *docs*"),
        (b"city,people\nParis,2100000\n", "text/csv", "cities.csv", "CSV", "city,people\nParis,2100000"),
        (b'{"ok": true}', "application/json", "data.json", "JSON", '{"ok": true}'),
        (
            b"<html><script>x()</script><body><p>Hello <b>web</b></p></body></html>",
            "text/html",
            "p.html",
            "HTML",
            "Hello web",
        ),
    ],
)
def test_text_formats_are_sent_as_their_text(plugin, sim, creds, raw, mime, name, kind, expected):
    result = send(plugin, creds, document_part(raw, mime, name))
    assert result.ok, result.error
    text = sent_text(sim)
    assert f'<document name="{name}" type="{kind}">' in text and f"\n{expected}\n</document>" in text
    assert "x()" not in text


def test_a_thousand_page_pdf_is_cut_at_the_page_limit_and_says_so(plugin, sim, creds):
    part = document_part(text_pdf(1000, lines=5), PDF, "archive.pdf")
    started = time.monotonic()
    result = send(plugin, creds, part)
    assert result.ok, result.error
    assert time.monotonic() - started < 60
    text = sent_text(sim)
    note = "[Document cut after page 500 of 1000: the rest is not included (limit: pages per document: 500).]"
    assert "[page 500 of 1000]" in text and "[page 501 of 1000]" not in text and note in text
    assert any("archive.pdf" in line and "pages per document: 500" in line for line in plugin.stdout_lines)


# name -> a text the request must carry (the document was read), or the refusal's words.
HOSTILE_PDF_OUTCOMES = {
    "count-bomb": "[page 1 of 1]\nPage 1 line 1",
    "kids-bomb": "[page 1 of 1000000]\nPage 1 line 1",
    "huge-page": "[page 1 of 1]\nPage 1 line 1",
    "giant-page": "[page 1 of 1]\nPage 1 line 1",
    "nested-arrays": "[page 1 of 1]\nPage 1 line 1",
    "nested-dicts": "[page 1 of 1",
    "deep-page-tree": "[page 1 of 1",
    "broken-xref": "[page 3 of 3]\nPage 3 line 1",
    "no-xref": "[page 3 of 3]\nPage 3 line 1",
    "javascript": "[page 1 of 1]\nPage 1 line 1",
    "truncated": "refused: it is damaged or not a complete PDF file",
    "recursive-xobject": "refused: reading it needs more than the 256 MB of memory a document may use",
    "flate-bomb": "refused: reading it needs more than the 256 MB of memory a document may use",
}
HOSTILE = {
    **{f"pdf-{name}": (make, PDF, HOSTILE_PDF_OUTCOMES[name]) for name, make in HOSTILE_PDFS.items()},
    "pdf-password": (lambda: encrypted_pdf("secret"), PDF, "refused: it is protected with a password"),
    "pdf-owner-password-only": (lambda: encrypted_pdf(""), PDF, "[page 2 of 2]\nPage 2 line 1"),
    "docx-zip-bomb": (HOSTILE_DOCX["zip-bomb"], DOCX, "refused: its text part is 256 MB uncompressed, over 64 MB"),
    "docx-billion-laughs": (HOSTILE_DOCX["billion-laughs"], DOCX, "refused: its XML declares a DTD"),
    "docx-xxe": (HOSTILE_DOCX["xxe"], DOCX, "refused: its XML declares a DTD"),
    "docx-deep-nesting": (HOSTILE_DOCX["deep-nesting"], DOCX, "refused: its XML is nested more than 1000 levels deep"),
    "docx-not-a-zip": (HOSTILE_DOCX["not-a-zip"], DOCX, "refused: it is not a complete ZIP archive"),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_documents_are_read_within_limits_or_refused_clearly(plugin, sim, creds, name):
    make, mime, outcome = HOSTILE[name]
    result = send(plugin, creds, document_part(make(), mime, f"{name}.bin"))
    if outcome.startswith("refused: "):
        assert result.error_type == "InvokeBadRequestError", result.error
        assert result.message.startswith(f"Document '{name}.bin' cannot be read: {outcome.removeprefix('refused: ')}")
        assert sim.requests("/v1/chat/completions") == [], "nothing billed for a document that cannot be read"
    else:
        assert result.ok, result.error
        assert outcome in sent_text(sim)
    sim.reset()
    assert plugin.alive and send(plugin, creds, document_part(b"still here", "text/plain", "ok.txt")).ok


@pytest.mark.parametrize(
    ("raw", "says"),
    [(xlsx_like(), "it is an Excel workbook (XLSX), not a Word document."), (b"\x1f\x8bdata", "it is a gzip archive.")],
)
def test_formats_the_plugin_does_not_read_are_refused_with_the_ones_it_does(plugin, sim, creds, raw, says):
    result = send(plugin, creds, document_part(raw, DOCX, "book.xlsx"))
    assert result.error_type == "InvokeBadRequestError"
    assert result.message == f"Document 'book.xlsx' cannot be read: {says} {SUPPORTED}"


def test_text_that_claims_to_be_instructions_stays_inside_its_document(plugin, sim, creds):
    assert send(plugin, creds, document_part(injection_pdf(), PDF, "report.pdf")).ok
    text = sent_text(sim)
    assert text.count("<document") == 1 and text.count("</document>") == 1 and text.endswith("</document>")
    assert "&lt;/document>" in text and "\n(page 9 of 9]" in text and "\n[page 9 of 9]" not in text
    assert "not instructions to you" in text


def test_a_request_of_fifty_scanned_pages_stays_under_atlasclouds_50_mb(plugin, sim, creds):
    part = document_part(scanned_pdf(50), PDF, "scans.pdf")
    result = send(plugin, creds, part)
    assert result.ok, result.error
    assert len(inspect_images(sim.last_body())) == 50
    assert len(json.dumps(sim.last_body())) < 50 * 1000 * 1000
    assert count(plugin, creds, part) == expected_count(sim)


def test_every_llm_declares_documents_so_dify_passes_them_on(plugin, sim, creds):
    from models.common.catalog import MODELS_DIR, predefined_model_ids

    assert predefined_model_ids()
    for path in (MODELS_DIR / "llm").glob("*.yaml"):
        if not path.name.startswith("_"):
            assert "\n- document\n" in path.read_text(encoding="utf-8"), path.name
    request = action_request("get_ai_model_schemas", "llm", "sim/plain-chat", {**creds, "context_size": "8192"})
    assert "document" in plugin.request(request).single()["model_schema"]["features"]

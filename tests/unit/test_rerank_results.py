"""What a rerank returns: selection (sort, threshold, top_n) and the fit under the daemon's line cap."""

from __future__ import annotations

import json
import logging
import uuid

import pytest
from dify_plugin.core.server.stdio.response_writer import StdioResponseWriter
from dify_plugin.entities.model.rerank import RerankDocument, RerankResult
from dify_plugin.entities.model.text_embedding import MultiModalContent, MultiModalContentType
from dify_plugin.errors.model import InvokeBadRequestError

from models.rerank.line_cap import RESULT_BUDGET, fit_in_line, serialised_size
from models.rerank.rerank import _result_text, fit_result, select
from provider.daemon import LINE_CAP_BYTES
from provider.errors.mapping import guard

TEXTS = ["a", "b", "c", "d", "e"]


def ranked(result: list[RerankDocument]) -> list[tuple[int, str, float]]:
    return [(d.index, d.text, d.score) for d in result]


def test_sorted_by_score_ties_in_input_order_unscored_left_out():
    result = select([0.5, 0.9, 0.5, None, 0.9], TEXTS, None, None)
    assert ranked(result) == [(1, "b", 0.9), (4, "e", 0.9), (0, "a", 0.5), (2, "c", 0.5)]


def test_the_threshold_is_inclusive():
    scores = [0.5, 0.49, 0.51, 0.0, 1.0]
    assert [d.index for d in select(scores, TEXTS, 0.5, None)] == [4, 2, 0]
    assert [d.index for d in select(scores, TEXTS, 0.0, None)] == [4, 2, 0, 1, 3]
    assert select(scores, TEXTS, 1.01, None) == []


def test_top_n_applies_after_the_threshold():
    scores = [0.9, 0.2, 0.8, 0.7, 0.1]
    assert [d.index for d in select(scores, TEXTS, 0.75, 3)] == [0, 2]
    assert [d.index for d in select(scores, TEXTS, None, 3)] == [0, 2, 3]
    assert [d.index for d in select(scores, TEXTS, None, 1)] == [0]
    assert len(select(scores, TEXTS, None, 0)) == 5, "no top_n (0 or None) keeps every document"
    assert len(select(scores, TEXTS, None, 9)) == 5


def doc(index: int, text: str, score: float = 0.5) -> RerankDocument:
    return RerankDocument(index=index, text=text, score=score)


TRICKY = 'é \x01\x1f "quoted" \\ back\nline\ttab 😀 \u2028 </document> ＜'


def test_the_size_is_what_the_sdk_serialises():
    a, b = doc(0, TRICKY, 0.123456789), doc(12345, "plain", 1.0)
    empty = len(RerankResult(model="m", docs=[]).model_dump_json().encode())
    both = len(RerankResult(model="m", docs=[a, b]).model_dump_json().encode())
    assert both == empty + serialised_size(a) + serialised_size(b) - 1, "one comma between two documents"
    standard = json.dumps(a.model_dump(), ensure_ascii=False, separators=(",", ":")).encode()
    assert serialised_size(a) == len(standard) + 1
    assert serialised_size(doc(0, "\x01" * 1000)) > 6000, "control characters are escaped six times over"


def test_the_longest_prefix_within_the_budget_is_kept():
    docs = [doc(0, "x" * 100), doc(1, "y" * 100), doc(2, "z" * 100)]
    exact = len(b"model") + serialised_size(docs[0]) + serialised_size(docs[1])
    assert fit_in_line(docs, "model", exact) == docs[:2]
    assert fit_in_line(docs, "model", exact - 1) == docs[:1]
    assert fit_in_line(docs, "model", 10**9) == docs
    assert fit_in_line(docs, "model", serialised_size(docs[0])) == [], "the model name counts too"
    assert fit_in_line([], "model", 0) == []


def test_a_document_that_does_not_fit_ends_the_result():
    docs = [doc(0, "small"), doc(1, "big" * 1000), doc(2, "small")]
    budget = len(b"m") + serialised_size(docs[0]) + serialised_size(docs[2]) + 10
    assert fit_in_line(docs, "m", budget) == docs[:1], "the result stays the top of the ranking"


def test_the_worst_allowed_result_line_fits_the_daemon_buffer():
    """Built and written exactly as the SDK writes it: one JSON line, then a newline."""
    model = "m" * 300
    docs = [doc(n, "\x01" * 30_000 + "é" * 20_000, 0.1 + n / 1000) for n in range(40)]  # ~220 kB each
    kept = fit_in_line(docs, model)
    writer = StdioResponseWriter()
    result = RerankResult(model=model, docs=kept)
    line = writer.session_message_text(session_id=str(uuid.uuid4()), data=writer.stream_object(result))
    first_line = line.encode().split(b"\n")[0]
    assert 20 < len(kept) < 40
    assert LINE_CAP_BYTES - 300_000 < len(first_line) < LINE_CAP_BYTES, "fits, using the room there is"
    assert RESULT_BUDGET < LINE_CAP_BYTES


def test_fit_result_warns_with_the_counts(caplog):
    docs = [doc(n, "é" * 600_000) for n in range(6)]  # 1.2 MB each as JSON
    with caplog.at_level(logging.WARNING):
        kept = fit_result("m", docs)
    assert kept == docs[:4]
    assert "left out the 2 lowest-ranked of 6 documents" in caplog.text and "5 MiB" in caplog.text


def test_fit_result_logs_one_plain_warning_for_administrators(caplog):
    docs = [doc(n, "é" * 600_000) for n in range(5)]
    with caplog.at_level(logging.WARNING, logger="models.rerank.rerank"):
        fit_result("m", docs)
    assert [record.getMessage() for record in caplog.records] == [
        "rerank result: left out the 1 lowest-ranked of 5 documents to stay under the plugin daemon's 5 MiB line limit"
    ]


def test_fit_result_is_silent_when_everything_fits(caplog):
    docs = [doc(0, "a"), doc(1, "b")]
    with caplog.at_level(logging.WARNING):
        assert fit_result("m", docs) == docs
    assert caplog.text == ""


def test_a_best_document_too_big_to_return_is_a_clear_error():
    with (
        pytest.raises(InvokeBadRequestError, match=r"alone takes 6\.0 MB in the result.*5 MiB.*smaller chunks"),
        guard(None),
    ):
        fit_result("m", [doc(0, "\x01" * 1_000_000), doc(1, "small")])  # 1 MB of text, 6 MB escaped
    assert fit_result("m", []) == []


def test_image_documents_echo_no_base64():
    image = MultiModalContent(content="iVBORw0KGgo" * 1000, content_type=MultiModalContentType.IMAGE)
    text = MultiModalContent(content="a red apple", content_type=MultiModalContentType.TEXT)
    assert _result_text(image) == "" and _result_text(text) == "a red apple"

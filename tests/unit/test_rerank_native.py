"""The native `POST /rerank` protocol: the request a rerank endpoint receives, how its results are
read back into one score per document (logits through a sigmoid), and which replies are refused."""

from __future__ import annotations

import json
import math

import httpx
import pytest

from models.rerank.native import rank_native
from models.rerank.settings import RerankSettings
from provider.deadline import Deadline
from provider.errors.tree import NativeRerankError, StatusError
from tests.unit.fakes import client_answering

DOCS = ["alpha", "beta", "gamma"]


def ask(reply: object, top_n: int | None = None, scores: str = "probability", docs: list[str] | None = None):
    """rank_native against an endpoint answering `reply`; returns (scores, requests seen)."""
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, content=json.dumps(reply).encode())

    settings = RerankSettings(protocol="native", native_scores=scores)
    client = client_answering(handler)
    result = rank_native(
        client, "jina/rr", settings, "the query", DOCS if docs is None else docs, top_n, Deadline.start(30)
    )
    return result, seen


def rows(*pairs: tuple[object, object]) -> dict:
    return {"results": [{"index": index, "relevance_score": score} for index, score in pairs]}


def test_the_request_names_model_query_and_documents_without_echoing_them():
    _, seen = ask(rows((0, 0.1), (1, 0.2), (2, 0.3)))
    assert len(seen) == 1
    assert (seen[0].method, seen[0].url.path) == ("POST", "/v1/rerank")
    assert json.loads(seen[0].content) == {
        "model": "jina/rr",
        "query": "the query",
        "documents": DOCS,
        "return_documents": False,
    }, "no top_n key unless Dify asked for a top n"


def test_the_request_is_bounded_by_the_deadline():
    _, seen = ask(rows((0, 0.1)))
    timeout = seen[0].extensions["timeout"]
    assert all(value is not None and 0 < value <= 30 for value in timeout.values()), timeout


def test_top_n_is_passed_on_when_set():
    _, seen = ask(rows((2, 0.9)), top_n=1)
    assert json.loads(seen[0].content)["top_n"] == 1
    _, seen = ask(rows((0, 0.1), (1, 0.2), (2, 0.3)), top_n=0)
    assert "top_n" not in json.loads(seen[0].content), "0 means no top n"


def test_scores_are_put_back_by_index_and_documents_left_out_have_none():
    scores, _ = ask(rows((2, 0.75), (0, 0.5)))
    assert scores == [0.5, None, 0.75]


def test_integer_scores_come_back_as_floats():
    scores, _ = ask(rows((0, 1), (1, 0), (2, 0.5)))
    assert scores == [1.0, 0.0, 0.5]
    assert all(type(score) is float for score in scores)


def test_probabilities_are_kept_as_sent():
    scores, _ = ask(rows((0, 0.0), (1, 2.5), (2, -1.0)))
    assert scores == [0.0, 2.5, -1.0], "clamping to [0, 1] is the model's job (rerank.py), not the protocol's"


def test_logits_go_through_a_sigmoid():
    scores, _ = ask(rows((0, 0.0), (1, 2.0), (2, -3)), scores="logits")
    assert scores == [0.5, pytest.approx(1 / (1 + math.exp(-2.0))), pytest.approx(1 / (1 + math.exp(3.0)))]
    assert scores[1] == pytest.approx(0.8807970779778823)


@pytest.mark.parametrize(
    "reply",
    [[], "ok", None, {}, {"results": None}, {"results": {"0": 0.5}}, {"data": [{"index": 0, "relevance_score": 1}]}],
    ids=["list", "text", "null", "empty object", "null results", "results object", "other key"],
)
def test_a_reply_without_a_results_list_is_refused(reply):
    with pytest.raises(NativeRerankError, match=r"^the /rerank reply has no 'results' list$"):
        ask(reply)


@pytest.mark.parametrize(
    "row",
    [
        {"index": 3, "relevance_score": 0.5},
        {"index": -1, "relevance_score": 0.5},
        {"index": "0", "relevance_score": 0.5},
        {"index": 0.0, "relevance_score": 0.5},
        {"relevance_score": 0.5},
        {"index": 0, "relevance_score": "0.5"},
        {"index": 0, "relevance_score": None},
        {"index": 0},
        {"index": 0, "score": 0.5},
        [0, 0.5],
        "0:0.5",
    ],
    ids=[
        "past the end",
        "negative",
        "text index",
        "float index",
        "no index",
        "text score",
        "null score",
        "no score",
        "other name",
        "list",
        "text",
    ],
)
def test_an_invalid_result_is_refused_and_shown(row):
    with pytest.raises(NativeRerankError) as raised:
        ask({"results": [{"index": 1, "relevance_score": 0.4}, row]})
    assert str(raised.value) == f"the /rerank reply has an invalid result: {row!r}"


def test_the_last_index_is_valid():
    scores, _ = ask(rows((2, 0.3)))
    assert scores == [None, None, 0.3]


def test_an_empty_results_list_scores_nothing():
    scores, _ = ask({"results": []})
    assert scores == [None, None, None]


def test_an_http_error_reaches_the_caller_unchanged():
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(400, json={"error": {"message": "documents must not be empty"}})

    with pytest.raises(StatusError) as raised:
        rank_native(client_answering(handler), "m", RerankSettings(), "q", ["d"], None, Deadline.start(30))
    assert raised.value.status == 400

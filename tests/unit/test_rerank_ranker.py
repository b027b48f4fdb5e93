"""The LLM ranker as AtlasCloud sees it and as Dify gets it back: the grading request (model,
budget, structured output, thinking switch, a fresh delimiter code), the reply read whole or as
SSE, one repair call for unscored documents, batches merged in place, and the tokens spent."""

from __future__ import annotations

import json
import re
from collections.abc import Callable

import httpx
import pytest

from models.rerank.prompt import SCORES_SCHEMA, RankItem
from models.rerank.ranker import FALLBACK_SCORE, MAX_DOCS_PER_BATCH, Ranker, rank_with_llm
from models.rerank.settings import RerankSettings
from provider.deadline import Deadline
from provider.errors.tree import ReplyError
from tests.unit.fakes import client_answering

_DOCUMENT = re.compile(r'<document-([0-9a-f]+) id="(D\d+)">\n(.*?)\n</document-\1>', re.DOTALL)


class FakeRanker:
    """A chat endpoint that grades each document by `grade(text)` (None: leaves it unscored)."""

    def __init__(
        self,
        grade: Callable[[str], int | None],
        usage: Callable[[int], dict | None] = lambda n: {"prompt_tokens": 100 * n, "completion_tokens": 10 * n},
        sse: bool = False,
    ) -> None:
        self.grade, self.usage, self.sse = grade, usage, sse
        self.requests: list[dict] = []
        self.paths: list[str] = []

    def documents(self, request: dict) -> list[tuple[str, str]]:
        """(id, text) of every document in a grading request; an image document reads "[image]"."""
        return [(found[2], found[3]) for found in _DOCUMENT.finditer(user_text(request))]

    def __call__(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        self.requests.append(body)
        self.paths.append(request.url.path)
        documents = self.documents(body)
        graded = [(key, self.grade(text)) for key, text in documents]
        answer = json.dumps({"scores": [{"id": key, "score": score} for key, score in graded if score is not None]})
        usage = self.usage(len(documents))
        if not self.sse:
            reply = {"choices": [{"message": {"role": "assistant", "content": answer}, "finish_reason": "stop"}]}
            return httpx.Response(200, json=reply | ({"usage": usage} if usage else {}))
        # A server that ignores `stream: false`: the answer arrives in small deltas, usage last.
        chunks = [answer[i : i + 7] for i in range(0, len(answer), 7)]
        events = [{"choices": [{"delta": {"content": chunk}}]} for chunk in chunks]
        if usage:
            events.append({"choices": [], "usage": usage})
        text = "".join(f"data: {json.dumps(event)}\n\n" for event in events) + "data: [DONE]\n\n"
        return httpx.Response(200, headers={"content-type": "text/event-stream"}, content=text.encode())


def user_text(request: dict) -> str:
    """The user message's text, its image parts left out."""
    content = request["messages"][1]["content"]
    return content if isinstance(content, str) else "".join(part.get("text", "") for part in content)


def number_in(text: str) -> int | None:
    """Documents here say their own grade: "doc 7 grade 80"; "unscored" gets none."""
    found = re.search(r"grade (\d+)", text)
    return int(found[1]) if found else None


def rank(
    server: FakeRanker, texts: list[str], settings: RerankSettings | None = None, model: str = "qwen/ranker"
) -> tuple[list[float], int, int]:
    ranker = Ranker(client_answering(server), model, settings or RerankSettings(), Deadline.start(60))
    outcome = rank_with_llm(ranker, RankItem(text="which is relevant?"), [RankItem(text=t) for t in texts])
    return outcome.scores, outcome.prompt_tokens, outcome.completion_tokens


def docs(*grades: int | None) -> list[str]:
    return [f"doc {n} " + ("unscored" if grade is None else f"grade {grade}") for n, grade in enumerate(grades)]


def test_the_grading_request_asks_for_structured_scores_deterministically():
    server = FakeRanker(number_in)
    rank(server, docs(10, 20, 30))
    assert server.paths == ["/v1/chat/completions"]
    request = server.requests[0]
    messages = request.pop("messages")
    assert request == {
        "model": "qwen/ranker",
        "temperature": 0,
        "max_tokens": 3 * 40 + 200,
        "stream": False,
        "response_format": {"type": "json_schema", "json_schema": SCORES_SCHEMA},
    }, "no thinking switch unless the ranker is set to disable thinking"
    assert [message["role"] for message in messages] == ["system", "user"]
    assert [key for key, _ in server.documents({"messages": messages})] == ["D1", "D2", "D3"]


@pytest.mark.parametrize(("count", "budget"), [(1, 240), (7, 480), (MAX_DOCS_PER_BATCH, 1000)])
def test_the_answer_budget_grows_by_forty_tokens_a_document(count, budget):
    server = FakeRanker(number_in)
    rank(server, docs(*[50] * count))
    assert [request["max_tokens"] for request in server.requests] == [budget]


def test_a_ranker_without_json_schema_gets_no_response_format_and_thinking_can_be_switched_off():
    server = FakeRanker(number_in)
    rank(server, docs(10), RerankSettings(structured_output=False, disable_thinking=True))
    assert "response_format" not in server.requests[0]
    assert server.requests[0]["thinking"] == {"type": "disabled"}


def test_every_request_draws_a_fresh_delimiter_code_known_to_the_rubric():
    server = FakeRanker(number_in)
    rank(server, docs(10, 20))
    rank(server, docs(10, 20))
    codes = []
    for request in server.requests:
        found = {match[1] for match in _DOCUMENT.finditer(user_text(request))}
        assert len(found) == 1 and re.fullmatch(r"[0-9a-f]{8}", next(iter(found)))
        code = found.pop()
        assert f"<document-{code} " in request["messages"][0]["content"], "the rubric names the same code"
        codes.append(code)
    assert codes[0] != codes[1]


@pytest.mark.parametrize("sse", [False, True], ids=["json", "sse"])
def test_scores_and_tokens_come_back_per_document(sse):
    server = FakeRanker(number_in, sse=sse)
    assert rank(server, docs(80, 0, 100, 35), model="m") == ([0.8, 0.0, 1.0, 0.35], 400, 40)


def test_a_reply_without_usage_counts_no_tokens():
    assert rank(FakeRanker(number_in, usage=lambda n: None), docs(80, 20)) == ([0.8, 0.2], 0, 0)


def test_unscored_documents_are_asked_about_once_more_alone():
    asked = {"doc 1 grade 40": 0}

    def grade(text: str) -> int | None:
        if text in asked:  # skipped the first time, graded on the retry
            asked[text] += 1
            return None if asked[text] == 1 else 40
        return number_in(text)

    server = FakeRanker(grade)
    scores, prompt_tokens, completion_tokens = rank(server, docs(90, 40, 70))
    assert scores == [0.9, 0.4, 0.7]
    assert len(server.requests) == 2
    assert server.documents(server.requests[1]) == [("D1", "doc 1 grade 40")], "only the unscored one, renumbered"
    assert server.requests[1]["max_tokens"] == 240
    assert "which is relevant?" in user_text(server.requests[1]), "the same query"
    assert (prompt_tokens, completion_tokens) == (300 + 100, 30 + 10), "both calls are counted"


def test_a_document_still_unscored_after_the_retry_sorts_last_but_is_kept():
    server = FakeRanker(number_in)
    scores, prompt_tokens, _ = rank(server, docs(60, None, 30))
    assert scores == [0.6, FALLBACK_SCORE, 0.3]
    assert FALLBACK_SCORE == 0.0
    assert len(server.requests) == 2 and prompt_tokens == 400


def test_a_ranker_that_scores_nothing_is_an_error_naming_it():
    server = FakeRanker(lambda text: None)
    with pytest.raises(ReplyError) as raised:
        rank(server, docs(None, None), model="bad/ranker")
    assert str(raised.value) == (
        "The ranker model 'bad/ranker' gave no usable relevance scores, even after a retry; try another ranker model."
    )
    assert len(server.requests) == 2


def test_batches_are_merged_back_in_place_with_their_tokens_summed():
    grades = [(n * 7) % 101 for n in range(MAX_DOCS_PER_BATCH * 2 + 5)]
    server = FakeRanker(number_in)
    scores, prompt_tokens, completion_tokens = rank(server, docs(*grades))
    assert scores == [grade / 100 for grade in grades]
    assert len(server.requests) == 3
    assert (prompt_tokens, completion_tokens) == (100 * len(grades), 10 * len(grades))

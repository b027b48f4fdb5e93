"""The Dify RerankModel as Dify calls it (invoke, invoke_multimodal, validate_credentials): which
protocol runs, with which settings (form or predefined YAML), what the endpoint receives, the
result Dify gets, the usage line administrators read in the log, and the errors users see."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
import yaml
from dify_plugin.entities.model import AIModelEntity, ModelPropertyKey
from dify_plugin.entities.model.text_embedding import MultiModalContent, MultiModalContentType
from dify_plugin.errors.model import (
    CredentialsValidateFailedError,
    InvokeAuthorizationError,
    InvokeBadRequestError,
    InvokeConnectionError,
    InvokeServerUnavailableError,
)

from models.rerank import rerank as rerank_module
from models.rerank.rerank import AtlasCloudRerankModel
from provider import deadline as deadline_module
from testkit.images import png_bytes_b64
from tests.unit.fakes import Clock, InMemoryUpstream
from tests.unit.test_rerank_ranker import FakeRanker, number_in, user_text

KEY = "sk-rerank-secret-0123"
GATEWAY = {"api_key": KEY, "endpoint_url": "https://gw.example.com/v1"}
NATIVE = GATEWAY | {"rerank_protocol": "native"}
LLM = GATEWAY | {"rerank_protocol": "llm", "input_price": "2", "output_price": "10"}
RERANK_DIR = Path(rerank_module.__file__).parent


class Upstream(InMemoryUpstream):
    """Answers 500 unless a test sets `handler`."""


@pytest.fixture
def upstream(monkeypatch: pytest.MonkeyPatch) -> Upstream:
    fake = Upstream()
    monkeypatch.setattr(rerank_module, "open_client", fake.open)
    return fake


def native_reply(scores: dict[int, float]) -> Callable[[httpx.Request], httpx.Response]:
    rows = [{"index": index, "relevance_score": score} for index, score in scores.items()]
    return lambda request: httpx.Response(200, json={"results": rows})


def predefined(model: str) -> AtlasCloudRerankModel:
    """The model class with Dify's schemas of the shipped rankers, as the plugin runs it."""
    schemas = []
    for path in RERANK_DIR.glob("*.yaml"):
        if not path.name.startswith("_"):
            schemas.append(AIModelEntity.model_validate(yaml.safe_load(path.read_text(encoding="utf-8"))))
    assert model in {schema.model for schema in schemas}
    return AtlasCloudRerankModel(schemas)


def ranked(result) -> list[tuple[int, str, float]]:
    return [(doc.index, doc.text, doc.score) for doc in result.docs]


# --- the native /rerank protocol -----------------------------------------------------------------


def test_native_scores_are_clamped_to_zero_one_and_sorted(upstream):
    upstream.handler = native_reply({0: 1.7, 1: -0.2, 2: 0.4})
    result = AtlasCloudRerankModel([]).invoke("jina/rr", NATIVE, "q", ["a", "b", "c"])
    assert result.model == "jina/rr"
    assert ranked(result) == [(0, "a", 1.0), (2, "c", 0.4), (1, "b", 0.0)]
    [request] = upstream.requests
    assert str(request.url) == "https://gw.example.com/v1/rerank"
    assert request.headers["authorization"] == f"Bearer {KEY}"
    body = json.loads(request.content)
    assert (body["model"], body["query"], body["documents"]) == ("jina/rr", "q", ["a", "b", "c"])


def test_native_top_n_goes_to_the_endpoint_and_the_threshold_is_applied_here(upstream):
    upstream.handler = native_reply({2: 0.9, 0: 0.5})
    result = AtlasCloudRerankModel([]).invoke("jina/rr", NATIVE, "q", ["a", "b", "c"], score_threshold=0.6, top_n=2)
    assert ranked(result) == [(2, "c", 0.9)], "b has no score, a is under the threshold"
    assert upstream.bodies()[0]["top_n"] == 2


def test_native_logits_are_read_through_a_sigmoid(upstream):
    upstream.handler = native_reply({0: 0.0})
    result = AtlasCloudRerankModel([]).invoke("jina/rr", NATIVE | {"native_scores": "logits"}, "q", ["a"])
    assert ranked(result) == [(0, "a", 0.5)]


def test_no_documents_no_request(upstream):
    for credentials in (NATIVE, LLM):
        assert AtlasCloudRerankModel([]).invoke("m", credentials, "q", []).docs == []
    assert upstream.requests == []


def test_an_endpoint_refusal_names_the_endpoint_and_never_the_key(upstream):
    upstream.handler = lambda request: httpx.Response(401, json={"error": {"message": f"bad key {KEY}"}})
    with pytest.raises(InvokeAuthorizationError) as raised:
        AtlasCloudRerankModel([]).invoke("jina/rr", NATIVE, "q", ["a"])
    message = str(raised.value)
    assert message.startswith("The endpoint gw.example.com answered HTTP 401") and KEY not in message


def test_an_unreadable_native_reply_is_the_servers_fault(upstream):
    upstream.handler = lambda request: httpx.Response(200, json={"data": []})
    with pytest.raises(InvokeServerUnavailableError, match=r"sent a reply the plugin cannot read.*no 'results' list"):
        AtlasCloudRerankModel([]).invoke("jina/rr", NATIVE, "q", ["a"])


# --- the LLM ranker --------------------------------------------------------------------------------


def test_a_user_added_llm_ranker_grades_with_the_forms_model_and_logs_its_cost(upstream, caplog):
    upstream.handler = FakeRanker(number_in)
    with caplog.at_level(logging.INFO, logger="models.rerank.rerank"):
        result = AtlasCloudRerankModel([]).invoke("my/ranker", LLM, "q", ["x grade 30", "y grade 80", "z grade 50"])
    assert ranked(result) == [(1, "y grade 80", 0.8), (2, "z grade 50", 0.5), (0, "x grade 30", 0.3)]
    [request] = upstream.requests
    assert str(request.url) == "https://gw.example.com/v1/chat/completions"
    body = json.loads(request.content)
    assert body["model"] == "my/ranker" and "response_format" in body and "thinking" not in body
    # 300 prompt tokens at 2 USD and 30 completion tokens at 10 USD per million.
    [usage] = [record.getMessage() for record in caplog.records if record.getMessage().startswith("rerank usage")]
    assert usage == (
        "rerank usage: model=my/ranker documents=3 prompt_tokens=300 completion_tokens=30 cost_usd=0.0009000"
    )


def test_the_forms_ranker_options_shape_the_request(upstream):
    upstream.handler = FakeRanker(number_in)
    credentials = LLM | {"structured_output": "no_support", "reasoning": "switchable"}
    AtlasCloudRerankModel([]).invoke("my/ranker", credentials, "q", ["x grade 30"])
    body = upstream.bodies()[0]
    assert "response_format" not in body and body["thinking"] == {"type": "disabled"}


def test_the_llm_rankers_result_is_cut_by_threshold_and_top_n(upstream):
    upstream.handler = FakeRanker(number_in)
    texts = ["x grade 30", "y grade 80", "z grade 50", "w grade 60"]
    model = AtlasCloudRerankModel([])
    assert [doc.index for doc in model.invoke("my/ranker", LLM, "q", texts, top_n=2).docs] == [1, 3]
    assert [doc.index for doc in model.invoke("my/ranker", LLM, "q", texts, score_threshold=0.5).docs] == [1, 3, 2]
    assert all("top_n" not in body for body in upstream.bodies()), "the ranker grades every document"


def test_a_slow_ranker_runs_out_of_the_calls_budget_naming_the_endpoint(upstream, monkeypatch):
    clock = Clock()
    monkeypatch.setattr(deadline_module.time, "monotonic", clock.monotonic)
    ranker = FakeRanker(number_in)

    def slow(request: httpx.Request) -> httpx.Response:
        clock.now += 10_000  # the reply arrives after the whole budget
        return ranker(request)

    upstream.handler = slow
    with pytest.raises(InvokeConnectionError, match=r"^The endpoint gw\.example\.com did not finish within \d+ s"):
        AtlasCloudRerankModel([]).invoke("my/ranker", LLM, "q", ["x grade 30"])


def test_a_native_endpoint_that_times_out_at_the_budgets_end_names_the_endpoint(upstream, monkeypatch):
    clock = Clock()
    monkeypatch.setattr(deadline_module.time, "monotonic", clock.monotonic)

    def hanging(request: httpx.Request) -> httpx.Response:
        clock.now += 10_000
        raise httpx.ReadTimeout("no answer", request=request)

    upstream.handler = hanging
    with pytest.raises(InvokeConnectionError, match=r"^The endpoint gw\.example\.com did not finish within \d+ s"):
        AtlasCloudRerankModel([]).invoke("jina/rr", NATIVE, "q", ["a"])
    assert len(upstream.requests) == 1, "no retry once the budget is spent"


def test_a_ranker_that_scores_nothing_is_a_server_error(upstream):
    upstream.handler = FakeRanker(lambda text: None)
    with pytest.raises(InvokeServerUnavailableError, match="gave no usable relevance scores"):
        AtlasCloudRerankModel([]).invoke("my/ranker", LLM, "q", ["x"])


@pytest.mark.parametrize(
    ("model", "thinking", "price"),
    [
        ("deepseek-ai/deepseek-v3.2", {"type": "disabled"}, "0.0000298"),  # 100 x 0.26 + 10 x 0.38 per million
        ("Qwen/Qwen3-235B-A22B-Instruct-2507", None, "0.0000288"),  # 100 x 0.2 + 10 x 0.88 per million
    ],
)
def test_a_predefined_ranker_follows_its_yaml(upstream, caplog, model, thinking, price):
    upstream.handler = FakeRanker(number_in)
    with caplog.at_level(logging.INFO, logger="models.rerank.rerank"):
        result = predefined(model).invoke(model, {"api_key": KEY}, "q", ["x grade 30"])
    assert ranked(result) == [(0, "x grade 30", 0.3)]
    assert str(upstream.requests[0].url) == "https://api.atlascloud.ai/v1/chat/completions"
    body = upstream.bodies()[0]
    assert body.get("thinking") == thinking and "response_format" in body
    assert f"cost_usd={price}" in caplog.text


def test_a_predefined_rankers_context_size_sets_its_batches(upstream):
    model = "deepseek-ai/deepseek-v3.2"
    instance = predefined(model)
    smaller = yaml.safe_load((RERANK_DIR / "deepseek-ai__deepseek-v3.2.yaml").read_text(encoding="utf-8"))
    smaller["model_properties"]["context_size"] = 4096
    instance.model_schemas = [AIModelEntity.model_validate(smaller)]
    upstream.handler = FakeRanker(number_in)
    # 4096 // 2 - 400 - the query leaves ~1640 tokens: 120-word documents go about ten a batch, not twenty.
    texts = [f"grade {n} " + "word " * 120 for n in range(20)]
    result = instance.invoke(model, {"api_key": KEY}, "q", texts)
    assert len(upstream.requests) == 2
    assert [doc.index for doc in result.docs] == list(range(19, -1, -1))


# --- multimodal rerank ---------------------------------------------------------------------------


def image(content: str) -> MultiModalContent:
    return MultiModalContent(content=content, content_type=MultiModalContentType.IMAGE)


def text(content: str) -> MultiModalContent:
    return MultiModalContent(content=content, content_type=MultiModalContentType.TEXT)


def test_a_vision_ranker_sees_images_at_low_detail_and_echoes_no_base64(upstream):
    upstream.handler = FakeRanker(lambda text: 90 if text == "[image]" else number_in(text))
    png = png_bytes_b64(64, 48)
    docs = [
        image(png),
        text("a cat grade 40"),
        image("https://example.com/cat.png"),
        image(f"data:image/png;base64,{png}"),
    ]
    result = AtlasCloudRerankModel([]).invoke_multimodal(
        "my/vl", LLM | {"vision_support": "support"}, text("cats"), docs
    )
    assert ranked(result) == [(0, "", 0.9), (2, "", 0.9), (3, "", 0.9), (1, "a cat grade 40", 0.4)]
    content = upstream.bodies()[0]["messages"][1]["content"]
    images = [part["image_url"] for part in content if part["type"] == "image_url"]
    assert [part["detail"] for part in images] == ["low"] * 3
    assert images[1]["url"] == "https://example.com/cat.png", "a public image URL is forwarded as it is"
    assert images[0]["url"].startswith("data:image/") and images[2]["url"].startswith("data:image/")
    assert "<query-" in user_text(upstream.bodies()[0]) and "cats" in user_text(upstream.bodies()[0])


def test_every_image_is_converted_knowing_how_many_share_the_request(upstream, monkeypatch):
    shared: list[int] = []
    convert = rerank_module.to_openai_image

    def spy(part, policy, images_in_request):
        shared.append(images_in_request)
        return convert(part, policy, images_in_request)

    monkeypatch.setattr(rerank_module, "to_openai_image", spy)
    upstream.handler = FakeRanker(lambda text: 50)
    png = png_bytes_b64(16, 16)
    docs = [image(png), text("t1"), text("t2"), text("t3")]
    AtlasCloudRerankModel([]).invoke_multimodal("my/vl", LLM | {"vision_support": "support"}, image(png), docs)
    assert shared == [2, 2], "the query's image counts too; texts do not"


def test_the_multimodal_result_is_cut_by_threshold_and_top_n(upstream):
    upstream.handler = FakeRanker(lambda text: 95 if text == "[image]" else number_in(text))
    png = png_bytes_b64(16, 16)
    docs = [text("a grade 20"), image(png), text("b grade 70"), text("c grade 50")]
    model, credentials = AtlasCloudRerankModel([]), LLM | {"vision_support": "support"}
    assert [d.index for d in model.invoke_multimodal("my/vl", credentials, text("q"), docs, top_n=2).docs] == [1, 2]
    result = model.invoke_multimodal("my/vl", credentials, text("q"), docs, score_threshold=0.5)
    assert [d.index for d in result.docs] == [1, 2, 3]


def test_an_image_url_is_downloaded_not_read_as_base64(upstream):
    with pytest.raises(InvokeBadRequestError, match="could not be downloaded from its URL"):
        AtlasCloudRerankModel([]).invoke_multimodal(
            "my/vl", LLM | {"vision_support": "support"}, text("q"), [image("http://127.0.0.1:9/cat.png")]
        )
    assert upstream.requests == []


def test_an_image_query_is_sent_as_an_image(upstream):
    upstream.handler = FakeRanker(number_in)
    result = AtlasCloudRerankModel([]).invoke_multimodal(
        "my/vl", LLM | {"vision_support": "support"}, image(png_bytes_b64(32, 32)), [text("x grade 70")]
    )
    assert ranked(result) == [(0, "x grade 70", 0.7)]
    content = upstream.bodies()[0]["messages"][1]["content"]
    assert content[0]["text"].startswith("<query-") and content[1]["type"] == "image_url"


def test_a_predefined_vision_ranker_reads_images(upstream):
    upstream.handler = FakeRanker(lambda text: 60)
    model = "qwen/qwen3.5-27b"
    result = predefined(model).invoke_multimodal(model, {"api_key": KEY}, text("q"), [image(png_bytes_b64(8, 8))])
    assert ranked(result) == [(0, "", 0.6)]


@pytest.mark.parametrize(
    ("model", "credentials"),
    [
        ("my/ranker", LLM),
        ("my/native", NATIVE | {"vision_support": "support"}),
        ("deepseek-ai/deepseek-v3.2", {"api_key": KEY}),
    ],
    ids=["no vision", "native", "predefined text ranker"],
)
def test_a_ranker_that_cannot_read_images_says_so(upstream, model, credentials):
    with pytest.raises(InvokeBadRequestError) as raised:
        predefined("deepseek-ai/deepseek-v3.2").invoke_multimodal(model, credentials, text("q"), [image("AAAA")])
    assert str(raised.value) == f"Rerank model '{model}' cannot read images; pick a vision ranker."
    assert upstream.requests == []


def test_a_broken_image_is_named_before_anything_is_sent(upstream):
    with pytest.raises(InvokeBadRequestError, match="not valid base64"):
        AtlasCloudRerankModel([]).invoke_multimodal(
            "my/vl", LLM | {"vision_support": "support"}, text("q"), [image("not an image!")]
        )
    assert upstream.requests == []


# --- validation ----------------------------------------------------------------------------------


def test_validation_ranks_one_test_document(upstream):
    upstream.handler = native_reply({0: 0.7})
    AtlasCloudRerankModel([]).validate_credentials("jina/rr", NATIVE)
    body = upstream.bodies()[0]
    assert (body["query"], body["documents"]) == ("What is AtlasCloud?", ["AtlasCloud serves AI models."])


def test_validation_fails_when_the_test_document_gets_no_score(upstream):
    upstream.handler = native_reply({})
    with pytest.raises(CredentialsValidateFailedError) as raised:
        AtlasCloudRerankModel([]).validate_credentials("jina/rr", NATIVE)
    assert str(raised.value) == "Rerank model 'jina/rr' returned no score for a test document."


def test_validation_reports_the_endpoints_answer(upstream):
    upstream.handler = lambda request: httpx.Response(404, json={"error": {"message": "no such model"}})
    with pytest.raises(CredentialsValidateFailedError) as raised:
        AtlasCloudRerankModel([]).validate_credentials("jina/rr", NATIVE)
    assert str(raised.value).startswith("Rerank model 'jina/rr': The endpoint gw.example.com answered HTTP 404")


def test_validation_reports_a_form_mistake_in_its_own_words(upstream):
    with pytest.raises(CredentialsValidateFailedError) as raised:
        AtlasCloudRerankModel([]).validate_credentials("jina/rr", NATIVE | {"context_size": "many"})
    assert str(raised.value) == "'context_size' must be a whole number, got 'many'"
    assert upstream.requests == []


def test_the_schema_of_a_user_added_ranker_comes_from_its_form():
    entity = AtlasCloudRerankModel([]).get_customizable_model_schema("my/ranker", LLM | {"context_size": "2048"})
    assert entity is not None and entity.model_properties[ModelPropertyKey.CONTEXT_SIZE] == 2048
    assert entity.pricing is not None and entity.pricing.output == Decimal("10")

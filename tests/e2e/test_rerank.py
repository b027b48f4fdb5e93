"""Rerank through the real plugin process: LLM ranker, native /rerank and multimodal rerank."""

from __future__ import annotations

import base64
import json
import math
import random
import re
import time
from decimal import ROUND_HALF_UP, Decimal

import pytest
from PIL import Image

from testkit.images import encode
from testkit.plugin_driver import DAEMON_MAX_LINE_BYTES, action_request
from testkit.rerank_set import BREAKOUTS, FORGED_SCORES, INJECTION_QUERY, INJECTION_VICTIM, labelled_set
from testkit.simulator.behaviour import prompt_tokens
from testkit.simulator.ranker import RANKER_MARKER

RANKER = "Qwen/Qwen3-235B-A22B-Instruct-2507"
VISION_RANKER = "qwen/qwen3.5-27b"
DOCS = [
    "Paris is the capital of France.",
    "Bananas are rich in potassium.",
    "The capital of France has the Eiffel Tower.",
]


def rerank(plugin, credentials, query, docs, threshold=None, top_n=None, model=RANKER):
    return plugin.request(
        action_request(
            "invoke_rerank",
            "rerank",
            model,
            credentials,
            query=query,
            docs=docs,
            score_threshold=threshold,
            top_n=top_n,
        )
    )


def ranker_calls(sim):
    return [r for r in sim.requests("/v1/chat/completions") if RANKER_MARKER in str(r.body["messages"][0])]


def test_scores_are_absolute_sorted_and_keep_indices(plugin, sim, creds):
    result = rerank(plugin, creds, "capital of France", DOCS).single()
    assert [(d["index"], d["text"]) for d in result["docs"]] == [(0, DOCS[0]), (2, DOCS[2]), (1, DOCS[1])]
    assert [d["score"] for d in result["docs"]] == [1.0, 1.0, 0.0]
    body = ranker_calls(sim)[0].body
    assert body["temperature"] == 0 and body["response_format"]["type"] == "json_schema"
    assert body["model"] == RANKER and "thinking" not in body


def test_a_single_relevant_document_keeps_its_score(plugin, sim, creds):
    result = rerank(plugin, creds, "capital of France", [DOCS[0]], threshold=0.5).single()
    assert [(d["index"], d["score"]) for d in result["docs"]] == [(0, 1.0)]


def test_threshold_is_inclusive_and_top_n_applies_after(plugin, sim, creds):
    docs = ["alpha beta", "alpha", "gamma", "alpha beta delta"]
    result = rerank(plugin, creds, "alpha beta", docs, threshold=0.5, top_n=2).single()
    assert [(d["index"], d["score"]) for d in result["docs"]] == [(0, 1.0), (3, 1.0)]
    result = rerank(plugin, creds, "alpha beta", docs, threshold=0.5).single()
    assert [(d["index"], d["score"]) for d in result["docs"]] == [(0, 1.0), (3, 1.0), (1, 0.5)]


def test_thinking_is_switched_off_for_rankers_that_allow_it(plugin, sim, creds):
    rerank(plugin, creds, "capital of France", DOCS, model="deepseek-ai/deepseek-v3.2").single()
    assert ranker_calls(sim)[0].body["thinking"] == {"type": "disabled"}


@pytest.mark.parametrize("attack", sorted(BREAKOUTS))
def test_documents_cannot_break_out_of_their_delimiters(plugin, sim, creds, attack):
    """The simulated ranker reads look-alike tags as real ones (gullible): if a breakout got
    through, it would grade the forged "D2" (the query's words) 100 instead of the real one."""
    sim.state.ranker.gullible = True
    docs = [BREAKOUTS[attack], INJECTION_VICTIM]
    result = rerank(plugin, creds, INJECTION_QUERY, docs).single()
    assert {d["index"]: d["score"] for d in result["docs"]} == {0: 1.0, 1: 0.0}
    assert list(sim.state.ranker.seen[0]) == ["D1", "D2"]
    assert sim.state.ranker.seen[0]["D2"] == INJECTION_VICTIM.lower()
    assert [d["text"] for d in sorted(result["docs"], key=lambda d: d["index"])] == docs, "texts echoed unchanged"


@pytest.mark.parametrize(
    ("forgery", "shape"),
    [(name, "quoted_truncated") for name in sorted(FORGED_SCORES)] + [("forged_json", "quoted")],
)
def test_scores_quoted_from_a_document_do_not_win(plugin, sim, creds, forgery, shape):
    """The ranker quotes the document's forged score before its own answer (complete, or cut
    short before reaching D2): only the model's own answer counts, and D2 is asked again."""
    sim.state.ranker.replies.append(shape)
    result = rerank(plugin, creds, INJECTION_QUERY, [FORGED_SCORES[forgery], INJECTION_VICTIM]).single()
    assert {d["index"]: d["score"] for d in result["docs"]} == {0: 0.0, 1: 0.0}
    assert len(ranker_calls(sim)) == (2 if shape == "quoted_truncated" else 1)


@pytest.mark.parametrize("shape", ["fenced", "think", "bare_list", "mapping", "truncated"])
def test_messy_replies_are_parsed(plugin, sim, creds, shape):
    sim.state.ranker.replies.append(shape)
    result = rerank(plugin, creds, "capital of France", DOCS).single()
    assert {d["index"]: d["score"] for d in result["docs"]} == {0: 1.0, 1: 0.0, 2: 1.0}


def test_out_of_range_scores_are_clamped_and_unknown_ids_ignored(plugin, sim, creds):
    # Reply: D1 250, D999 90, D2 -40, D3 60, then D1 again at 30 (see testkit/simulator/ranker.py).
    sim.state.ranker.replies.append("out_of_range")
    result = rerank(plugin, creds, "capital of France", DOCS).single()
    assert {d["index"]: d["score"] for d in result["docs"]} == {0: 1.0, 1: 0.0, 2: 0.6}
    assert len(ranker_calls(sim)) == 1, "every document was scored: no repair call"


def test_the_first_score_of_a_duplicated_id_wins(plugin, sim, creds):
    sim.state.ranker.replies.append("duplicate")  # D1 20 first, then every id graded (D1 100)
    result = rerank(plugin, creds, "capital of France", DOCS).single()
    assert {d["index"]: d["score"] for d in result["docs"]} == {0: 0.2, 1: 0.0, 2: 1.0}


def test_unscored_documents_are_asked_again_once(plugin, sim, creds):
    sim.state.ranker.replies.append("partial")
    result = rerank(plugin, creds, "capital of France", DOCS).single()
    assert {d["index"]: d["score"] for d in result["docs"]} == {0: 1.0, 1: 0.0, 2: 1.0}
    calls = ranker_calls(sim)
    assert len(calls) == 2
    codes = [re.findall(r"<document-([0-9a-f]{8}) id=", call.body["messages"][1]["content"]) for call in calls]
    assert len(codes[1]) == 2, "only the missing ones"
    assert codes[0][0] != codes[1][0], "a fresh delimiter code for every request"


def test_still_unscored_documents_get_the_documented_fallback(plugin, sim, creds):
    sim.state.ranker.replies.extend(["partial", "garbage"])
    result = rerank(plugin, creds, "capital of France", DOCS).single()
    assert sorted(d["index"] for d in result["docs"]) == [0, 1, 2]
    assert {d["index"]: d["score"] for d in result["docs"]}[2] == 0.0


def test_an_unusable_ranker_is_a_clear_server_error(plugin, sim, creds):
    sim.state.ranker.replies.extend(["garbage", "garbage"])
    result = rerank(plugin, creds, "capital of France", DOCS)
    assert result.error_type == "InvokeServerUnavailableError"
    assert "no usable relevance scores" in result.message


@pytest.mark.parametrize(("count", "batches", "at_once"), [(50, 3, 3), (100, 5, 4)])
def test_many_documents_are_batched_concurrently_and_merged(plugin, sim, creds, count, batches, at_once):
    """Batches of at most 20 run at the same time (at most 4): the simulated ranker holds each
    call 0.4 s and counts the calls in flight together."""
    sim.state.ranker.latency_s = 0.4
    docs = [f"document {n} about {'france capital' if n % 10 == 0 else 'other things'}" for n in range(count)]
    result = rerank(plugin, creds, "france capital", docs, top_n=5).single()
    assert [d["index"] for d in result["docs"]] == [0, 10, 20, 30, 40]
    assert len(ranker_calls(sim)) == batches
    assert sim.state.ranker.max_in_flight == at_once


def test_long_documents_are_truncated_to_the_budget(plugin, sim, creds):
    long_doc = "capital of France. " + "filler text " * 5000
    rerank(plugin, creds, "capital of France", [long_doc]).single()
    prompt = ranker_calls(sim)[0].body["messages"][1]["content"]
    assert len(prompt) < 8000


def test_errors_map_like_the_llm(plugin, sim, creds):
    sim.inject("status", status=402, message="insufficient balance")
    result = rerank(plugin, creds, "q", DOCS)
    assert result.error_type == "InvokeRateLimitError" and "top up" in result.message


def test_transient_ranker_failures_are_retried_within_the_budget(plugin, sim, creds):
    sim.inject("status", status=503, message="overloaded", times=2)
    result = rerank(plugin, creds, "capital of France", DOCS)
    assert result.ok, result.error
    assert len(sim.requests("/v1/chat/completions")) == 3
    sim.inject("status", status=503, message="overloaded", times=3)
    failed = rerank(plugin, creds, "capital of France", DOCS)
    assert failed.error_type == "InvokeServerUnavailableError" and "overloaded" in failed.message


def plugin_log(plugin, needle: str, after: int = 0) -> str:
    """The plugin's log line containing `needle`. The SDK logs to the process's stdout in both
    modes; in serverless mode the reply comes over HTTP, so the line may trail it a little."""
    for _ in range(100):  # at most ~5 s
        found = [line for line in plugin.stdout_lines[after:] if needle in line]
        if found:
            return json.loads(found[-1])["data"]["message"]
        time.sleep(0.05)
    raise AssertionError(f"no {needle!r} in the plugin log")


def test_usage_and_cost_are_reported_in_the_plugin_log(plugin, sim, creds):
    sim.state.ranker.replies.append("partial")  # a repair call: usage covers both calls
    before = len(plugin.stdout_lines)
    rerank(plugin, creds, "capital of France", DOCS).single()
    message = plugin_log(plugin, "rerank usage", before)
    numbers = dict(re.findall(r"(\w+)=(\S+)", message))
    calls = ranker_calls(sim)
    assert len(calls) == 2 and numbers["model"] == RANKER and numbers["documents"] == "3"
    assert int(numbers["prompt_tokens"]) == sum(prompt_tokens(call.body) for call in calls)
    prompt, completion = int(numbers["prompt_tokens"]), int(numbers["completion_tokens"])
    assert completion > 0
    # Qwen3-235B-A22B-Instruct-2507: $0.20 in, $0.88 out per 1M tokens (its YAML); the SDK's
    # get_price rounds each amount to 7 decimals.
    expected = sum(
        (Decimal(price) * tokens / 10**6).quantize(Decimal("1e-7"), ROUND_HALF_UP)
        for price, tokens in (("0.20", prompt), ("0.88", completion))
    )
    assert Decimal(numbers["cost_usd"]) == expected


def test_ranking_quality_matches_the_oracle(plugin, sim, creds):
    """NDCG@10 of the plugin's ranking equals the ideal one when the ranker is the oracle."""
    cases = labelled_set()
    for query, docs, grades in cases[:10]:
        sim.state.ranker.oracle = {(query, d): g for d, g in zip(docs, grades, strict=True)}
        result = rerank(plugin, creds, query, docs, top_n=10).single()
        ranked = [grades[d["index"]] for d in result["docs"]]
        assert ndcg(ranked, grades, 10) == pytest.approx(1.0)
        assert [docs[d["index"]] for d in result["docs"]] == [d["text"] for d in result["docs"]]


def ndcg(ranked: list[int], grades: list[int], k: int) -> float:
    def dcg(values: list[int]) -> float:
        return sum((2**g - 1) / math.log2(position + 2) for position, g in enumerate(values[:k]))

    return dcg(ranked) / dcg(sorted(grades, reverse=True))


def test_native_rerank_protocol(plugin, sim, creds):
    sim.state.ranker.native_enabled = True
    native = {**creds, "rerank_protocol": "native", "context_size": "8192"}
    result = rerank(plugin, native, "capital of France", DOCS, top_n=2, model="acme/reranker").single()
    assert [d["index"] for d in result["docs"]] == [0, 2]
    body = sim.last_body("/v1/rerank")
    assert body["top_n"] == 2 and body["return_documents"] is False
    rerank(plugin, native, "capital of France", DOCS, model="acme/reranker").single()
    assert "top_n" not in sim.last_body("/v1/rerank")


def test_native_logits_are_mapped_through_a_sigmoid(plugin, sim, creds):
    sim.state.ranker.native_enabled = True
    sim.state.ranker.native_logits = True
    native = {**creds, "rerank_protocol": "native", "native_scores": "logits", "context_size": "8192"}
    result = rerank(plugin, native, "alpha beta", ["alpha", "zzz"], model="acme/reranker").single()
    assert [round(d["score"], 3) for d in result["docs"]] == [0.5, 0.0]


def test_native_reply_with_an_invalid_index_is_rejected(plugin, sim, creds):
    """An unreadable reply is the server's fault, never the user's (issue 18): not a bad request."""
    sim.state.ranker.native_enabled = True
    sim.state.ranker.native_bad_index = True
    native = {**creds, "rerank_protocol": "native", "context_size": "8192"}
    result = rerank(plugin, native, "capital of France", DOCS, model="acme/reranker")
    assert result.error_type == "InvokeServerUnavailableError" and "invalid result" in result.message
    assert "cannot read" in result.message


def colour_image(rgb: tuple[int, int, int]) -> str:
    return base64.b64encode(encode(Image.new("RGB", (64, 64), rgb), "PNG")).decode()


def test_multimodal_rerank_with_image_documents(plugin, sim, creds):
    docs = [
        {"content": colour_image((30, 60, 220)), "content_type": "image"},
        {"content": "a red apple", "content_type": "text"},
        {"content": colour_image((220, 30, 30)), "content_type": "image"},
    ]
    query = {"content": "red", "content_type": "text"}
    result = plugin.request(
        action_request("invoke_multimodal_rerank", "rerank", VISION_RANKER, creds, query=query, docs=docs,
                       score_threshold=None, top_n=None)
    ).single()  # fmt: skip
    assert [d["index"] for d in result["docs"]][:2] in ([1, 2], [2, 1])
    assert result["docs"][-1]["index"] == 0
    parts = ranker_calls(sim)[0].body["messages"][1]["content"]
    assert sum(p["type"] == "image_url" for p in parts) == 2
    assert all(p["image_url"]["detail"] == "low" for p in parts if p["type"] == "image_url")


def test_image_query_is_supported(plugin, sim, creds):
    docs = [
        {"content": colour_image((220, 30, 30)), "content_type": "image"},
        {"content": "blue", "content_type": "text"},
    ]
    query = {"content": colour_image((30, 60, 220)), "content_type": "image"}
    result = plugin.request(
        action_request("invoke_multimodal_rerank", "rerank", VISION_RANKER, creds, query=query, docs=docs,
                       score_threshold=0.5, top_n=None)
    ).single()  # fmt: skip
    assert [d["index"] for d in result["docs"]] == [1]


def test_text_results_stay_under_the_daemon_line_cap(plugin, sim, creds):
    """40 documents of ~140 kB each as JSON (UTF-8 "é" is 2 bytes, a control character 6 once
    escaped): 5.6 MB in all. The best-ranked ones that fit are echoed whole, the rest are left
    out with a warning; the driver kills the plugin on a line over the daemon's 5 MiB."""
    filler = "\u00e9" * 20000 + "\x01" * 10000 + "x" * 40000
    words = ["alpha", "beta", "gamma", "delta"]
    docs = [" ".join(words[: n % 5]) + f" doc{n} " + filler for n in range(40)]
    before = len(plugin.stdout_lines)
    result = rerank(plugin, creds, "alpha beta gamma delta", docs).single()
    kept = [d["index"] for d in result["docs"]]
    assert kept == sorted(range(40), key=lambda n: (-(n % 5), n))[: len(kept)] and 30 <= len(kept) < 40
    assert all(d["text"] == docs[d["index"]] for d in result["docs"]), "kept texts are never cut"
    assert 4.5 * 2**20 < plugin.longest_line <= DAEMON_MAX_LINE_BYTES
    warning = plugin_log(plugin, "left out", before)
    assert f"left out the {40 - len(kept)} lowest-ranked of 40 documents" in warning


def noise_image(seed: int, side: int = 600) -> str:
    """A PNG that does not compress: about 1.4 MB of base64."""
    pixels = random.Random(seed).randbytes(side * side * 3)
    return base64.b64encode(encode(Image.frombytes("RGB", (side, side), pixels), "PNG")).decode()


def test_multimodal_results_never_echo_image_base64(plugin, sim, creds):
    """Echoed, these images would make a 7 MB line and the daemon would kill the plugin."""
    docs = [{"content": noise_image(n), "content_type": "image"} for n in range(5)]
    docs.append({"content": "a red apple", "content_type": "text"})
    assert sum(len(d["content"]) for d in docs) > 6 * 2**20
    result = plugin.request(
        action_request("invoke_multimodal_rerank", "rerank", VISION_RANKER, creds,
                       query={"content": "red", "content_type": "text"}, docs=docs, score_threshold=None, top_n=None)
    ).single()  # fmt: skip
    assert {d["index"]: d["text"] for d in result["docs"]} == {0: "", 1: "", 2: "", 3: "", 4: "", 5: "a red apple"}
    assert len(json.dumps(result)) < 1000


def test_bad_image_documents_are_clear_bad_requests(plugin, sim, creds):
    docs = [{"content": "%%% not base64 %%%", "content_type": "image"}]
    result = plugin.request(
        action_request("invoke_multimodal_rerank", "rerank", VISION_RANKER, creds,
                       query={"content": "x", "content_type": "text"}, docs=docs, score_threshold=None, top_n=None)
    )  # fmt: skip
    assert result.error_type == "InvokeBadRequestError" and "not valid base64" in result.message
    assert ranker_calls(sim) == []


def test_multimodal_rerank_needs_a_vision_ranker(plugin, sim, creds):
    docs = [{"content": colour_image((1, 2, 3)), "content_type": "image"}]
    result = plugin.request(
        action_request("invoke_multimodal_rerank", "rerank", RANKER, creds,
                       query={"content": "x", "content_type": "text"}, docs=docs, score_threshold=None, top_n=None)
    )  # fmt: skip
    assert result.error_type == "InvokeBadRequestError" and "cannot read images" in result.message


def test_customizable_ranker_and_validation(plugin, sim, creds):
    custom = {**creds, "rerank_protocol": "llm", "context_size": "32768", "vision_support": "support"}
    schema = plugin.request(action_request("get_ai_model_schemas", "rerank", "sim/plain-chat", custom)).single()
    assert schema["model_schema"]["features"] == ["vision"]
    ok = plugin.request(action_request("validate_model_credentials", "rerank", "sim/plain-chat", custom))
    assert ok.single()["result"] is True
    bad = plugin.request(action_request("validate_model_credentials", "rerank", "acme/none", custom))
    assert bad.error_type == "CredentialsValidateFailedError" and "acme/none" in bad.message


def test_empty_document_list(plugin, sim, creds):
    assert rerank(plugin, creds, "q", []).single()["docs"] == []
    assert json.dumps(ranker_calls(sim)) == "[]"

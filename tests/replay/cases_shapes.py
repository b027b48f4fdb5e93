"""Message shapes and SSE framing: keep-alives, odd fields, CRLF, split bytes, non-string content."""

from __future__ import annotations

from typing import Any

from tests.replay.cases_endings import HELLO, HELLO_PARTS, openrouter, vllm_text
from tests.replay.cases_reasoning import blocking_message, deepseek
from tests.replay.cases_tools import vllm
from tests.replay.spec import Case, Expect, compact, sse

UNICODE_ANSWER = "你好，世界 🌍 Grüße aus Köln"


def foundry(content: str, n: int, finish: str | None = None) -> str:
    """Foundry Local chunks (microsoft/foundry-local#263): `message` beside `delta`, an incrementing
    choice index, a per-chunk id, and `"error": null` on every chunk."""
    part = {
        "role": "assistant",
        "content": content,
        "name": None,
        "tool_call_id": None,
        "function_call": None,
        "tool_calls": [],
    }
    choice = {
        "delta": part,
        "message": part,
        "index": n,
        "finish_reason": finish,
        "finish_details": None,
        "logprobs": None,
    }
    return compact(
        {
            "model": "qwen2.5-1.5b-instruct-generic-gpu:3",
            "choices": [choice],
            "usage": None,
            "system_fingerprint": None,
            "service_tier": None,
            "created": 1758888848,
            "CreatedAt": "2025-09-26T12:14:08+00:00",
            "id": f"chat.id.{n}",
            "StreamEvent": None,
            "IsDelta": False,
            "Successful": True,
            "error": None,
            "HttpStatusCode": 0,
            "HeaderValues": None,
            "object": "chat.completion.chunk",
        }
    )


def perplexity(so_far: str, piece: str, finish: str | None = None) -> str:
    """Perplexity chunks carry the cumulative `message` and the new `delta` (BerriAI/litellm#5158)."""
    choice = {
        "message": {"role": "assistant", "content": so_far},
        "index": 0,
        "delta": {"content": piece},
        "finish_reason": finish,
    }
    return compact(
        {
            "id": "51dd74f1-9dbe-4018-a70c-84731a640370",
            "choices": [choice],
            "created": 1723491832,
            "model": "sonar",
            "object": "chat.completion.chunk",
        }
    )


def cumulative_pieces(parts: tuple[str, ...]) -> list[tuple[str, str]]:
    return [("".join(parts[: i + 1]), p) for i, p in enumerate(parts)]


def azure(delta: dict[str, Any] | None, finish: str | None = None) -> str:
    if delta is None:  # Azure's first chunk: prompt filter results, no choices, empty id/model/object
        return compact(
            {
                "choices": [],
                "created": 0,
                "id": "",
                "model": "",
                "object": "",
                "prompt_filter_results": [
                    {
                        "prompt_index": 0,
                        "content_filter_results": {
                            "hate": {"filtered": False, "severity": "safe"},
                            "self_harm": {"filtered": False, "severity": "safe"},
                            "sexual": {"filtered": False, "severity": "safe"},
                            "violence": {"filtered": False, "severity": "safe"},
                        },
                    }
                ],
            }
        )
    choice = {"content_filter_results": {}, "delta": delta, "finish_reason": finish, "index": 0, "logprobs": None}
    return compact(
        {
            "choices": [choice],
            "created": 1726477015,
            "id": "chatcmpl-A81pP6alc0RE3Zla0twbE5qPswTLA",
            "model": "gpt-4o-2024-05-13",
            "object": "chat.completion.chunk",
            "system_fingerprint": "fp_80a1bad4c7",
        }
    )


# OpenAI's documented chunk, spacing included (as quoted in aws-samples/bedrock-access-gateway#11).
OPENAI_HEAD = (
    '{"id":"chatcmpl-123","object":"chat.completion.chunk","created":1694268190,"model":"gpt-3.5-turbo-0125", '
)
OPENAI_FP = '"system_fingerprint": "fp_44709d6fcb", '
OPENAI_STYLE = [
    vllm({"role": "assistant", "content": ""}),
    *(vllm({"content": p}) for p in HELLO_PARTS),
    vllm({}, "stop"),
]

CASES = (
    Case(
        name="openrouter_processing_comments",
        source="OpenRouter docs, streaming https://openrouter.ai/docs/api-reference/streaming "
        "(`: OPENROUTER PROCESSING` comments keep the connection alive)",
        sse=sse(
            ": OPENROUTER PROCESSING",
            ": OPENROUTER PROCESSING",
            openrouter({"role": "assistant", "content": HELLO_PARTS[0]}),
            ": OPENROUTER PROCESSING",
            openrouter({"role": "assistant", "content": "".join(HELLO_PARTS[1:])}),
            openrouter({"role": "assistant", "content": ""}, "stop"),
        ),
        expect=Expect(answer=HELLO),
    ),
    Case(
        name="deepseek_keepalive_comments_and_blank_lines",
        source="DeepSeek API docs, rate limit https://api-docs.deepseek.com/quick_start/rate_limit (while queued: "
        "`: keep-alive` comments when streaming, empty lines before the JSON body otherwise)",
        sse=sse(
            ": keep-alive",
            ": keep-alive",
            deepseek({"role": "assistant", "content": ""}),
            ": keep-alive",
            *(deepseek({"content": p}) for p in HELLO_PARTS),
            deepseek({"content": ""}, "stop"),
        ),
        json=b"\n\n\n\n" + blocking_message({"role": "assistant", "content": HELLO}, model="deepseek-chat"),
        expect=Expect(answer=HELLO),
    ),
    Case(
        name="sse_id_and_retry_only_events",
        source="WHATWG HTML Living Standard, server-sent events https://html.spec.whatwg.org/multipage/"
        "server-sent-events.html (events made only of `id:`/`retry:` fields dispatch nothing)",
        sse=sse(
            "retry: 3000",
            "id: 1\n" + "data: " + OPENAI_STYLE[0],
            "id: 2",
            *(f"id: {n}\ndata: {chunk}" for n, chunk in enumerate(OPENAI_STYLE[1:], start=3)),
        ),
        expect=Expect(answer=HELLO),
    ),
    Case(
        name="crlf_line_endings",
        source="Continuum-AI-Corp/OrcaRouter-Lite#98 (Azure-hosted models frame SSE with \\r\\n\\r\\n); "
        "Routstr/routstr-core#543 (Gemini alt=sse uses CRLF)",
        sse=sse(*OPENAI_STYLE, eol="\r\n"),
        expect=Expect(answer=HELLO),
    ),
    Case(
        name="utf8_characters_split_across_reads",
        source="vllm-project/vllm#38732 (multi-byte UTF-8 characters split across HTTP chunk boundaries)",
        note="Valid UTF-8 cut by the transport must be joined again, not replaced or rejected.",
        sse=sse(*vllm_text("你好，世界", " 🌍 Grüße", " aus Köln")),
        json=blocking_message({"role": "assistant", "content": UNICODE_ANSWER}, model="Qwen/Qwen3-8B"),
        chunk_size=7,
        expect=Expect(answer=UNICODE_ANSWER),
    ),
    Case(
        name="empty_delta_keepalive_chunks",
        source="jundot/omlx#1011 (keep-alive sent as empty chat.completion.chunk events during long prefill)",
        sse=sse(
            vllm({}),
            vllm({}),
            compact(
                {
                    "id": "chatcmpl-ka",
                    "object": "chat.completion.chunk",
                    "created": 1777000000,
                    "model": "qwen3",
                    "choices": [],
                }
            ),
            *OPENAI_STYLE,
        ),
        expect=Expect(answer=HELLO),
    ),
    Case(
        name="role_only_first_delta_and_empty_final_delta",
        source="aws-samples/bedrock-access-gateway#11 (OpenAI's reference stream: role with empty content first, "
        "`delta: {}` with finish_reason last)",
        sse=sse(
            OPENAI_HEAD + OPENAI_FP + '"choices":[{"index":0,"delta":{"role":"assistant","content":""},'
            '"logprobs":null,"finish_reason":null}]}',
            *(
                OPENAI_HEAD + OPENAI_FP + f'"choices":[{{"index":0,"delta":{{"content":"{p}"}},'
                '"logprobs":null,"finish_reason":null}]}'
                for p in HELLO_PARTS
            ),
            OPENAI_HEAD + OPENAI_FP + '"choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}]}',
        ),
        expect=Expect(answer=HELLO),
    ),
    Case(
        name="azure_prompt_filter_chunk_first",
        source="brave/brave-browser#40902 (Azure OpenAI's first chunk: choices [], empty id/model/object, "
        "prompt_filter_results)",
        sse=sse(
            azure(None), azure({"role": "assistant"}), *(azure({"content": p}) for p in HELLO_PARTS), azure({}, "stop")
        ),
        expect=Expect(answer=HELLO),
    ),
    Case(
        name="tgi_incrementing_choice_index",
        source="huggingface/text-generation-inference#1648 (TGI chunks: choice index counting tokens, empty id, "
        "object text_completion, finish_reason length)",
        sse=sse(
            *(
                compact(
                    {
                        "id": "",
                        "object": "text_completion",
                        "created": 1710508199,
                        "model": "HuggingFaceH4/zephyr-7b-beta",
                        "system_fingerprint": "1.4.3-sha-e6bb3ff",
                        "choices": [
                            {
                                "index": n,
                                "delta": {"role": "assistant", "content": t},
                                "logprobs": None,
                                "finish_reason": f,
                            }
                        ],
                    }
                )
                for n, (t, f) in enumerate([("I", None), ("'", None), ("m", "length")], start=1)
            )
        ),
        expect=Expect(answer="I'm", finish_reason="length"),
    ),
    Case(
        name="foundry_local_message_index_and_error_null",
        source="microsoft/foundry-local#263 and #144 (`message` beside `delta`, incrementing index, per-chunk ids, "
        '`"error": null` on every chunk)',
        note="An `error` key whose value is null is no error.",
        sse=sse(*(foundry(p, n) for n, p in enumerate(HELLO_PARTS)), foundry("", len(HELLO_PARTS), "stop")),
        expect=Expect(answer=HELLO),
    ),
    Case(
        name="perplexity_cumulative_message_beside_delta",
        source="BerriAI/litellm#5158 (Perplexity chunks carry the text so far in `message`, the new piece in `delta`)",
        note="The answer is built from the deltas; the cumulative message must not be added again.",
        sse=sse(
            *(perplexity(so_far, p) for so_far, p in cumulative_pieces(HELLO_PARTS)),
            perplexity(HELLO, "", "stop"),
        ),
        expect=Expect(answer=HELLO),
    ),
    Case(
        name="chunks_without_id_and_choice_index",
        source="devchat-ai/devchat#127 (stream chunks missing the `id` and `index` keys)",
        sse=sse(
            *(
                compact({"object": "chat.completion.chunk", "choices": [{"delta": {"content": p}}]})
                for p in HELLO_PARTS
            ),
            compact({"object": "chat.completion.chunk", "choices": [{"delta": {}, "finish_reason": "stop"}]}),
        ),
        expect=Expect(answer=HELLO),
    ),
    Case(
        name="blocking_content_as_text_parts",
        source="labring/FastGPT#4877 (a non-streaming reply's content is sometimes an array of parts, not a string)",
        json=blocking_message(
            {
                "role": "assistant",
                "content": [{"type": "text", "text": "Hello! "}, {"type": "text", "text": "How can I help you today?"}],
            },
            model="gemini-2.5-flash",
        ),
        expect=Expect(answer=HELLO),
    ),
    Case(
        name="mistral_thinking_and_text_parts",
        source="langchain4j/langchain4j#4474 (Magistral returns content as `thinking` and `text` blocks); "
        "mistralai/client-python#252",
        note="A thinking part is reasoning: shown as the think block, never as raw JSON or lost.",
        json=blocking_message(
            {
                "role": "assistant",
                "content": [
                    {"type": "thinking", "thinking": [{"type": "text", "text": "Let me reason about the question."}]},
                    {"type": "text", "text": "The answer is 42."},
                ],
            },
            model="magistral-medium-2509",
        ),
        expect=Expect(reasoning="Let me reason about the question.", answer="The answer is 42."),
    ),
    Case(
        name="refusal_with_null_content",
        source="openclaw/openclaw#102321 (refusals arrive in `refusal` with content null, streaming and blocking)",
        note="The refusal is the model's answer to the user; an empty answer would hide it.",
        sse=sse(
            vllm({"role": "assistant", "content": None, "refusal": ""}, model="gpt-4o-2024-08-06"),
            vllm({"refusal": "I can't help"}, model="gpt-4o-2024-08-06"),
            vllm({"refusal": " with that."}, model="gpt-4o-2024-08-06"),
            vllm({}, "stop", model="gpt-4o-2024-08-06"),
        ),
        json=blocking_message(
            {"role": "assistant", "content": None, "refusal": "I can't help with that."}, model="gpt-4o-2024-08-06"
        ),
        expect=Expect(answer="I can't help with that."),
    ),
)

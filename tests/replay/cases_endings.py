"""How streams end: missing or non-OpenAI finish reasons, aborts, drops, and where usage arrives."""

from __future__ import annotations

from typing import Any

from tests.replay.cases_tools import blocking, call, vllm, vllm_usage
from tests.replay.spec import SERVER_FAULT, Case, Expect, compact, sse

HELLO = "Hello! How can I help you today?"
HELLO_PARTS = ("Hello", "!", " How can I", " help you today?")


def sglang(content: str | None, finish: str | None = None) -> str:
    """SGLang 0.4 chunks (sgl-project/sglang#4550): nulls spelled out, `matched_stop`, `usage: null`."""
    delta = {"role": None, "content": content, "reasoning_content": None, "tool_calls": None}
    choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish, "matched_stop": None}
    return compact(
        {
            "id": "93b6717481cf45c284841fac5c3af2a3",
            "object": "chat.completion.chunk",
            "created": 1742289669,
            "model": "DeepSeek-R1",
            "choices": [choice],
            "usage": None,
        }
    )


def cumulative(content: str, completion_tokens: int) -> str:
    """A server that repeats cumulative usage on every chunk and never sets finish_reason
    (alfredapp/openai-workflow#52)."""
    return compact(
        {
            "created": 1732022963,
            "id": "de598844107d49db83209a7836362406",
            "model": "xxxx-turbo",
            "version": "202409241030",
            "choices": [{"index": 0, "delta": {"role": "assistant", "content": content}}],
            "usage": {
                "prompt_tokens": 1061,
                "completion_tokens": completion_tokens,
                "total_tokens": 1061 + completion_tokens,
            },
        }
    )


def together(content: str, finish: str | None = None, **extra: Any) -> str:
    """Together's chunk: `text` beside `delta`, token ids (openai/openai-dotnet#267, vespa-engine/vespa#33327)."""
    delta = {"token_id": 9906, "role": "assistant", "content": content, "tool_calls": None}
    choice = {"index": 0, "text": content, "logprobs": None, "finish_reason": finish, "seed": None, "delta": delta}
    return compact(
        {
            "id": "8e3f1c2b9a7d6e5f-AMS",
            "object": "chat.completion.chunk",
            "created": 1739500000,
            "model": "meta-llama/Llama-3.3-70B-Instruct-Turbo",
            "choices": [choice],
            **extra,
        }
    )


def openai_like(delta: dict[str, Any], finish: str | None, model: str, cid: str, **extra: Any) -> str:
    choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
    return compact(
        {
            "id": cid,
            "object": "chat.completion.chunk",
            "created": 1714800000,
            "model": model,
            "choices": [choice],
            **extra,
        }
    )


def bedrock(delta: dict[str, Any], finish: str | None = None) -> str:
    return openai_like(delta, finish, "anthropic.claude-3-sonnet-20240229-v1:0", "chatcmpl-8f1e2d3c")


def ollama(content: str, finish: str) -> str:
    return compact(
        {
            "id": "chatcmpl-693",
            "object": "chat.completion.chunk",
            "created": 1715427619,
            "model": "mistral:latest",
            "system_fingerprint": "fp_ollama",
            "choices": [{"index": 0, "delta": {"role": "assistant", "content": content}, "finish_reason": finish}],
        }
    )


def openrouter(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> str:
    """OpenRouter chunks carry `provider` and `native_finish_reason` (Effect-TS/effect#6117)."""
    choice = {"index": 0, "delta": delta, "finish_reason": finish, "native_finish_reason": finish}
    return compact(
        {
            "id": "gen-1778031306-UD7bR0I1JNCsPvVzlXat",
            "provider": "DeepInfra",
            "model": "qwen/qwen3-235b-a22b-2507",
            "object": "chat.completion.chunk",
            "created": 1778031306,
            "choices": [choice],
            **extra,
        }
    )


OPENROUTER_USAGE = {
    "prompt_tokens": 13,
    "completion_tokens": 16,
    "total_tokens": 29,
    "cost": 0.000093,
    "is_byok": False,
    "prompt_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 0, "audio_tokens": 0, "video_tokens": 0},
    "completion_tokens_details": {"reasoning_tokens": 0, "image_tokens": 0, "audio_tokens": 0},
}


def vllm_text(*parts: str, finish: str | None = "stop") -> list[str]:
    chunks = [vllm({"role": "assistant", "content": ""})] + [vllm({"content": p}) for p in parts]
    return [*chunks, vllm({"content": ""}, finish)] if finish else chunks


CASES = (
    Case(
        name="done_without_any_finish_reason",
        source="sgl-project/sglang#4550 (SGLang streams finish_reason null on every chunk, then [DONE])",
        note="[DONE] after a complete answer is the end of the answer, not a dropped connection.",
        sse=sse(*(sglang(p) for p in HELLO_PARTS)),
        expect=Expect(answer=HELLO),
    ),
    Case(
        name="clean_close_without_finish_reason_or_done",
        source="alfredapp/openai-workflow#52 (no finish_reason ever; cumulative usage on every chunk)",
        note="A clean close after the body is a normal end; cumulative usage is reported once, at the end.",
        sse=sse(cumulative("我可", 22), cumulative("以帮", 24), cumulative("你的", 26), done=False),
        ending="close",
        expect=Expect(answer="我可以帮你的"),
    ),
    Case(
        name="done_line_without_trailing_blank_line",
        source="darshi1337/apogee#139 (llama-server sends `data: [DONE]` with no trailing blank line)",
        sse=sse(*vllm_text(*HELLO_PARTS), done=False) + b"data: [DONE]",
        expect=Expect(answer=HELLO),
    ),
    Case(
        name="finish_reason_eos_together",
        source="openai/openai-dotnet#267 and vespa-engine/vespa#33327 (Together AI ends with finish_reason eos)",
        sse=sse(
            *(together(p) for p in HELLO_PARTS),
            together("", "eos", usage={"prompt_tokens": 12, "completion_tokens": 9, "total_tokens": 21}),
        ),
        json=blocking(
            {"role": "assistant", "content": HELLO, "tool_calls": []},
            "eos",
            model="meta-llama/Llama-3.3-70B-Instruct-Turbo",
        ),
        expect=Expect(answer=HELLO),
    ),
    Case(
        name="finish_reason_end_turn_bedrock_gateway",
        source="aws-samples/bedrock-access-gateway#11 (the gateway passes Bedrock's end_turn through as finish_reason)",
        sse=sse(
            bedrock({"role": "assistant", "content": ""}),
            *(bedrock({"content": p}) for p in HELLO_PARTS),
            bedrock({}, "end_turn"),
        ),
        json=blocking(
            {"role": "assistant", "content": HELLO}, "end_turn", model="anthropic.claude-3-sonnet-20240229-v1:0"
        ),
        expect=Expect(answer=HELLO),
    ),
    Case(
        name="finish_reason_empty_string_ollama",
        source='ollama/ollama#4357 (Ollama sent finish_reason "" on every content chunk)',
        note="An empty finish_reason is no finish reason; the real one comes on the last chunk.",
        sse=sse(*(ollama(p, "") for p in HELLO_PARTS), ollama("", "stop")),
        expect=Expect(answer=HELLO),
    ),
    Case(
        name="poolside_integer_finish_reason",
        source="NousResearch/hermes-agent#58367 (Poolside returns finish_reason as an integer, e.g. 24)",
        note="An integer finish reason after a complete answer is read as a normal ending.",
        sse=sse(
            *(
                compact(
                    {
                        "id": "cmpl-7d2f41a9",
                        "object": "chat.completion.chunk",
                        "created": 1783200000,
                        "model": "poolside/laguna-m.1",
                        "choices": [{"index": 0, "delta": {"content": p}, "finish_reason": f}],
                    }
                )
                for p, f in ((HELLO_PARTS[0], None), ("".join(HELLO_PARTS[1:]), None), ("", 24))
            )
        ),
        json=blocking({"role": "assistant", "content": HELLO}, 24, model="poolside/laguna-m.1"),
        expect=Expect(answer=HELLO),
    ),
    Case(
        name="vllm_finish_reason_abort",
        source="vllm-project/vllm#57082 (engine aborts end the stream with finish_reason abort, then [DONE])",
        note="The server says it aborted: the short text must not be passed off as the answer.",
        sse=sse(*vllm_text("The capital of France is", finish="abort"), vllm_usage(40, 6)),
        expect=Expect(error=(SERVER_FAULT, "")),
    ),
    Case(
        name="vllm_finish_reason_error",
        source="vllm-project/vllm#37148 (FINISHED_ERROR reaches the client as finish_reason error); "
        "CherryHQ/cherry-studio#16079",
        sse=sse(*vllm_text("Paris is", finish="error")),
        expect=Expect(error=(SERVER_FAULT, "")),
    ),
    Case(
        name="connection_dropped_mid_answer",
        source="earendil-works/pi#8460 (an OpenAI-compatible gateway truncates streams mid-generation)",
        sse=sse(*vllm_text("The answer is", " forty", finish=None), done=False),
        json=b'{"id":"chatcmpl-cb1efbea88d44f1ca0da701ac2139e53","object":"chat.completion","created":1763738578,'
        b'"model":"Qwen/Qwen3-8B","choices":[{"index":0,"message":{"role":"assistant","content":"The answer is forty',
        ending="drop",
        expect=Expect(error=("InvokeConnectionError", "")),
    ),
    Case(
        name="connection_reset_mid_tool_arguments",
        source="open-webui/computer#300 (a proxy cut the SSE stream mid tool-call arguments: broken pipe)",
        sse=sse(
            vllm({"role": "assistant", "content": ""}),
            vllm({"tool_calls": [call(0, "", "call_c0ffee01", "get_weather")]}),
            vllm({"tool_calls": [call(0, '{"city": "Pa')]}),
            done=False,
        ),
        ending="reset",
        expect=Expect(error=("InvokeConnectionError", "")),
    ),
    Case(
        name="usage_only_final_chunk_openrouter",
        source="Effect-TS/effect#6117 (OpenRouter ends with a usage-only chunk, choices [], cost fields)",
        sse=sse(
            openrouter({"role": "assistant", "content": HELLO_PARTS[0]}),
            openrouter({"role": "assistant", "content": "".join(HELLO_PARTS[1:])}),
            openrouter({"role": "assistant", "content": ""}, "stop"),
            compact({"choices": [], "usage": OPENROUTER_USAGE}),
        ),
        expect=Expect(answer=HELLO),
    ),
    Case(
        name="usage_in_finish_chunk",
        source="router-for-me/CLIProxyAPI#796 (usage sent in the same chunk as finish_reason stop)",
        sse=sse(
            *vllm_text(*HELLO_PARTS, finish=None),
            openai_like(
                {},
                "stop",
                "gemini-3-flash-preview",
                "chatcmpl-cb1efbea88d44f1ca0da701ac2139e53",
                usage={"prompt_tokens": 9, "completion_tokens": 9, "total_tokens": 18},
            ),
        ),
        expect=Expect(answer=HELLO),
    ),
    Case(
        name="usage_chunk_without_choices_key",
        source="ROCm/ATOM#1711 (usage-only stream chunks omitted the `choices` field)",
        sse=sse(
            *vllm_text(*HELLO_PARTS),
            compact(
                {
                    "id": "chatcmpl-cb1efbea88d44f1ca0da701ac2139e53",
                    "object": "chat.completion.chunk",
                    "created": 1763738578,
                    "model": "Qwen/Qwen3-8B",
                    "usage": {"prompt_tokens": 9, "total_tokens": 18, "completion_tokens": 9},
                }
            ),
        ),
        expect=Expect(answer=HELLO),
    ),
    Case(
        name="content_filter_finish_azure",
        source="openai/openai-agents-python#4188 (Chat Completions ends filtered output with finish_reason "
        "content_filter); CherryHQ/cherry-studio#16079",
        sse=sse(
            *(
                compact(
                    {
                        "choices": [
                            {"content_filter_results": {}, "delta": d, "finish_reason": f, "index": 0, "logprobs": None}
                        ],
                        "created": 1726477015,
                        "id": "chatcmpl-A81pP6alc0RE3Zla0twbE5qPswTLA",
                        "model": "gpt-4o-2024-05-13",
                        "object": "chat.completion.chunk",
                        "system_fingerprint": "fp_80a1bad4c7",
                    }
                )
                for d, f in (
                    ({"role": "assistant", "content": ""}, None),
                    ({"content": "Here is the story:"}, None),
                    ({}, "content_filter"),
                )
            )
        ),
        expect=Expect(answer="Here is the story:", finish_reason="content_filter"),
    ),
)

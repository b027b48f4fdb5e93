"""Tool-call dialects of particular backends: TGI, Poolside, Kimi K2, DeepSeek, GLM on vLLM-Ascend."""

from __future__ import annotations

from typing import Any

from tests.replay.cases_tools import PARIS, blocking, call, vllm, vllm_usage
from tests.replay.spec import TOOL_TURN, Case, Expect, compact, sse


def tgi(delta: dict[str, Any], finish: str | None = None) -> str:
    """TGI 2.4 chunks: empty `id`, `role` on every delta, `tool_calls` as an object (not a list)."""
    return compact(
        {
            "object": "chat.completion.chunk",
            "id": "",
            "created": 1733213355,
            "model": "/models/Qwen2.5-7B-Instruct-AWQ",
            "system_fingerprint": "2.4.1-sha-d2ed52f",
            "choices": [
                {"index": 0, "delta": {"role": "assistant", **delta}, "logprobs": None, "finish_reason": finish}
            ],
            "usage": None,
        }
    )


def tgi_call(name: str | None, args: str) -> dict[str, Any]:
    return {"tool_calls": {"index": 0, "id": "", "type": "function", "function": {"name": name, "arguments": args}}}


def poolside(delta: dict[str, Any], finish: int | str | None = None) -> str:
    return compact(
        {
            "id": "cmpl-7d2f41a9",
            "object": "chat.completion.chunk",
            "created": 1783200000,
            "model": "poolside/laguna-m.1",
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        }
    )


KIMI_REASONING = "The user asks for the weather in Berlin and a forecast. I should call both tools."
KIMI_CALLS = (
    ("get_weather", {"city": "Berlin"}),
    ("get_forecast", {"city": "Berlin", "days": 5}),
)
KIMI_IDS = ("functions.get_weather:0", "functions.get_forecast:1")


def kimi(delta: dict[str, Any], finish: str | None = None) -> str:
    return vllm(delta, finish, model="moonshotai/Kimi-K2.6")


def kimi_head(index: int, name: str) -> dict[str, Any]:
    fragment = {
        "index": index,
        "id": KIMI_IDS[index],
        "type": "function",
        "function": {"name": name, "arguments": None},
    }
    return {"tool_calls": [fragment]}


def kimi_args(index: int, args: str) -> dict[str, Any]:
    return {"tool_calls": [{"index": index, "id": None, "type": None, "function": {"name": None, "arguments": args}}]}


def glm(delta: dict[str, Any], finish: str | None = None) -> str:
    return vllm(delta, finish, model="glm-5")


CASES = (
    Case(
        name="tgi_tool_calls_object_with_empty_id",
        source='huggingface/text-generation-inference#2794 (TGI streams `tool_calls` as an object, id "", '
        "name null after the first fragment); spring-projects/spring-ai#4900 (finish_reason eos_token)",
        note="An empty id is no id: the plugin must give the call a non-empty one.",
        sse=sse(
            tgi(tgi_call("get_weather", "")),
            tgi(tgi_call(None, '{"city":')),
            tgi(tgi_call(None, ' "Paris"}')),
            tgi({"content": ""}, "eos_token"),
        ),
        expect=Expect(tool_calls=(("get_weather", PARIS),), finish_reason=TOOL_TURN),
    ),
    Case(
        name="poolside_integer_tool_call_id_and_finish_reason",
        source="NousResearch/hermes-agent#58367 (Poolside sends tool_call.id and finish_reason as integers)",
        note='Numbers where strings belong are read as their text: id 0 is the id "0"; an unknown integer '
        "finish reason after a complete tool call is a normal ending.",
        sse=sse(
            poolside({"role": "assistant", "content": ""}),
            poolside(
                {
                    "tool_calls": [
                        {"index": 0, "id": 0, "type": "function", "function": {"name": "get_weather", "arguments": ""}}
                    ]
                }
            ),
            poolside({"tool_calls": [{"index": 0, "function": {"arguments": '{"city":"Paris"}'}}]}),
            poolside({}, 24),
        ),
        json=blocking(
            {
                "role": "assistant",
                "content": "",
                "tool_calls": [
                    {"id": 0, "type": "function", "function": {"name": "get_weather", "arguments": '{"city":"Paris"}'}}
                ],
            },
            24,
            model="poolside/laguna-m.1",
        ),
        expect=Expect(tool_calls=(("get_weather", PARIS),), finish_reason=TOOL_TURN),
    ),
    Case(
        name="kimi_k2_reasoning_then_parallel_calls",
        source="vllm-project/vllm#46344 (Kimi K2 ids `functions.<name>:<n>`; continuation fragments with id/type/"
        "name null; reasoning before the calls)",
        sse=sse(
            kimi({"role": "assistant", "content": ""}),
            kimi({"reasoning_content": "The user asks for the weather in Berlin"}),
            kimi({"reasoning_content": " and a forecast. I should call both tools."}),
            kimi(kimi_head(0, "get_weather")),
            kimi(kimi_args(0, ' {"city": "Berlin"}')),
            kimi(kimi_head(1, "get_forecast")),
            kimi(kimi_args(1, ' {"city": "Berlin",')),
            kimi(kimi_args(1, ' "days": 5}')),
            kimi({}, "tool_calls"),
            vllm_usage(512, 88),
        ),
        json=blocking(
            {
                "role": "assistant",
                "content": "",
                "reasoning_content": KIMI_REASONING,
                "tool_calls": [
                    {
                        "id": KIMI_IDS[0],
                        "type": "function",
                        "function": {"name": "get_weather", "arguments": '{"city": "Berlin"}'},
                    },
                    {
                        "id": KIMI_IDS[1],
                        "type": "function",
                        "function": {"name": "get_forecast", "arguments": '{"city": "Berlin", "days": 5}'},
                    },
                ],
            },
            "tool_calls",
            model="moonshotai/Kimi-K2.6",
        ),
        expect=Expect(
            reasoning=KIMI_REASONING, tool_calls=KIMI_CALLS, tool_call_ids=KIMI_IDS, finish_reason="tool_calls"
        ),
    ),
    Case(
        name="deepseek_content_null_with_tool_calls",
        source="DeepSeek API docs, Function Calling https://api-docs.deepseek.com/guides/function_calling "
        "(assistant message with content null and tool_calls)",
        json=compact(
            {
                "id": "5f0e8a2c-3b1d-4a9e-8c7f-2d6b1e0a9c44",
                "object": "chat.completion",
                "created": 1767000000,
                "model": "deepseek-chat",
                "choices": [
                    {
                        "index": 0,
                        "message": {
                            "role": "assistant",
                            "content": None,
                            "tool_calls": [
                                {
                                    "index": 0,
                                    "id": "call_0_8a1b7c2d-1e3f-4a5b-9c6d-7e8f9a0b1c2d",
                                    "type": "function",
                                    "function": {"name": "get_weather", "arguments": '{"city":"Paris"}'},
                                }
                            ],
                        },
                        "logprobs": None,
                        "finish_reason": "tool_calls",
                    }
                ],
                "usage": {
                    "prompt_tokens": 236,
                    "completion_tokens": 19,
                    "total_tokens": 255,
                    "prompt_tokens_details": {"cached_tokens": 192},
                    "prompt_cache_hit_tokens": 192,
                    "prompt_cache_miss_tokens": 44,
                },
                "system_fingerprint": "fp_3a5770e1b4_prod0225",
            }
        ).encode(),
        expect=Expect(
            tool_calls=(("get_weather", PARIS),),
            tool_call_ids=("call_0_8a1b7c2d-1e3f-4a5b-9c6d-7e8f9a0b1c2d",),
            finish_reason="tool_calls",
        ),
    ),
    Case(
        name="glm_finish_reason_in_last_arguments_chunk",
        source="vllm-project/vllm-ascend#8327 (GLM-5 on vLLM-Ascend puts finish_reason tool_calls in the chunk "
        "carrying the last arguments fragment)",
        sse=sse(
            glm({"role": "assistant", "content": ""}),
            glm({"reasoning": "Need the weather tool."}),
            glm({"tool_calls": [call(0, "", "chatcmpl-tool-9b3e7c1f5a2d4e6b", "get_weather")]}),
            glm({"tool_calls": [call(0, '{"city": ')]}),
            glm({"tool_calls": [call(0, '"Paris"}')]}, "tool_calls"),
            vllm_usage(),
        ),
        expect=Expect(
            reasoning="Need the weather tool.",
            tool_calls=(("get_weather", PARIS),),
            tool_call_ids=("chatcmpl-tool-9b3e7c1f5a2d4e6b",),
            finish_reason="tool_calls",
        ),
    ),
)

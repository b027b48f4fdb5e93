"""Tool-call dialects: how real servers stream and return function calls."""

from __future__ import annotations

from typing import Any

from tests.replay.spec import TOOL_TURN, Case, Expect, compact, sse

PARIS = {"city": "Paris"}


def vllm(delta: dict[str, Any], finish: str | None = None, model: str = "Qwen/Qwen3-8B") -> str:
    """vLLM's chunk envelope (field order as quoted in vllm-project/vllm#27572)."""
    choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
    return compact(
        {
            "id": "chatcmpl-cb1efbea88d44f1ca0da701ac2139e53",
            "object": "chat.completion.chunk",
            "created": 1763738578,
            "model": model,
            "choices": [choice],
        }
    )


def vllm_usage(prompt: int = 310, completion: int = 24) -> str:
    return compact(
        {
            "id": "chatcmpl-cb1efbea88d44f1ca0da701ac2139e53",
            "object": "chat.completion.chunk",
            "created": 1763738578,
            "model": "Qwen/Qwen3-8B",
            "choices": [],
            "usage": {"prompt_tokens": prompt, "total_tokens": prompt + completion, "completion_tokens": completion},
        }
    )


def call(index: int | None, args: str, call_id: str | None = None, name: str | None = None) -> dict[str, Any]:
    fragment: dict[str, Any] = {} if index is None else {"index": index}
    if call_id is not None:
        fragment.update({"id": call_id, "type": "function"})
    function = {"name": name, "arguments": args} if name is not None else {"arguments": args}
    return {**fragment, "function": function}


def gemini(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> str:
    """Gemini's OpenAI-compatible endpoint puts `choices` first (openai/openai-python#2806)."""
    return compact(
        {
            "choices": [{"delta": delta, "finish_reason": finish, "index": 0}],
            "created": 1747300000,
            "id": "aX4kaPmLJ9q_1PIP6Nuw0QQ",
            "model": "gemini-2.5-flash",
            "object": "chat.completion.chunk",
            **extra,
        }
    )


def fireworks(fragment: dict[str, Any], finish: str | None = None) -> str:
    """Fireworks repeats id, type and name on every fragment (SillyTavern/SillyTavern#5948)."""
    choice = {"index": 0, "delta": {"tool_calls": [fragment]}, "finish_reason": finish, "raw_output": None}
    return compact(
        {
            "id": "chatcmpl-b7de",
            "object": "chat.completion.chunk",
            "created": 1783459695,
            "model": "accounts/fireworks/models/glm-5p2",
            "choices": [choice],
            "usage": None,
        }
    )


def repeated(args: str) -> dict[str, Any]:
    return {
        "index": 0,
        "id": "chatcmpl-tool-aa62",
        "type": "function",
        "function": {"name": "get_weather", "arguments": args},
        "name": None,
    }


def litellm(delta: dict[str, Any], finish: str | None = None) -> str:
    """LiteLLM's ModelResponseStream serialisation, as relayed for ollama_chat models."""
    return compact(
        {
            "id": "chatcmpl-5c1fd0f2-5e0a-4bd3-9a51-0b7e3a6b2c11",
            "created": 1756000000,
            "model": "ollama_chat/qwen3-coder:30b",
            "object": "chat.completion.chunk",
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        }
    )


def blocking(message: dict[str, Any], finish: str | int, model: str = "Qwen/Qwen3-8B", **top: Any) -> bytes:
    body = {
        "id": "chatcmpl-8f3e0c5d2b9a4c7e",
        "object": "chat.completion",
        "created": 1763738578,
        "model": model,
        "choices": [{"index": 0, "message": message, "logprobs": None, "finish_reason": finish}],
        "usage": {"prompt_tokens": 310, "total_tokens": 334, "completion_tokens": 24},
        **top,
    }
    return compact(body).encode()


CASES = (
    Case(
        name="tool_fragments_without_index",
        source="openai/openai-python#3246 and #2806 (Gemini OpenAI-compatible streams omit tool_calls[].index)",
        note="Index-less fragments continue the one open call; the id comes only with the first fragment.",
        sse=sse(
            gemini(
                {
                    "role": "assistant",
                    "tool_calls": [call(None, "", "function-call-12830924425812907186", "get_weather")],
                }
            ),
            gemini({"tool_calls": [call(None, '{"city":')]}),
            gemini({"tool_calls": [call(None, ' "Paris"}')]}),
            gemini({}, "tool_calls", usage={"completion_tokens": 12, "prompt_tokens": 40, "total_tokens": 52}),
        ),
        expect=Expect(
            tool_calls=(("get_weather", PARIS),),
            tool_call_ids=("function-call-12830924425812907186",),
            finish_reason="tool_calls",
        ),
    ),
    Case(
        name="tool_whole_call_in_one_chunk",
        source="ollama/ollama#13581 (Ollama sends each tool call as one fully assembled chunk)",
        sse=sse(
            compact(
                {
                    "id": "chatcmpl-693",
                    "object": "chat.completion.chunk",
                    "created": 1767000000,
                    "model": "qwen3:8b",
                    "system_fingerprint": "fp_ollama",
                    "choices": [
                        {
                            "index": 0,
                            "delta": {
                                "role": "assistant",
                                "content": "",
                                "tool_calls": [
                                    {
                                        "id": "call_x8k2m1qa",
                                        "index": 0,
                                        "type": "function",
                                        "function": {"name": "get_weather", "arguments": '{"city":"Paris"}'},
                                    }
                                ],
                            },
                            "finish_reason": None,
                        }
                    ],
                }
            ),
            '{"id":"chatcmpl-693","object":"chat.completion.chunk","created":1767000000,"model":"qwen3:8b",'
            '"system_fingerprint":"fp_ollama","choices":[{"index":0,"delta":{"role":"assistant","content":""},'
            '"finish_reason":"tool_calls"}]}',
        ),
        expect=Expect(
            tool_calls=(("get_weather", PARIS),), tool_call_ids=("call_x8k2m1qa",), finish_reason="tool_calls"
        ),
    ),
    Case(
        name="tool_id_and_name_repeated_on_every_fragment",
        source="SillyTavern/SillyTavern#5948 (Fireworks GLM repeats id/type/name per chunk); "
        "NousResearch/hermes-agent#11984 (MiniMax M2.7 via NVIDIA NIM resends the name)",
        note="The repeated id and name identify the same call; they must not be concatenated.",
        sse=sse(
            fireworks(repeated("")),
            fireworks(repeated('{"city": ')),
            fireworks(repeated('"Paris"}')),
            compact(
                {
                    "id": "chatcmpl-b7de",
                    "object": "chat.completion.chunk",
                    "created": 1783459695,
                    "model": "accounts/fireworks/models/glm-5p2",
                    "choices": [{"index": 0, "delta": {}, "finish_reason": "tool_calls", "raw_output": None}],
                    "usage": {"prompt_tokens": 402, "total_tokens": 431, "completion_tokens": 29},
                }
            ),
        ),
        expect=Expect(
            tool_calls=(("get_weather", PARIS),), tool_call_ids=("chatcmpl-tool-aa62",), finish_reason="tool_calls"
        ),
    ),
    Case(
        name="tool_second_call_reuses_index_zero",
        source="google-deepmind/amplio#3 (LiteLLM-relayed ollama_chat streams emit index 0 for both calls); "
        "apache/maka#1976; vercel/ai#14277",
        note="A new id under an index already in use starts a second call; arguments are never glued.",
        sse=sse(
            litellm({"role": "assistant", "tool_calls": [call(0, '{"path":"a.rs"}', "call_ag3uhay4", "read_file")]}),
            litellm({"tool_calls": [call(0, '{"path":"b.rs"}', "call_mqsdew2c", "read_file")]}),
            litellm({}, "tool_calls"),
        ),
        expect=Expect(
            tool_calls=(("read_file", {"path": "a.rs"}), ("read_file", {"path": "b.rs"})),
            tool_call_ids=("call_ag3uhay4", "call_mqsdew2c"),
            finish_reason="tool_calls",
        ),
    ),
    Case(
        name="tool_arguments_as_json_object",
        source="huggingface/text-generation-inference#2461 (TGI returns arguments as an object); "
        "ggml-org/llama.cpp#20198; unslothai/unsloth#10275 (a provider streams arguments as a decoded object)",
        sse=sse(
            vllm({"role": "assistant", "content": ""}),
            vllm(
                {
                    "tool_calls": [
                        {
                            "index": 0,
                            "id": "0",
                            "type": "function",
                            "function": {"name": "get_weather", "arguments": PARIS},
                        }
                    ]
                }
            ),
            vllm({}, "tool_calls"),
        ),
        json=blocking(
            {
                "role": "assistant",
                "tool_calls": [
                    {
                        "id": "0",
                        "type": "function",
                        "function": {"description": None, "name": "get_weather", "arguments": PARIS},
                    }
                ],
            },
            "stop",
            model="meta-llama/Llama-3.1-8B-Instruct",
            system_fingerprint="2.4.0-sha-0a655a0",
        ),
        expect=Expect(tool_calls=(("get_weather", PARIS),), finish_reason=TOOL_TURN),
    ),
    Case(
        name="tool_turn_finishing_with_stop",
        source="vllm-project/vllm#25054 (vLLM ends named/required tool-choice turns with finish_reason stop)",
        sse=sse(
            vllm({"role": "assistant", "content": ""}),
            vllm({"tool_calls": [call(0, "", "chatcmpl-tool-040af537f3e14bd6986646facde02ce3", "get_weather")]}),
            vllm({"tool_calls": [call(0, '{"city": "Paris"}')]}),
            vllm({"content": ""}, "stop"),
            vllm_usage(),
        ),
        json=blocking(
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": "chatcmpl-tool-040af537f3e14bd6986646facde02ce3",
                        "type": "function",
                        "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
                    }
                ],
            },
            "stop",
        ),
        expect=Expect(tool_calls=(("get_weather", PARIS),), finish_reason=TOOL_TURN),
    ),
    Case(
        name="tool_parallel_calls_interleaved_by_index",
        source="microsoft/semantic-kernel#6106 (parallel calls stream interleaved fragments under indices 0 and 1)",
        sse=sse(
            vllm({"role": "assistant", "content": ""}),
            vllm({"tool_calls": [call(0, "", "call_w3Rt9c", "get_weather")]}),
            vllm({"tool_calls": [call(1, "", "call_t7Yp2k", "get_time")]}),
            vllm({"tool_calls": [call(0, '{"city":')]}),
            vllm({"tool_calls": [call(1, "{}")]}),
            vllm({"tool_calls": [call(0, ' "Paris"}')]}),
            vllm({}, "tool_calls"),
            vllm_usage(),
        ),
        expect=Expect(
            tool_calls=(("get_weather", PARIS), ("get_time", {})),
            tool_call_ids=("call_w3Rt9c", "call_t7Yp2k"),
            finish_reason="tool_calls",
        ),
    ),
    Case(
        name="tool_without_arguments_empty_string",
        source='QwenLM/qwen-code#6249 (llama.cpp streams a no-parameter call with arguments ""); '
        'openai/openai-python#3502 (the API returns "" for tools without arguments)',
        note="Empty arguments mean an empty object: the call must survive, as {}.",
        sse=sse(
            '{"choices":[{"finish_reason":null,"index":0,"delta":{"role":"assistant","content":null}}],'
            '"created":1783000000,"id":"chatcmpl-Lq2nV8rY","model":"qwen3-4b","system_fingerprint":"b6050-2a8b1f0",'
            '"object":"chat.completion.chunk"}',
            '{"choices":[{"finish_reason":null,"index":0,"delta":{"tool_calls":[{"index":0,"id":"Xh3Kq9Lm2Pz",'
            '"type":"function","function":{"name":"get_time","arguments":""}}]}}],"created":1783000000,'
            '"id":"chatcmpl-Lq2nV8rY","model":"qwen3-4b","system_fingerprint":"b6050-2a8b1f0","object":"chat.completion.chunk"}',
            '{"choices":[{"finish_reason":"tool_calls","index":0,"delta":{}}],"created":1783000000,"id":"chatcmpl-Lq2nV8rY",'
            '"model":"qwen3-4b","system_fingerprint":"b6050-2a8b1f0","object":"chat.completion.chunk",'
            '"usage":{"completion_tokens":9,"prompt_tokens":120,"total_tokens":129}}',
        ),
        json=blocking(
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {"id": "Xh3Kq9Lm2Pz", "type": "function", "function": {"name": "get_time", "arguments": ""}}
                ],
            },
            "tool_calls",
        ),
        expect=Expect(tool_calls=(("get_time", {}),), tool_call_ids=("Xh3Kq9Lm2Pz",), finish_reason="tool_calls"),
    ),
    Case(
        name="tool_call_without_type",
        source="vercel/ai#12901 (Azure AI Foundry / Mistral on Azure omit `type` in streamed tool calls); "
        "vllm-project/vllm#16340",
        sse=sse(
            *(
                compact(
                    {
                        "choices": [{"delta": delta, "finish_reason": finish, "index": 0, "logprobs": None}],
                        "created": 1772000000,
                        "id": "0f9d4c1e7b2a43f0a1c2",
                        "model": "mistral-large-2411",
                        "object": "chat.completion.chunk",
                        "usage": None,
                    }
                )
                for delta, finish in (
                    (
                        {
                            "content": None,
                            "tool_calls": [
                                {"function": {"arguments": "", "name": "get_weather"}, "id": "Qm4yZ2b7X", "index": 0}
                            ],
                        },
                        None,
                    ),
                    ({"tool_calls": [{"function": {"arguments": '{"city": "Paris"}'}, "index": 0}]}, None),
                    ({"content": ""}, "tool_calls"),
                )
            ),
        ),
        expect=Expect(tool_calls=(("get_weather", PARIS),), tool_call_ids=("Qm4yZ2b7X",), finish_reason="tool_calls"),
    ),
)

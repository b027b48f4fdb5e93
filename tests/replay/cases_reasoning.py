"""Reasoning dialects: separate fields, inline `<think>` tags, both at once, empty and half-open blocks."""

from __future__ import annotations

from typing import Any

from tests.replay.cases_tools import vllm, vllm_usage
from tests.replay.spec import Case, Expect, compact, sse

THOUGHT = "The user greets me. I should greet them back."
ANSWER = "Hello! How can I help you today?"


def deepseek(delta: dict[str, Any], finish: str | None = None) -> str:
    return compact(
        {
            "id": "1f8e2a7c-9b3d-4e5f-a6b7-c8d9e0f1a2b3",
            "object": "chat.completion.chunk",
            "created": 1767000000,
            "model": "deepseek-reasoner",
            "system_fingerprint": "fp_5417b77867_prod0425fp8",
            "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
        }
    )


DEEPSEEK_USAGE = compact(
    {
        "id": "1f8e2a7c-9b3d-4e5f-a6b7-c8d9e0f1a2b3",
        "object": "chat.completion.chunk",
        "created": 1767000000,
        "model": "deepseek-reasoner",
        "system_fingerprint": "fp_5417b77867_prod0425fp8",
        "choices": [],
        "usage": {
            "prompt_tokens": 11,
            "completion_tokens": 30,
            "total_tokens": 41,
            "completion_tokens_details": {"reasoning_tokens": 18},
            "prompt_cache_hit_tokens": 0,
            "prompt_cache_miss_tokens": 11,
        },
    }
)


def blocking_message(message: dict[str, Any], finish: str = "stop", model: str = "deepseek-reasoner") -> bytes:
    return compact(
        {
            "id": "1f8e2a7c-9b3d-4e5f-a6b7-c8d9e0f1a2b3",
            "object": "chat.completion",
            "created": 1767000000,
            "model": model,
            "choices": [{"index": 0, "message": message, "logprobs": None, "finish_reason": finish}],
            "usage": {"prompt_tokens": 11, "completion_tokens": 30, "total_tokens": 41},
        }
    ).encode()


def llamacpp(content: str, finish: str | None = None) -> str:
    """llama-server chunks: `choices` first, per-chunk `timings` (ikawrakow/ik_llama.cpp#690)."""
    return compact(
        {
            "choices": [{"finish_reason": finish, "index": 0, "delta": {"content": content} if content else {}}],
            "created": 1755270471,
            "id": "chatcmpl-NoGZgwcGTg738xJiR2ne05HAx53rcSVG",
            "model": "deepseek-r1",
            "system_fingerprint": "b6150-1b4c2f4e",
            "object": "chat.completion.chunk",
            "timings": {"prompt_n": 7, "prompt_ms": 137.8, "predicted_n": 30, "predicted_ms": 452.2},
        }
    )


def llamacpp_both(delta: dict[str, Any]) -> str:
    return compact(
        {
            "choices": [{"finish_reason": None, "index": 0, "delta": delta}],
            "created": 1755270471,
            "id": "chatcmpl-NoGZgwcGTg738xJiR2ne05HAx53rcSVG",
            "model": "deepseek-r1",
            "system_fingerprint": "b6150-1b4c2f4e",
            "object": "chat.completion.chunk",
        }
    )


def stream_pieces(make: Any, pieces: list[tuple[str, str]], finish: str = "stop") -> list[str]:
    """Chunks from (field, text) pairs, then an empty finishing delta."""
    return [make({field: text}) for field, text in pieces] + [make({"content": ""}, finish)]


REASONING_THEN_ANSWER = [
    ("reasoning_content", "The user greets me."),
    ("reasoning_content", " I should greet them back."),
    ("content", "Hello!"),
    ("content", " How can I help you today?"),
]

CASES = (
    Case(
        name="deepseek_reasoning_content_then_answer",
        source="DeepSeek API docs, reasoning model https://api-docs.deepseek.com/guides/reasoning_model "
        "(reasoning_content deltas before content deltas)",
        sse=sse(
            deepseek({"role": "assistant", "content": None, "reasoning_content": ""}),
            *(
                deepseek(
                    {"content": None, "reasoning_content": t}
                    if f == "reasoning_content"
                    else {"content": t, "reasoning_content": None}
                )
                for f, t in REASONING_THEN_ANSWER
            ),
            deepseek({"content": "", "reasoning_content": None}, "stop"),
            DEEPSEEK_USAGE,
        ),
        json=blocking_message({"role": "assistant", "content": ANSWER, "reasoning_content": THOUGHT}),
        expect=Expect(reasoning=THOUGHT, answer=ANSWER),
    ),
    Case(
        name="vllm_reasoning_field",
        source="vllm-project/vllm#27752 (vLLM renamed reasoning_content to `reasoning`); "
        "langgenius/dify-official-plugins#2740",
        sse=sse(
            vllm({"role": "assistant", "content": ""}),
            *stream_pieces(
                vllm, [("reasoning" if f == "reasoning_content" else f, t) for f, t in REASONING_THEN_ANSWER]
            ),
            vllm_usage(11, 30),
        ),
        json=blocking_message(
            {"role": "assistant", "content": ANSWER, "reasoning": THOUGHT, "tool_calls": []}, model="Qwen/Qwen3-8B"
        ),
        expect=Expect(reasoning=THOUGHT, answer=ANSWER),
    ),
    Case(
        name="reasoning_mirrored_in_both_fields",
        source="MoonshotAI/kimi-code#3928 (StepFun sends identical text in `reasoning` and `reasoning_content`); "
        "vllm-project/vllm#27752 (both fields kept for backwards compatibility)",
        note="The same reasoning under two names is one reasoning: it must appear once.",
        sse=sse(
            *(
                vllm(
                    {"role": "assistant", "content": "", "reasoning": t, "reasoning_content": t}, model="step-3.5-flash"
                )
                for f, t in REASONING_THEN_ANSWER
                if f == "reasoning_content"
            ),
            *(
                vllm({"role": "assistant", "content": t}, model="step-3.5-flash")
                for f, t in REASONING_THEN_ANSWER
                if f == "content"
            ),
            vllm({"role": "assistant", "content": ""}, "stop", model="step-3.5-flash"),
        ),
        json=blocking_message(
            {"role": "assistant", "content": ANSWER, "reasoning": THOUGHT, "reasoning_content": THOUGHT},
            model="step-3.5-flash",
        ),
        expect=Expect(reasoning=THOUGHT, answer=ANSWER),
    ),
    Case(
        name="think_tags_inline_split_across_deltas",
        source='vllm-project/vllm#34625 (MiniMax M2.5 streams `<think>` inside content, e.g. "<think>The"); '
        'nbramia/LifeOS#568 (tags split across chunks: "...</thi", "nk>answer")',
        sse=sse(
            vllm({"role": "assistant", "content": "", "reasoning_content": None}, model="minimax-m2-5"),
            *(
                vllm({"content": t, "reasoning_content": None}, model="minimax-m2-5")
                for t in (
                    "<think>The user",
                    " greets me. I should",
                    " greet them back.</th",
                    "ink>\n\n",
                    "Hello! How",
                    " can I help you today?",
                )
            ),
            vllm({"content": "", "reasoning_content": None}, "stop", model="minimax-m2-5"),
        ),
        expect=Expect(reasoning=THOUGHT, answer=ANSWER),
    ),
    Case(
        name="think_tags_inline_blocking",
        source="BerriAI/litellm#28691 (SGLang's MiniMax parser and Fireworks leave `<think>...</think>` in content)",
        json=blocking_message(
            {"role": "assistant", "content": f"<think>\n{THOUGHT}\n</think>\n\n{ANSWER}"}, model="MiniMax-M2.5"
        ),
        expect=Expect(reasoning=THOUGHT, answer=ANSWER),
    ),
    Case(
        name="reasoning_content_and_inline_think_together",
        source="ggml-org/llama.cpp tools/server README (--reasoning-format deepseek-legacy keeps `<think>` in content "
        "and also fills reasoning_content); NVIDIA-NeMo/Guardrails#2316 (a provider sends both forms)",
        note="Two copies of one reasoning: exactly one <think> block goes to Dify.",
        sse=sse(
            *(
                llamacpp_both(d)
                for d in (
                    {"reasoning_content": "The user greets me.", "content": "<think>The user greets me."},
                    {"reasoning_content": " I should greet them back.", "content": " I should greet them back."},
                    {"content": "</think>\n\nHello!"},
                    {"content": " How can I help you today?"},
                )
            ),
            llamacpp("", "stop"),
        ),
        json=blocking_message(
            {"role": "assistant", "content": f"<think>{THOUGHT}</think>\n\n{ANSWER}", "reasoning_content": THOUGHT},
            model="deepseek-r1",
        ),
        expect=Expect(reasoning=THOUGHT, answer=ANSWER),
    ),
    Case(
        name="empty_think_block_from_switched_off_thinking",
        source="QwenLM/Qwen-Agent#542 (Qwen3 with /no_think still emits an empty <think></think>); "
        "ollama/ollama#8837 (`<think>\\n\\n</think>\\n\\n` before every answer)",
        note="An empty think block carries nothing: no think block at all goes to Dify.",
        sse=sse(
            *(llamacpp(t) for t in ("<think>", "\n\n", "</think>", "\n\n", "Hello! How can I", " help you today?")),
            llamacpp("", "stop"),
        ),
        json=blocking_message({"role": "assistant", "content": f"<think>\n\n</think>\n\n{ANSWER}"}, model="qwen3:8b"),
        expect=Expect(answer=ANSWER),
    ),
    Case(
        name="closing_think_tag_only_stream",
        source="deepseek-ai/DeepSeek-R1#352 (the template opens <think> in the prompt, so output has only </think>); "
        "ikawrakow/ik_llama.cpp#690 (a `\\n</think>` delta mid-stream)",
        note="Text before a lone </think> is reasoning that began in the prompt; the model declares that "
        "its template opens <think>, so the plugin opens the block at the first token and streams.",
        reasoning_format="template",
        sse=sse(
            *(
                llamacpp(t)
                for t in (
                    "The user greets",
                    " me. I should greet",
                    " them back.",
                    "\n</think>",
                    "\n\nHello! How can I",
                    " help you today?",
                )
            ),
            llamacpp("", "stop"),
        ),
        expect=Expect(reasoning=THOUGHT, answer=ANSWER),
    ),
    Case(
        name="closing_think_tag_only_stream_undeclared",
        source="deepseek-ai/DeepSeek-R1#352; ikawrakow/ik_llama.cpp#690 (as above)",
        note="Not declared: nothing is held back to guess, so the reasoning streamed as answer text stays; "
        "the lone </think> is taken out and what follows it is the answer (the log names the setting).",
        sse=sse(
            *(
                llamacpp(t)
                for t in (
                    "The user greets",
                    " me. I should greet",
                    " them back.",
                    "\n</think>",
                    "\n\nHello! How can I",
                    " help you today?",
                )
            ),
            llamacpp("", "stop"),
        ),
        expect=Expect(answer=f"{THOUGHT}\n\n{ANSWER}"),
    ),
    Case(
        name="closing_think_tag_only_blocking",
        source="ggml-org/llama.cpp#23320 (Qwen3.5 blocking reply: reasoning, `\\n</think>\\n\\n`, then the answer)",
        json=blocking_message(
            {"role": "assistant", "content": f"{THOUGHT}\n</think>\n\n{ANSWER}"}, model="Qwen3.5-4B-Q5_K_M-MTP.gguf"
        ),
        expect=Expect(reasoning=THOUGHT, answer=ANSWER),
    ),
    Case(
        name="reasoning_only_cut_by_length",
        source="The-PR-Agent/pr-agent#3037 (AtlasCloud deepseek-ai/deepseek-v4-pro with max_tokens 16: "
        "finish_reason length, empty content, all tokens reasoning)",
        note="A reasoning-only reply cut by max tokens is shown as its think block and ends with length.",
        sse=sse(
            deepseek({"role": "assistant", "content": None, "reasoning_content": "We need to"}),
            deepseek({"content": None, "reasoning_content": " answer briefly."}),
            deepseek({"content": "", "reasoning_content": None}, "length"),
            DEEPSEEK_USAGE,
        ),
        json=blocking_message(
            {"role": "assistant", "content": "", "reasoning_content": "We need to answer briefly."},
            finish="length",
            model="deepseek-ai/deepseek-v4-pro",
        ),
        expect=Expect(reasoning="We need to answer briefly.", finish_reason="length"),
    ),
    Case(
        name="qwq_role_and_usage_on_every_chunk",
        source="dairoot/Grok-Mirror#16 (SiliconFlow QwQ: role on every delta, content null beside reasoning_content, "
        "usage on every chunk, empty system_fingerprint)",
        sse=sse(
            *(
                compact(
                    {
                        "id": "0195e5000d1053aba9c99e2f26446586",
                        "object": "chat.completion.chunk",
                        "created": 1743303740,
                        "model": "Qwen/QwQ-32B",
                        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
                        "system_fingerprint": "",
                        "usage": {"prompt_tokens": 282, "completion_tokens": n, "total_tokens": 282 + n},
                    }
                )
                for n, (delta, finish) in enumerate(
                    [
                        (
                            {"content": None, "reasoning_content": t, "role": "assistant"}
                            if f == "reasoning_content"
                            else {"content": t, "reasoning_content": None, "role": "assistant"},
                            None,
                        )
                        for f, t in REASONING_THEN_ANSWER
                    ]
                    + [({"content": "", "reasoning_content": None, "role": "assistant"}, "stop")],
                    start=1,
                )
            )
        ),
        expect=Expect(reasoning=THOUGHT, answer=ANSWER),
    ),
)

"""AtlasCloud chat responses -> Dify LLM chunks and results.

Reasoning (`reasoning_content`, or `reasoning` on some gateways) becomes one `<think>\\n...\\n</think>`
block before the answer, opened only when reasoning text actually arrives. Streamed tool calls
are assembled by `index`: parallel calls interleave, and ids and names come only on a call's
first fragment. Tool calls are emitted once, after the text, in index order.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterable
from dataclasses import dataclass, field
from typing import Any

from dify_plugin.entities.model.llm import LLMResult, LLMResultChunk, LLMResultChunkDelta, LLMUsage
from dify_plugin.entities.model.message import AssistantPromptMessage
from dify_plugin.errors.model import InvokeConnectionError

from provider.errors import status_from_chunk

THINK_OPEN = "<think>\n"
THINK_CLOSE = "\n</think>"

# (prompt_tokens, completion_tokens) -> priced usage
UsageFactory = Callable[[int, int], LLMUsage]
# completion text + tool-call arguments -> estimated (prompt_tokens, completion_tokens)
UsageEstimator = Callable[[str], tuple[int, int]]


def reasoning_of(payload: Any) -> str | None:
    """Reasoning text from a message or delta, under either field name."""
    extra = getattr(payload, "model_extra", None) or {}
    value = extra.get("reasoning_content") or extra.get("reasoning")
    return value if isinstance(value, str) and value else None


def wrap_reasoning(reasoning: str | None, content: str) -> str:
    return f"{THINK_OPEN}{reasoning}{THINK_CLOSE}{content}" if reasoning else content


def server_usage(usage: Any) -> tuple[int, int] | None:
    if usage is None or usage.prompt_tokens is None:
        return None
    return int(usage.prompt_tokens), int(usage.completion_tokens or 0)


@dataclass
class _PendingCall:
    id: str = ""
    name: str = ""
    arguments: list[str] = field(default_factory=list)


def _tool_calls(pending: dict[int, _PendingCall]) -> list[AssistantPromptMessage.ToolCall]:
    calls = []
    for index in sorted(pending):
        call = pending[index]
        if not call.name:
            continue
        calls.append(
            AssistantPromptMessage.ToolCall(
                id=call.id or f"call_{index}",
                type="function",
                function=AssistantPromptMessage.ToolCall.ToolCallFunction(
                    name=call.name, arguments="".join(call.arguments) or "{}"
                ),
            )
        )
    return calls


def replay_body(reasoning: str, calls: list[AssistantPromptMessage.ToolCall]) -> dict[str, str] | None:
    """Raw reasoning kept on a tool-calling turn, for messages.py to send back next turn
    even if Dify stored the text without its <think> block."""
    return {"reasoning_content": reasoning} if reasoning and calls else None


def _chunk(model: str, text: str = "", **delta: Any) -> LLMResultChunk:
    message = AssistantPromptMessage(
        content=text, tool_calls=delta.pop("tool_calls", []), opaque_body=delta.pop("opaque_body", None)
    )
    return LLMResultChunk(model=model, delta=LLMResultChunkDelta(index=0, message=message, **delta))


def stream_to_chunks(
    model: str, events: Iterable[Any], make_usage: UsageFactory, estimate: UsageEstimator
) -> Generator[LLMResultChunk, None, None]:
    """Translate an openai chat-completion stream into Dify chunks, ending with usage."""
    in_think = False
    emitted: list[str] = []
    reasoning_parts: list[str] = []
    pending: dict[int, _PendingCall] = {}
    finish_reason: str | None = None
    usage: tuple[int, int] | None = None

    for event in events:
        upstream_error = status_from_chunk(getattr(event, "model_extra", None) or {})
        if upstream_error and not event.choices:
            raise upstream_error
        usage = server_usage(getattr(event, "usage", None)) or usage
        for choice in event.choices or []:
            delta = choice.delta
            text = ""
            reasoning = reasoning_of(delta) if delta else None
            if reasoning:
                reasoning_parts.append(reasoning)
                text += reasoning if in_think else THINK_OPEN + reasoning
                in_think = True
            if delta and delta.content:
                text += (THINK_CLOSE if in_think else "") + delta.content
                in_think = False
            for fragment in (delta.tool_calls if delta else None) or []:
                call = pending.setdefault(
                    fragment.index if fragment.index is not None else len(pending), _PendingCall()
                )
                call.id = call.id or (fragment.id or "")
                if fragment.function:
                    call.name = call.name or (fragment.function.name or "")
                    call.arguments.append(fragment.function.arguments or "")
            if text:
                emitted.append(text)
                yield _chunk(model, text)
            finish_reason = choice.finish_reason or finish_reason

    if finish_reason is None:
        raise InvokeConnectionError(
            "The AtlasCloud stream ended before the model finished (connection dropped); please retry."
        )
    closing = THINK_CLOSE if in_think else ""
    calls = [] if finish_reason == "length" else _tool_calls(pending)
    if closing or calls:
        emitted.append(closing)
        yield _chunk(model, closing, tool_calls=calls, opaque_body=replay_body("".join(reasoning_parts), calls))
    arguments = "".join(call.function.arguments for call in calls)
    prompt_tokens, completion_tokens = usage or estimate("".join(emitted) + arguments)
    yield _chunk(model, usage=make_usage(prompt_tokens, completion_tokens), finish_reason=finish_reason)


def completion_to_result(model: str, completion: Any, make_usage: UsageFactory, estimate: UsageEstimator) -> LLMResult:
    """Translate a non-streamed chat completion into one Dify result."""
    upstream_error = status_from_chunk(getattr(completion, "model_extra", None) or {})
    if upstream_error and not completion.choices:
        raise upstream_error
    if not completion.choices:
        raise InvokeConnectionError("AtlasCloud returned a response without choices; please retry.")
    message = completion.choices[0].message
    reasoning = reasoning_of(message)
    text = wrap_reasoning(reasoning, message.content or "")
    pending = {
        index: _PendingCall(id=call.id, name=call.function.name, arguments=[call.function.arguments or ""])
        for index, call in enumerate(message.tool_calls or [])
    }
    calls = _tool_calls(pending)
    prompt_tokens, completion_tokens = server_usage(completion.usage) or estimate(
        text + "".join(call.function.arguments for call in calls)
    )
    return LLMResult(
        model=model,
        message=AssistantPromptMessage(content=text, tool_calls=calls, opaque_body=replay_body(reasoning or "", calls)),
        usage=make_usage(prompt_tokens, completion_tokens),
    )

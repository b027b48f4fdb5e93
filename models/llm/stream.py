"""Normalised pieces -> Dify LLM chunks (streaming) or one result (blocking).

What Dify's consumers need from a chunk (its LLM node, its chat pipelines and its
function-calling agent runner all read the same chunks): content is always a string; every tool
call is complete, with valid JSON arguments, inside one chunk, and emitted once; `<think>` tags
are balanced and never cut in half; exactly one chunk carries usage: the last, with the finish
reason. And no chunk may produce a stdout line over the daemon's 5 MiB cap, which kills the
plugin: long texts are split, at most MAX_CHUNK_CHARS characters per chunk (a character costs at
most 6 bytes of JSON).
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterable
from typing import Any

from dify_plugin.entities.model.llm import LLMResult, LLMResultChunk, LLMResultChunkDelta, LLMUsage
from dify_plugin.entities.model.message import AssistantPromptMessage

from models.llm.answer import THINK_CLOSE, THINK_OPEN, AnswerBuilder, ThinkOptions
from models.llm.dialect import Piece, UsageDetails
from provider.errors.tree import ReplyError

MAX_CHUNK_CHARS = 512 * 1024

# (prompt_tokens, completion_tokens, their cached and reasoning parts if the server said) -> priced usage
UsageFactory = Callable[[int, int, UsageDetails | None], LLMUsage]
# completion text + tool-call arguments -> estimated (prompt_tokens, completion_tokens)
UsageEstimator = Callable[[str], tuple[int, int]]


def split_text(text: str, limit: int = MAX_CHUNK_CHARS) -> list[str]:
    """`text` in pieces of at most `limit` characters, never cutting a think tag in two."""
    parts = []
    while len(text) > limit:
        cut = limit
        for tag in (THINK_OPEN, THINK_CLOSE):
            start = text.find(tag, max(0, cut - len(tag) + 1), cut + len(tag) - 1)
            if start != -1 and start < cut < start + len(tag):
                cut = start or len(tag)  # a tag at the very start stays whole, even past the limit
        parts.append(text[:cut])
        text = text[cut:]
    return [*parts, text] if text else parts


def replay_body(reasoning: str, calls: list[AssistantPromptMessage.ToolCall]) -> dict[str, str] | None:
    """Raw reasoning kept on a tool-calling turn, for messages.py to send back next turn
    even if Dify stored the text without its <think> block."""
    return {"reasoning_content": reasoning} if reasoning and calls else None


def _chunk(model: str, text: str = "", **delta: Any) -> LLMResultChunk:
    message = AssistantPromptMessage(
        content=text, tool_calls=delta.pop("tool_calls", []), opaque_body=delta.pop("opaque_body", None)
    )
    return LLMResultChunk(model=model, delta=LLMResultChunkDelta(index=0, message=message, **delta))


def _call_batches(calls: list[AssistantPromptMessage.ToolCall]) -> list[list[AssistantPromptMessage.ToolCall]]:
    """Whole calls per chunk, within the chunk budget."""
    batches: list[list[AssistantPromptMessage.ToolCall]] = []
    used = 0
    for call in calls:
        size = len(call.function.arguments) + len(call.function.name) + len(call.id)
        if size > MAX_CHUNK_CHARS:
            raise ReplyError(
                f"the model's call to tool '{call.function.name}' has {size:,} characters of arguments, "
                "more than Dify accepts in one message"
            )
        if not batches or used + size > MAX_CHUNK_CHARS:
            batches.append([])
            used = 0
        batches[-1].append(call)
        used += size
    return batches


def stream_to_chunks(
    model: str,
    batches: Iterable[list[Piece]],
    make_usage: UsageFactory,
    estimate: UsageEstimator,
    think: ThinkOptions | None = None,
    whole: bool = False,
) -> Generator[LLMResultChunk, None, None]:
    """One Dify chunk per batch of waiting pieces (so a fast upstream costs few chunks), ending
    with the tool calls, then usage and the finish reason. Every batch's visible text leaves at
    once; `think` says how inline reasoning is read; `whole`: the batches are one complete reply."""
    builder = AnswerBuilder(think, whole=whole)
    for batch in batches:
        text = "".join([builder.feed(piece) for piece in batch])
        for part in split_text(text):
            yield _chunk(model, part)
    closing, calls, finish = builder.finish()
    for part in split_text(closing):
        yield _chunk(model, part)
    opaque = replay_body(builder.reasoning, calls)
    for group in _call_batches(calls):
        yield _chunk(model, tool_calls=group, opaque_body=opaque)
    yield _chunk(
        model, usage=_usage(builder, make_usage, estimate, _completion_text(builder.shown, calls)), finish_reason=finish
    )


def _usage(builder: AnswerBuilder, make_usage: UsageFactory, estimate: UsageEstimator, text: str) -> LLMUsage:
    """The server's numbers (with their cached and reasoning parts), else an offline estimate."""
    if builder.usage is not None:
        return make_usage(*builder.usage, builder.usage_details)
    return make_usage(*estimate(text), None)


def _completion_text(shown: list[str], calls: list[AssistantPromptMessage.ToolCall]) -> str:
    return "".join(shown) + "".join(call.function.arguments for call in calls)


def completion_to_result(
    model: str,
    pieces: list[Piece],
    make_usage: UsageFactory,
    estimate: UsageEstimator,
    think: ThinkOptions | None = None,
) -> LLMResult | Generator[LLMResultChunk, None, None]:
    """A whole (blocking) reply: one result, or chunks when it is too large for one message.

    The whole text is known, so a lone `</think>` anywhere in it ends the reasoning."""
    builder = AnswerBuilder(think, whole=True)
    text = "".join([builder.feed(piece) for piece in pieces])
    closing, calls, _ = builder.finish()
    text += closing
    if len(text) > MAX_CHUNK_CHARS or len(_call_batches(calls)) > 1:
        # Read again in chunks; the first reading already reported a lone </think>.
        quiet = ThinkOptions(opened=think.opened) if think is not None else None
        return stream_to_chunks(model, [pieces], make_usage, estimate, quiet, whole=True)
    return LLMResult(
        model=model,
        message=AssistantPromptMessage(
            content=text, tool_calls=calls, opaque_body=replay_body(builder.reasoning, calls)
        ),
        usage=_usage(builder, make_usage, estimate, _completion_text([text], calls)),
    )

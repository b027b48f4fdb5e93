"""One JSON object from any OpenAI-compatible server -> one normalised `Piece`.

AtlasCloud routes to many backends, each with its own dialect: reasoning as `reasoning_content`,
`reasoning` or OpenRouter's `reasoning_details`; content as a string, a list of parts, a number
or null next to a `refusal`; tool-call fragments with or without `index`/`id`, arguments as a
string or as a JSON object; `delta` and `message` used interchangeably; usage on any chunk.
Everything is read leniently here, once, so the rest of the plugin sees one shape.
An error object in place of a chunk raises UpstreamError with the server's own code.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from provider.errors.bodies import error_of_payload
from provider.errors.tree import UpstreamError


@dataclass(slots=True)
class ToolFragment:
    index: int | None = None
    id: str | None = None
    name: str | None = None
    arguments: str = ""  # text to append to the call's arguments
    whole_arguments: str | None = None  # arguments sent whole, as a JSON object: replaces the text


@dataclass(frozen=True, slots=True)
class UsageDetails:
    """What a usage object says beyond the two totals; both are parts of those totals."""

    cached_tokens: int = 0  # prompt tokens read from the prompt cache (billed at the cached-input price)
    reasoning_tokens: int = 0  # completion tokens spent reasoning (billed as completion tokens)


@dataclass(slots=True)
class Piece:
    content: str = ""
    reasoning: str = ""
    refusal: str = ""
    tool_fragments: list[ToolFragment] = field(default_factory=list)
    finish_reason: str | None = None
    usage: tuple[int, int] | None = None  # (prompt_tokens, completion_tokens)
    usage_details: UsageDetails | None = None  # set with `usage`


_TEXT_PARTS = (None, "text", "output_text", "reasoning.text")
_THINKING_PARTS = ("thinking", "reasoning")


def text_of(value: Any) -> str:
    """Text from a string, a list of text parts, a part, or a number; "" for anything else
    (thinking parts included: see `thinking_of`)."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "".join(text_of(part) for part in value)
    if isinstance(value, dict):
        return text_of(value.get("text")) if value.get("type") in _TEXT_PARTS else ""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return ""


def thinking_of(content: Any) -> str:
    """Reasoning sent as content parts (Mistral Magistral: `{"type": "thinking", "thinking": [...]}`)."""
    if not isinstance(content, list):
        return ""
    return "".join(
        text_of(part.get("thinking", part.get("text")))
        for part in content
        if isinstance(part, dict) and part.get("type") in _THINKING_PARTS
    )


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None


def _name(value: Any) -> str | None:
    text = text_of(value).strip()
    return text or None


def reasoning_of(delta: dict[str, Any]) -> str:
    """One reasoning text even when a backend sends the same text under two names."""
    primary = text_of(delta.get("reasoning_content"))
    secondary = text_of(delta.get("reasoning"))
    if primary or secondary:
        return primary or secondary  # DeepSeek's documented name wins over the vLLM/OpenRouter alias
    details = delta.get("reasoning_details")
    if isinstance(details, list):
        return "".join(text_of(d) for d in details if isinstance(d, dict) and d.get("type") == "reasoning.text")
    return ""


def _fragment(raw: Any) -> ToolFragment | None:
    if not isinstance(raw, dict):
        return None
    function = raw.get("function") if isinstance(raw.get("function"), dict) else {}
    arguments = function.get("arguments")
    fragment = ToolFragment(index=_int(raw.get("index")), id=_name(raw.get("id")), name=_name(function.get("name")))
    if isinstance(arguments, dict | list):
        fragment.whole_arguments = json.dumps(arguments, ensure_ascii=False)
    else:
        fragment.arguments = text_of(arguments)
    return fragment


def _fragments(delta: dict[str, Any]) -> list[ToolFragment]:
    calls = delta.get("tool_calls")
    if isinstance(calls, dict):
        calls = [calls]
    fragments = [f for f in (_fragment(call) for call in calls or [] if call) if f]
    legacy = delta.get("function_call")  # the pre-tools OpenAI shape, still sent by some servers
    if isinstance(legacy, dict):
        fragments.append(_fragment({"function": legacy}) or ToolFragment())
    return fragments


def _detail(raw: dict[str, Any], names: tuple[str, ...], field: str) -> int:
    """`raw[name][field]` for the first of `names` that holds a count; 0 when none does."""
    for name in names:
        details = raw.get(name)
        if isinstance(details, dict) and _int(details.get(field)) is not None:
            return max(0, _int(details.get(field)) or 0)
    return 0


def _usage(raw: Any) -> tuple[tuple[int, int], UsageDetails] | None:
    """(prompt, completion) and the cached and reasoning parts, in OpenAI's naming (with
    `prompt_tokens_details.cached_tokens`), Responses-style `input_tokens`, or DeepSeek's
    (`prompt_cache_hit_tokens` + `prompt_cache_miss_tokens`)."""
    if not isinstance(raw, dict):
        return None
    prompt = _int(raw.get("prompt_tokens", raw.get("input_tokens")))
    completion = _int(raw.get("completion_tokens", raw.get("output_tokens")))
    hit, miss = _int(raw.get("prompt_cache_hit_tokens")), _int(raw.get("prompt_cache_miss_tokens"))
    if prompt is None and hit is not None and miss is not None:
        prompt = hit + miss
    if prompt is None and completion is None:
        return None
    prompt, completion = prompt or 0, completion or 0
    cached = (
        hit if hit is not None else _detail(raw, ("prompt_tokens_details", "input_tokens_details"), "cached_tokens")
    )
    reasoning = _detail(raw, ("completion_tokens_details", "output_tokens_details"), "reasoning_tokens")
    if reasoning > completion:
        completion += reasoning  # reported beside the answer's tokens, not inside them: both are billed
    return (prompt, completion), UsageDetails(cached_tokens=min(max(cached, 0), prompt), reasoning_tokens=reasoning)


def _choice(choices: Any) -> dict[str, Any] | None:
    """The first choice (Dify asks for one); servers differ on whether `index` is present."""
    if isinstance(choices, dict):
        return choices
    if not isinstance(choices, list):
        return None
    candidates = [c for c in choices if isinstance(c, dict)]
    first = [c for c in candidates if _int(c.get("index")) in (0, None)]
    return (first or candidates or [None])[0]


def piece_of(payload: Any) -> Piece | None:
    """Normalise one stream chunk or one whole completion; None for anything with no meaning
    (keep-alives such as `null`). Raises UpstreamError for an error object."""
    error: UpstreamError | None = error_of_payload(payload)
    if error is not None:
        raise error
    if not isinstance(payload, dict):
        return None
    piece = Piece()
    _set_usage(piece, payload.get("usage"))
    choice = _choice(payload.get("choices"))
    if choice is None:
        return piece
    delta = choice.get("delta") if isinstance(choice.get("delta"), dict) else choice.get("message")
    if isinstance(delta, dict):
        piece.content = text_of(delta.get("content"))
        piece.reasoning = reasoning_of(delta) or thinking_of(delta.get("content"))
        piece.refusal = text_of(delta.get("refusal"))
        piece.tool_fragments = _fragments(delta)
    elif isinstance(choice.get("text"), str):
        piece.content = choice["text"]  # legacy completions-style chunk
    piece.finish_reason = _name(choice.get("finish_reason"))
    if piece.usage is None:
        _set_usage(piece, choice.get("usage"))
    return piece


def _set_usage(piece: Piece, raw: Any) -> None:
    found = _usage(raw)
    if found is not None:
        piece.usage, piece.usage_details = found

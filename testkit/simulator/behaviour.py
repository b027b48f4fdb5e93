"""What the simulated models answer: deterministic replies derived from the request."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from testkit.simulator import ranker
from testkit.simulator.catalog import SimModel
from testkit.simulator.inspect import image_urls, inspect_image, inspect_images

# How a server sends reasoning: a field (two names), inline <think> tags, after a <think> that the
# chat template opened in the prompt (only a lone </think> in the reply), or not at all (plain).
REPLY_DIALECTS = ("reasoning_content", "reasoning", "inline", "template", "plain")
# How a server reports cached prompt tokens: OpenAI's prompt_tokens_details, or DeepSeek's hit/miss.
USAGE_DIALECTS = ("openai", "deepseek")
CACHE_BLOCK_TOKENS = 64  # DeepSeek's prompt cache works in 64-token units


@dataclass
class Variants:
    """Switchable server behaviours beyond AtlasCloud's default (tests and benchmarks set them)."""

    reply_dialect: str = "reasoning_content"
    usage_dialect: str = "openai"
    # Remember each model's system prompts and report a repeated one as cached prompt tokens.
    prompt_cache: bool = False
    seen_prompts: set[tuple[str, str]] = field(default_factory=set)
    models_delay_s: float = 0.0  # before GET /v1/models answers
    models_body: bytes | None = None  # sent by GET /v1/models instead of the roster


@dataclass
class Reply:
    model: str
    reasoning: str = ""
    content: str = ""
    tool_calls: list[tuple[str, str, str]] = field(default_factory=list)  # (id, name, arguments)
    finish_reason: str = "stop"
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_tokens: int = 0
    reasoning_tokens: int = 0


def cached_tokens(body: dict[str, Any], model: SimModel, variants: Variants) -> int:
    """A system prompt seen before on this model is read from the cache, in whole 64-token blocks
    (about 4 characters a token, as `prompt_tokens` counts)."""
    messages = body.get("messages") or []
    if not variants.prompt_cache or not messages or messages[0].get("role") != "system":
        return 0
    key = (model.id, _text_of(messages[0].get("content")))
    if key not in variants.seen_prompts:
        variants.seen_prompts.add(key)
        return 0
    return len(key[1]) // 4 // CACHE_BLOCK_TOKENS * CACHE_BLOCK_TOKENS


def shaped(reply: Reply, dialect: str) -> tuple[str | None, str, str]:
    """(reasoning field name or None, that field's text, content) as a server of `dialect` sends `reply`."""
    if not reply.reasoning or dialect == "plain":
        return None, "", reply.content
    if dialect in ("reasoning_content", "reasoning"):
        return dialect, reply.reasoning, reply.content
    if dialect == "inline":
        return None, "", f"<think>\n{reply.reasoning}\n</think>\n\n{reply.content}"
    return None, "", f"{reply.reasoning}\n</think>\n\n{reply.content}"  # template


def _text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(p.get("text", "") for p in content if isinstance(p, dict) and p.get("type") == "text")
    return ""


def validate_chat(body: dict[str, Any], model: SimModel) -> str | None:
    """A 400 message when AtlasCloud would reject the request, else None."""
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        return "messages must be a non-empty array"
    if image_urls(body) and not model.vision:
        return f"model {model.id} does not support image input"
    for url in image_urls(body):
        if url.startswith("data:"):
            try:
                inspect_image(url)
            except Exception as error:
                return f"image could not be decoded: {error}"
    effort = body.get("reasoning_effort")
    if model.rejects_reasoning_effort and effort not in (None, "none"):
        return "invalid request params: reasoning_effort"
    known_calls = set()
    thinking = _thinking_enabled(body, model)
    for message in messages:
        if message.get("role") == "assistant" and message.get("tool_calls"):
            known_calls |= {call["id"] for call in message["tool_calls"]}
            if thinking and model.requires_reasoning_replay and not message.get("reasoning_content"):
                return "thinking is enabled but reasoning_content is missing in assistant tool call message"
        if message.get("role") == "tool" and message.get("tool_call_id") not in known_calls:
            return f"tool_call_id {message.get('tool_call_id')!r} does not match any previous tool call"
    return None


def _thinking_enabled(body: dict[str, Any], model: SimModel) -> bool:
    if not model.reasoning:
        return False
    if (body.get("thinking") or {}).get("type") == "disabled" or body.get("reasoning_effort") == "none":
        return False
    return body.get("enable_thinking") is not False


def sample_for(schema: dict[str, Any]) -> Any:
    """A minimal instance of a JSON schema (what a compliant model would produce)."""
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type", "object")
    kind = kind[0] if isinstance(kind, list) else kind
    if kind == "object":
        return {name: sample_for(sub) for name, sub in (schema.get("properties") or {}).items()}
    if kind == "array":
        return [sample_for(schema.get("items") or {"type": "string"})]
    return {"string": "Paris", "integer": 3, "number": 1.5, "boolean": True}.get(kind)


def prompt_tokens(body: dict[str, Any]) -> int:
    """Text at ~4 characters a token, images at one token per 32x32 block (never base64 length)."""
    text = json.dumps([_text_of(m.get("content")) for m in body["messages"]])
    images = [i for i in inspect_images(body) if "width" in i]
    return max(1, len(text) // 4) + sum((i["width"] // 32 + 1) * (i["height"] // 32 + 1) for i in images)


def plan_reply(body: dict[str, Any], model: SimModel, ranker_config: Any = None) -> Reply:
    messages = body["messages"]
    last = messages[-1]
    reply = Reply(model=model.id, prompt_tokens=prompt_tokens(body))
    user_text = next((_text_of(m.get("content")) for m in reversed(messages) if m.get("role") == "user"), "")
    if _thinking_enabled(body, model):
        reply.reasoning = f"The user wrote: {user_text[:60]!r}. I will answer briefly."
    tools = body.get("tools") or []
    response_format = body.get("response_format") or {}
    if ranker_config is not None and ranker.is_ranker_request(body):
        reply.reasoning = ""
        reply.content = ranker.ranker_reply(body, ranker_config)
    elif tools and last.get("role") == "user":
        for number, tool in enumerate(tools[:3]):
            function = tool["function"]
            arguments = json.dumps(sample_for(function.get("parameters") or {}))
            reply.tool_calls.append((f"call_{uuid.uuid4().hex[:8]}_{number}", function["name"], arguments))
        reply.finish_reason = "tool_calls"
    elif last.get("role") == "tool":
        results = [_text_of(m.get("content")) for m in messages if m.get("role") == "tool"]
        reply.content = "Tool results: " + "; ".join(results)
    elif response_format.get("type") == "json_schema":
        reply.content = json.dumps(sample_for(response_format["json_schema"].get("schema") or {}))
    elif response_format.get("type") == "json_object":
        reply.content = json.dumps({"answer": user_text})
    else:
        images = inspect_images(body)
        seen = "".join(
            f" I see an image of {i.get('width')}x{i.get('height')} ({i.get('format', 'url')})." for i in images
        )
        reply.content = f"Hello from the AtlasCloud simulator. You said: {user_text}.{seen}"
    _apply_max_tokens(reply, body.get("max_tokens"))
    return reply


def _apply_max_tokens(reply: Reply, max_tokens: Any) -> None:
    reasoning_words = reply.reasoning.split()
    content_words = reply.content.split(" ") if reply.content else []
    reply.completion_tokens = len(reasoning_words) + len(content_words) + 10 * len(reply.tool_calls)
    reply.reasoning_tokens = len(reasoning_words)
    if isinstance(max_tokens, int) and reply.completion_tokens > max_tokens:
        budget = max(0, max_tokens - len(reasoning_words))
        reply.reasoning = " ".join(reasoning_words[:max_tokens])
        reply.content = " ".join(content_words[:budget])
        # A call cut off mid-arguments, as a real server sends it: fragments, then `length`.
        reply.tool_calls = [(cid, name, args[: len(args) // 2]) for cid, name, args in reply.tool_calls]
        reply.finish_reason = "length"
        reply.completion_tokens = max_tokens
        reply.reasoning_tokens = min(len(reasoning_words), max_tokens)


def _usage(reply: Reply, dialect: str = "openai") -> dict[str, Any]:
    usage: dict[str, Any] = {
        "prompt_tokens": reply.prompt_tokens,
        "completion_tokens": reply.completion_tokens,
        "total_tokens": reply.prompt_tokens + reply.completion_tokens,
    }
    if dialect == "deepseek":
        usage["prompt_cache_hit_tokens"] = reply.cached_tokens
        usage["prompt_cache_miss_tokens"] = reply.prompt_tokens - reply.cached_tokens
    else:
        usage["prompt_tokens_details"] = {"cached_tokens": reply.cached_tokens}
    usage["completion_tokens_details"] = {"reasoning_tokens": reply.reasoning_tokens}
    return usage


def completion(
    body: dict[str, Any], reply: Reply, send_usage: bool, variants: Variants | None = None
) -> dict[str, Any]:
    variants = variants or Variants()
    field_name, reasoning, content = shaped(reply, variants.reply_dialect)
    message: dict[str, Any] = {"role": "assistant", "content": content}
    if field_name:
        message[field_name] = reasoning
    if reply.tool_calls:
        message["tool_calls"] = [
            {"id": cid, "type": "function", "function": {"name": name, "arguments": args}}
            for cid, name, args in reply.tool_calls
        ]
    result = {
        "id": f"chatcmpl-{uuid.uuid4().hex}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": reply.model,
        "choices": [{"index": 0, "message": message, "finish_reason": reply.finish_reason}],
    }
    if send_usage:
        result["usage"] = _usage(reply, variants.usage_dialect)
    return result


def _pieces(text: str, size: int) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)]


def stream_events(
    body: dict[str, Any],
    reply: Reply,
    include_usage: bool,
    piece_chars: int = 9,
    variants: Variants | None = None,
) -> Iterator[dict[str, Any]]:
    variants = variants or Variants()
    field_name, reasoning, content = shaped(reply, variants.reply_dialect)
    base = {
        "id": f"chatcmpl-{uuid.uuid4().hex}",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": reply.model,
    }

    def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        return {**base, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}

    yield chunk({"role": "assistant", "content": ""})
    for piece in _pieces(reasoning, 7):
        yield chunk({field_name or "reasoning_content": piece})
    for piece in _pieces(content, piece_chars):
        yield chunk({"content": piece})
    # Parallel calls interleave: headers first (id + name), then argument halves in turn.
    for index, (cid, name, _) in enumerate(reply.tool_calls):
        yield chunk(
            {
                "tool_calls": [
                    {
                        "index": index,
                        "id": cid,
                        "type": "function",
                        "function": {"name": name, "arguments": ""},
                    }
                ]
            }
        )
    halves = [(_pieces(args, max(1, len(args) // 2 + 1))) for _, _, args in reply.tool_calls]
    for part in range(2):
        for index, pieces in enumerate(halves):
            if part < len(pieces):
                yield chunk({"tool_calls": [{"index": index, "function": {"arguments": pieces[part]}}]})
    yield chunk({}, reply.finish_reason)
    if include_usage:
        yield {**base, "choices": [], "usage": _usage(reply, variants.usage_dialect)}

"""What a replayed session must look like to Dify: fold the chunks, check invariants and expectations.

Each check returns a list of problems (empty = fine), so one failing test reports everything that
is wrong with a case at once.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from testkit.plugin_driver import SessionResult
from tests.replay.spec import Case, Expect

THINK_OPEN, THINK_CLOSE = "<think>", "</think>"
# Words that mean a Python internal leaked into a user-facing message instead of a sentence.
INTERNAL_WORDS = (
    "TypeError",
    "KeyError",
    "AttributeError",
    "IndexError",
    "ValueError",
    "Traceback",
    "NoneType",
    "JSONDecodeError",
    "UnicodeDecodeError",
    "ValidationError",
    "Unexpected failure",
    "Expecting value",  # json's decoder message, not a sentence a person can act on
)
MARKUP = ("<html", "<!doctype", "<body")
# A status claim such as "answered 500", "HTTP 502", "status: 429", "error 503".
STATUS_CLAIM = re.compile(r"\b(?:answered|status|http|code|error)\s*:?\s*([1-5]\d\d)\b", re.IGNORECASE)


@dataclass
class Folded:
    """Everything Dify would have shown for one session."""

    text: str = ""
    reasoning: str | None = None
    answer: str = ""
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def _as_set(value: str | frozenset[str]) -> frozenset[str]:
    return frozenset({value}) if isinstance(value, str) else value


def fold(result: SessionResult) -> Folded:
    folded = Folded()
    texts = []
    for n, output in enumerate(result.outputs):
        message = output.get("delta", {}).get("message", {})
        content = message.get("content")
        if not isinstance(content, str):
            folded.problems.append(f"chunk {n}: delta.message.content is {type(content).__name__}, not a string")
            content = ""
        texts.append(content)
        folded.tool_calls.extend(message.get("tool_calls") or [])
    folded.text = "".join(texts)
    folded.reasoning, folded.answer = split_think(folded.text, folded.problems)
    return folded


def split_think(text: str, problems: list[str]) -> tuple[str | None, str]:
    opens, closes = text.count(THINK_OPEN), text.count(THINK_CLOSE)
    if opens == 0 and closes == 0:
        return None, text
    if opens != 1 or closes != 1:
        problems.append(f"think tags unbalanced or repeated: {opens} <think>, {closes} </think>")
        return None, text
    if not text.startswith(THINK_OPEN) or text.index(THINK_CLOSE) < text.index(THINK_OPEN):
        problems.append("the think block is not at the very start of the text")
        return None, text
    end = text.index(THINK_CLOSE)
    reasoning = text[len(THINK_OPEN) : end]
    if not reasoning.strip():
        problems.append("empty think block")
    return reasoning, text[end + len(THINK_CLOSE) :]


def check_usage(result: SessionResult) -> list[str]:
    carriers = [n for n, o in enumerate(result.outputs) if o.get("delta", {}).get("usage")]
    if len(carriers) != 1:
        return [f"{len(carriers)} chunks carry usage (chunks {carriers}); exactly one, the last, must"]
    if carriers[0] != len(result.outputs) - 1:
        return [f"usage is on chunk {carriers[0]} of {len(result.outputs)}; it must be the last chunk"]
    return []


def check_tool_calls(calls: list[dict[str, Any]], expect: Expect) -> list[str]:
    problems, seen, got = [], [], []
    for call in calls:
        call_id = call.get("id")
        function = call.get("function") or {}
        if not isinstance(call_id, str) or not call_id:
            problems.append(f"tool call without a usable id: {call!r}")
        if not function.get("name"):
            problems.append(f"tool call without a name: {call!r}")
        try:
            arguments = json.loads(function.get("arguments"))
        except (TypeError, ValueError):
            problems.append(f"tool call arguments are not valid JSON: {function.get('arguments')!r}")
            arguments = None
        seen.append(call_id)
        got.append((function.get("name"), arguments))
    if len(set(seen)) != len(seen):
        problems.append(f"tool call ids repeat (a call emitted twice, or ids not distinct): {seen}")
    wanted = [(name, args) for name, args in expect.tool_calls]
    if got != wanted:
        problems.append(f"tool calls: got {got}, expected {wanted}")
    if expect.tool_call_ids is not None and seen != list(expect.tool_call_ids):
        problems.append(f"tool call ids: got {seen}, expected {list(expect.tool_call_ids)}")
    return problems


def check_success(case: Case, mode: str, result: SessionResult) -> list[str]:
    if not result.ok:
        return [f"session failed: {result.error_type}: {result.message}"]
    expect = case.expect
    folded = fold(result)
    problems = [*folded.problems, *check_usage(result), *check_tool_calls(folded.tool_calls, expect)]
    reasoning = folded.reasoning.strip() if folded.reasoning is not None else None
    if reasoning != expect.reasoning:
        problems.append(f"reasoning: got {reasoning!r}, expected {expect.reasoning!r}")
    if folded.answer.strip() != expect.answer.strip():
        problems.append(f"answer: got {folded.answer.strip()!r}, expected {expect.answer.strip()!r}")
    if mode == "stream" and result.finish_reason() not in _as_set(expect.finish_reason):
        problems.append(
            f"finish_reason: got {result.finish_reason()!r}, expected {sorted(_as_set(expect.finish_reason))}"
        )
    return problems


def invented_statuses(case: Case, mode: str, message: str) -> list[str]:
    """Statuses the message claims that neither the HTTP status nor the server's bytes contain."""
    body = (case.sse if mode == "stream" else case.json) or b""
    known = body.decode("latin-1")
    return [n for n in STATUS_CLAIM.findall(message) if n != str(case.status) and n not in known]


def check_failure(case: Case, mode: str, result: SessionResult) -> list[str]:
    assert case.expect.error is not None
    wanted_types, wanted_words = case.expect.error
    if result.ok:
        folded = fold(result)
        return [f"expected {sorted(_as_set(wanted_types))}, but the session succeeded with text {folded.text!r}"]
    problems = [*fold(result).problems]
    if result.error_type not in _as_set(wanted_types):
        problems.append(f"error type: got {result.error_type}, expected {sorted(_as_set(wanted_types))}")
    if wanted_words not in result.message:
        problems.append(f"the message does not contain {wanted_words!r}")
    leaked = [word for word in INTERNAL_WORDS if word in result.message]
    leaked += [tag for tag in MARKUP if tag in result.message.lower()]
    if leaked:
        problems.append(f"the message is not a readable sentence; it contains {leaked}")
    invented = invented_statuses(case, mode, result.message)
    if invented:
        problems.append(f"the message names status {invented}, which the server never sent")
    if result.error_type == "InvokeBadRequestError" and "InvokeBadRequestError" not in _as_set(wanted_types):
        problems.append("InvokeBadRequestError blames the user's request for a broken upstream reply")
    return problems


def describe(case: Case, mode: str, result: SessionResult, problems: list[str]) -> str:
    outcome = (
        f"error {result.error_type}: {result.message!r}"
        if not result.ok
        else f"text {fold(result).text!r}, tool calls {fold(result).tool_calls!r}, finish {result.finish_reason()!r}"
    )
    lines = [
        f"case {case.name} [{mode}]",
        f"source: {case.source}",
        *([f"note: {case.note}"] if case.note else []),
        f"plugin delivered: {outcome}",
        "problems:",
        *(f"  - {p}" for p in problems),
    ]
    return "\n".join(lines)

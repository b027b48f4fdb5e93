"""What one replay case is, and helpers to write transcripts in a server's own style.

Each `Case` is a transcript written in the style of the bytes quoted in its `source` (an issue,
pull request, fixture or documentation page that shows a real server sending that shape), plus
what the plugin must deliver to Dify for it (`Expect`). The cases live in topic modules
(`cases_*.py`); `corpus.CASES` gathers them.

Expectation semantics (what the test folds from all chunks of one session):
- `reasoning` / `answer`: the folded text is `<think>\\n{reasoning}\\n</think>{answer}` when there is
  reasoning, else the answer; both are compared after `strip()`.
- `tool_calls`: `(name, arguments as a Python object)` in order; `tool_call_ids` compares ids exactly.
- `finish_reason` (stream mode only): the normalised OpenAI value, or a set of acceptable ones.
- `error`: `(Dify error class name or set of names, substring of the message)`; the session must fail.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from testkit.replay_server import Reply

STOP = "stop"
TOOL_TURN = frozenset({"tool_calls", "stop"})  # a tool-call turn may end either way
SERVER_FAULT = "InvokeServerUnavailableError"
BROKEN_TRANSPORT = frozenset({"InvokeServerUnavailableError", "InvokeConnectionError"})


@dataclass(frozen=True)
class Expect:
    answer: str = ""
    reasoning: str | None = None
    tool_calls: tuple[tuple[str, Any], ...] = ()
    tool_call_ids: tuple[str, ...] | None = None
    finish_reason: str | frozenset[str] = STOP
    error: tuple[str | frozenset[str], str] | None = None


@dataclass(frozen=True)
class Case:
    name: str
    source: str
    expect: Expect
    sse: bytes | None = None
    json: bytes | None = None
    status: int = 200
    content_type: str | None = None  # default: text/event-stream for `sse`, application/json for `json`
    ending: str = "done"
    chunk_size: int | None = None
    note: str = ""
    # How the server sends reasoning, declared as a user-added model's setting ("template": its chat
    # template opens <think> in the prompt); None replays to a predefined model (reasoning in a field).
    reasoning_format: str | None = None

    def modes(self) -> list[str]:
        return [mode for mode, body in (("stream", self.sse), ("blocking", self.json)) if body is not None]

    def reply(self, mode: str) -> Reply | None:
        body = self.sse if mode == "stream" else self.json
        if body is None:
            return None
        default_type = "text/event-stream; charset=utf-8" if mode == "stream" else "application/json"
        return Reply(
            body=body,
            status=self.status,
            content_type=self.content_type or default_type,
            ending=self.ending,
            chunk_size=self.chunk_size,
        )


# --- transcript helpers -------------------------------------------------------------------
_RAW_PREFIXES = (":", "data:", "event:", "id:", "retry:", "error:")


def sse(*events: str, done: bool = True, eol: str = "\n", blank: str | None = None) -> bytes:
    """An SSE body. A JSON string becomes `data: <json>`; a line that already starts with an SSE
    field (`data:`, `event:`, `id:`, `retry:`, a `:` comment) is kept as written. Events are
    separated by a blank line; `done` appends `data: [DONE]`."""
    separator = blank if blank is not None else eol * 2
    lines = [e if e.startswith(_RAW_PREFIXES) else f"data: {e}" for e in events]
    if done:
        lines.append("data: [DONE]")
    return (separator.join(lines) + separator).encode("utf-8")


def compact(value: Any) -> str:
    """JSON as most servers write it: no spaces, non-ASCII kept as UTF-8, keys in the order given."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def tool_args(*fragments: str) -> list[str]:
    """JSON-escaped argument fragments, as they appear inside a delta's `arguments` string."""
    return [json.dumps(f)[1:-1] for f in fragments]

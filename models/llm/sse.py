"""Bytes of a server-sent-event stream -> the `data` of each event, as servers really send them.

Follows the SSE framing rules (any of CRLF, LF, CR ends a line; `data:` lines of one event are
joined; `:` comments, `id:` and `retry:` are ignored; a blank line ends an event) and tolerates
what real OpenAI-compatible servers add: no space after `data:`, no blank line before the end of
the body, keep-alive comments, bare JSON lines without `data:` (NDJSON-style gateways) and
llama.cpp's non-standard `error:` line.
A line that is not UTF-8 text is the server's fault: ReplyError, unless it is a comment.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from provider.errors.tree import ReplyError

DONE = "[DONE]"


@dataclass(frozen=True, slots=True)
class SSEEvent:
    name: str  # the `event:` field; "message" when absent
    data: str


class SSEDecoder:
    """Incremental: `feed` each piece of the body as it arrives, `close` at its end."""

    def __init__(self) -> None:
        self._pending = b""
        self._data: list[str] = []
        self._name = ""

    def feed(self, piece: bytes) -> list[SSEEvent]:
        buffer = self._pending + piece
        held = b""
        if buffer.endswith(b"\r"):  # maybe the first half of a CRLF split across pieces
            buffer, held = buffer[:-1], b"\r"
        if b"\r" in buffer:
            buffer = buffer.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        *lines, rest = buffer.split(b"\n")
        self._pending = rest + held
        events: list[SSEEvent] = []
        for line in lines:
            self._line(line, events)
        return events

    def close(self) -> list[SSEEvent]:
        """The events still pending when the body ends (servers often omit the last blank line)."""
        events: list[SSEEvent] = []
        rest, self._pending = self._pending.rstrip(b"\r"), b""
        if rest:
            self._line(rest, events)
        self._line(b"", events)
        return events

    def _line(self, line: bytes, events: list[SSEEvent]) -> None:
        if not line:
            if self._data:
                events.append(SSEEvent(self._name or "message", "\n".join(self._data)))
            self._data, self._name = [], ""
            return
        if line.startswith(b":"):
            return  # a comment, e.g. ": keep-alive" or ": OPENROUTER PROCESSING"
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError:
            raise ReplyError("it sent bytes that are not UTF-8 text in its event stream") from None
        if text.startswith(("{", "[")) and not self._data:
            events.append(SSEEvent("message", text))  # a bare JSON line, no SSE framing
            return
        field, colon, value = text.partition(":")
        if colon and value.startswith(" "):
            value = value[1:]
        if field == "data":
            self._data.append(value)
        elif field == "event":
            self._name = value.strip()
        elif field == "error" and value.strip():  # llama.cpp builds through 2025: `error: {json}` at HTTP 200
            events.append(SSEEvent("error", value))


def parse_data(data: str) -> Iterator[Any]:
    """The JSON values in one event's data; ReplyError when it is not JSON.

    Some servers put several JSON chunks in one event as consecutive `data:` lines, which SSE
    joins with newlines; those are read line by line.
    """
    try:
        yield json.loads(data)
        return
    except ValueError:
        if "\n" not in data:
            raise ReplyError(f"one of its events is not valid JSON ({_preview(data)})") from None
    for line in data.split("\n"):
        if line.strip():
            try:
                yield json.loads(line)
            except ValueError:
                raise ReplyError(f"one of its events is not valid JSON ({_preview(line)})") from None


def _preview(text: str) -> str:
    text = " ".join(text.split())
    return repr(text if len(text) <= 60 else text[:57] + "...")

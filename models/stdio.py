"""Faster, leaner reading of large requests on stdio: a bigger pipe, bigger reads, fewer copies.

The SDK reads each request line from stdin 64 kB at a time, every read a round trip through
gevent's thread pool, and gathers the pieces in a BytesIO that it reads back and splits: three
full copies of the line, then the parsed values beside the last one. Dify sends images inline as
base64, so one request can be 100 MB or more: each copy costs tens of milliseconds (mostly
first-touch page faults) and as much memory as the request. Here: a 1 MiB pipe and 1 MiB reads;
a line is joined once from its pieces, and a line longer than INCREMENTAL_FROM_BYTES is not
joined at all: its JSON is parsed as its pieces arrive (ijson, over the C yajl parser), so the
memory it takes is about its parsed values alone (bench/bench_tokens.py).

Everything after the line is the SDK's own behaviour, kept field for field: a line is parsed
with the same validator (or, when long, into the same values) and becomes the same
PluginInStream; a line that cannot be read is answered the same way. tests/unit/test_stdio.py
checks both readers agree on real lines. The patch is applied only when the SDK looks as
expected; otherwise the SDK's reading stays.
"""

from __future__ import annotations

import contextlib
import fcntl
import sys
from collections.abc import Callable, Iterator
from functools import cache
from typing import Any

READ_BYTES = 1024 * 1024
# Lines longer than this (requests carrying images) are parsed piece by piece as they arrive.
INCREMENTAL_FROM_BYTES = 8 * 1024 * 1024
# F_SETPIPE_SZ (Linux): how much a pipe buffers; unprivileged processes may raise it to 1 MiB.
_F_SETPIPE_SZ = getattr(fcntl, "F_SETPIPE_SZ", 1031)


class IncrementalLine:
    """One long line's JSON, parsed from its pieces as they arrive; never holds the whole line."""

    def __init__(self, pieces: list[bytes]) -> None:
        from ijson import sendable_list

        parser = c_parser()
        assert parser is not None, "complete_lines uses IncrementalLine only when the C parser loads"
        self.size = 0
        self._values = sendable_list()
        self._parser = parser.items_coro(self._values, "", use_float=True)
        self._error: Exception | None = None
        for piece in pieces:
            self.feed(piece)

    def feed(self, piece: bytes) -> None:
        self.size += len(piece)
        if piece and self._error is None:  # an empty send would tell the parser the input ended
            try:
                self._parser.send(piece)
            except Exception as error:  # the rest of the line is still read, and dropped
                self._error = error

    def value(self) -> Any:
        """The line's JSON value; ValueError, without any of the line's text, if it is not JSON."""
        if self._error is None:
            try:
                self._parser.close()
            except Exception as error:
                self._error = error
        if self._error is not None:
            raise ValueError(f"a request line of {self.size} bytes is not valid JSON: {_reason(self._error)}")
        return self._values[0]


@cache
def c_parser() -> Any:
    """ijson's C (yajl) backend, or None where it cannot load: its pure-Python fallback would be
    ~50x slower on a 100 MB line, so such lines are then joined and parsed whole instead.
    Loaded with the first long line, not before the heartbeat (30 ms)."""
    try:
        import ijson

        return ijson.get_backend("yajl2_c")
    except ImportError:
        return None


def _reason(error: Exception) -> str:
    """The parser's first line ("parse error: premature EOF"), never the excerpt of the line it quotes."""
    detail = error.args[0] if error.args else ""
    if isinstance(detail, bytes):
        detail = detail.decode("utf-8", "replace")
    lines = str(detail).strip().splitlines()
    return lines[0].strip() if lines else type(error).__name__


def complete_lines(
    read: Callable[[], bytes], incremental_from: int = INCREMENTAL_FROM_BYTES
) -> Iterator[bytes | IncrementalLine]:
    """Every complete line `read` delivers, without its newline: its bytes, copied once, or, once
    it is longer than `incremental_from` (and ijson's C parser loads), an IncrementalLine that has
    parsed it as it came.

    An empty read is retried, as the SDK does (its reader never ends).
    """
    pending: list[bytes] = []
    pending_bytes = 0
    long_line: IncrementalLine | None = None
    while True:
        data = read()
        start = 0
        while (newline := data.find(b"\n", start)) >= 0:
            if long_line is not None:
                long_line.feed(data[start:newline])
                yield long_line
                long_line = None
            else:
                if newline > start:
                    pending.append(data[start:newline])
                yield pending[0] if len(pending) == 1 else b"".join(pending)
            pending, pending_bytes = [], 0
            start = newline + 1
        if start < len(data):
            rest = data[start:] if start else data
            if long_line is not None:
                long_line.feed(rest)
                continue
            pending.append(rest)
            pending_bytes += len(rest)
            if pending_bytes > incremental_from and c_parser() is not None:
                long_line = IncrementalLine(pending)
                pending, pending_bytes = [], 0


def read_requests_in_larger_pieces() -> bool:
    """Patch the SDK's stdin reader; False when the SDK is not the one this was written for."""
    try:
        from dify_plugin.core.entities.plugin.io import PluginInStream, PluginInStreamEvent
        from dify_plugin.core.server.stdio.request_reader import StdioRequestReader
        from dify_plugin.core.server.stdio.response_writer import StdioResponseWriter
        from gevent.os import tp_read
        from pydantic import TypeAdapter
    except ImportError:
        return False
    if not callable(getattr(StdioRequestReader, "_read_async", None)):
        return False
    if not callable(getattr(StdioRequestReader, "_read_stream", None)):
        return False
    with contextlib.suppress(OSError, ValueError):  # not a pipe (a terminal, a file): keep its size
        fcntl.fcntl(sys.stdin.fileno(), _F_SETPIPE_SZ, READ_BYTES)
    request_line = TypeAdapter(dict[str, Any])

    def _read_async(self: StdioRequestReader) -> bytes:
        return tp_read(sys.stdin.fileno(), READ_BYTES)

    def _read_stream(self: StdioRequestReader) -> Iterator[PluginInStream]:
        for raw_line in complete_lines(self._read_async, INCREMENTAL_FROM_BYTES):
            line = raw_line if isinstance(raw_line, IncrementalLine) else raw_line.strip()
            if not line:
                continue
            try:
                data = (
                    request_line.validate_json(line)
                    if isinstance(line, bytes)
                    else request_line.validate_python(line.value())
                )
                yield PluginInStream(
                    session_id=data["session_id"],
                    conversation_id=data.get("conversation_id"),
                    message_id=data.get("message_id"),
                    app_id=data.get("app_id"),
                    endpoint_id=data.get("endpoint_id"),
                    event=PluginInStreamEvent.value_of(data["event"]),
                    data=data["data"],
                    context=data.get("context"),
                    reader=self,
                    writer=StdioResponseWriter(),
                )
            except Exception as error:  # the SDK answers any unreadable line this way and goes on
                StdioResponseWriter().error(data={"error": str(error)})

    StdioRequestReader._read_async = _read_async  # type: ignore[method-assign]
    StdioRequestReader._read_stream = _read_stream  # type: ignore[method-assign]
    return True

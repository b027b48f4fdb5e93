"""Faster, leaner reading of large requests on stdio: a bigger pipe, bigger reads, fewer copies.

The SDK reads each request line from stdin 64 kB at a time, every read a round trip through
gevent's thread pool, and gathers the pieces in a BytesIO that it reads back and splits: three
full copies of the line, then the parsed values beside the last one. Dify sends images inline as
base64, so one request can be 100 MB or more: each copy costs tens of milliseconds (mostly
first-touch page faults) and as much memory as the request. Here: a 1 MiB pipe and 1 MiB reads;
a line is joined once from its pieces, and a line longer than INCREMENTAL_FROM_BYTES is not
joined at all: its JSON is parsed as its pieces arrive (ijson, over the C yajl parser), so the
memory it takes is about its parsed values alone. Each of its string values passes a StringValues
filter as it is parsed: a token count keeps only its images' headers (runtime/count_filter.py),
so it takes a fraction of its size (bench/bench_tokens.py).

Everything after the line is the SDK's own behaviour, kept field for field: a line is parsed
with the same validator (or, when long, into the same values) and becomes the same
PluginInStream; a line that cannot be read is answered the same way. tests/unit/test_stdio.py
checks both readers agree on real lines. The patch is applied only when the SDK looks as
expected; otherwise the SDK's reading stays.
"""

from __future__ import annotations

import contextlib
import fcntl
import mmap
import sys
from collections.abc import Callable, Iterator
from functools import cache
from typing import Any, Protocol

READ_BYTES = 1024 * 1024
# Lines longer than this (requests carrying images) are parsed piece by piece as they arrive.
INCREMENTAL_FROM_BYTES = 8 * 1024 * 1024
# The parser gets a long line in batches this large. yajl lexes a token that spans batches (a
# photo's base64) again from its start with each batch (yajl_lex.c), so fed the 1 MiB reads the
# 132 MiB count in bench/bench_tokens.py took 382 ms; in 4 MiB batches 277 ms, for 3 MB more
# memory (8 MiB batches: no faster, 12 MB more).
PARSE_BATCH_BYTES = 4 * 1024 * 1024
# F_SETPIPE_SZ (Linux): how much a pipe buffers; unprivileged processes may raise it to 1 MiB.
_F_SETPIPE_SZ = getattr(fcntl, "F_SETPIPE_SZ", 1031)


class StringValues(Protocol):
    """Sees each string value of one long line as it is parsed, and may keep less of it: the
    value kept is what the request holds (runtime/count_filter.py)."""

    def keep(self, path: str, value: str) -> str: ...

    def check(self, line: Any) -> None:
        """ValueError when what `keep` kept does not suit the parsed line."""


class IncrementalLine:
    """One long line's JSON, parsed from its pieces as they arrive; never holds the whole line."""

    def __init__(self, pieces: list[bytes], strings: StringValues | None = None) -> None:
        """Parses `pieces` (the line so far), emptying the list: each piece is released once copied."""
        from ijson import ObjectBuilder, sendable_list

        parser = c_parser()
        assert parser is not None, "complete_lines uses IncrementalLine only when the C parser loads"
        self.size = 0
        # Events, built into values here: each string passes `strings` before the value holds it.
        self._events = sendable_list()
        self._parser = parser.parse_coro(self._events, use_float=True)
        self._builder = ObjectBuilder()
        self._strings = strings
        self._error: Exception | None = None
        # Anonymous memory: its pages are taken as they are first filled, not all at once.
        self._batch = mmap.mmap(-1, PARSE_BATCH_BYTES)
        self._batched = 0
        while pieces:
            self.feed(pieces.pop(0))

    def feed(self, piece: bytes) -> None:
        self.size += len(piece)
        rest = memoryview(piece)
        while rest and self._error is None:
            taken = min(len(rest), PARSE_BATCH_BYTES - self._batched)
            self._batch[self._batched : self._batched + taken] = rest[:taken]
            self._batched += taken
            rest = rest[taken:]
            if self._batched == PARSE_BATCH_BYTES:
                self._parse_batch()

    def _parse_batch(self) -> None:
        """Parse what the batch holds; never an empty batch, which would tell the parser the input ended."""
        if self._batched and self._error is None:
            try:
                with memoryview(self._batch) as batch:
                    self._parser.send(batch[: self._batched])
                self._build()
            except Exception as error:  # the rest of the line is still read, and dropped
                self._error = error
        self._batched = 0

    def _build(self) -> None:
        for path, event, value in self._events:
            if event == "string" and self._strings is not None:
                value = self._strings.keep(path, value)
            self._builder.event(event, value)
        del self._events[:]

    def value(self) -> Any:
        """The line's JSON value; ValueError, without any of the line's text, if it cannot be read."""
        self._parse_batch()
        self._batch.close()  # its memory goes back now, not when the SDK drops the line
        if self._error is None:
            try:
                self._parser.close()
                self._build()
            except Exception as error:
                self._error = error
        if self._error is not None:
            raise ValueError(f"a request line of {self.size} bytes cannot be read: {_reason(self._error)}")
        if self._strings is not None:
            self._strings.check(self._builder.value)
        return self._builder.value


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
    read: Callable[[], bytes],
    incremental_from: int = INCREMENTAL_FROM_BYTES,
    strings_for_line: Callable[[], StringValues] | None = None,
) -> Iterator[bytes | IncrementalLine]:
    """Every complete line `read` delivers, without its newline: its bytes, copied once, or, once
    it is longer than `incremental_from` (and ijson's C parser loads), an IncrementalLine that has
    parsed it as it came, its strings passed through a new `strings_for_line()`.

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
                long_line = IncrementalLine(pending, strings_for_line() if strings_for_line else None)
                pending, pending_bytes = [], 0


def read_requests_in_larger_pieces(strings_for_line: Callable[[], StringValues] | None = None) -> bool:
    """Patch the SDK's stdin reader; False when the SDK is not the one this was written for.
    Each long line's strings pass through a new `strings_for_line()`."""
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
        for raw_line in complete_lines(self._read_async, INCREMENTAL_FROM_BYTES, strings_for_line):
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

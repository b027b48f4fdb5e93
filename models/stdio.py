"""Faster reading of large requests on stdio: a bigger pipe, bigger reads, one copy per line.

The SDK reads each request line from stdin 64 kB at a time, every read a round trip through
gevent's thread pool, and gathers the pieces in a BytesIO that it reads back and splits: three
full copies of the line. Dify sends images inline as base64, so one request can be 100 MB or
more, and each copy of such a line costs tens of milliseconds (mostly first-touch page faults).
Here: a 1 MiB pipe, 1 MiB reads, and a line joined once from its pieces (bench/bench_tokens.py).

Everything after the line is the SDK's own behaviour, kept field for field: the line is parsed
with the same validator and becomes the same PluginInStream; a line that cannot be read is
answered with the same error. tests/unit/test_stdio.py checks both readers agree on real lines.
The patch is applied only when the SDK looks as expected; otherwise the SDK's reading stays.
"""

from __future__ import annotations

import contextlib
import fcntl
import sys
from collections.abc import Callable, Iterator
from typing import Any

READ_BYTES = 1024 * 1024
# F_SETPIPE_SZ (Linux): how much a pipe buffers; unprivileged processes may raise it to 1 MiB.
_F_SETPIPE_SZ = getattr(fcntl, "F_SETPIPE_SZ", 1031)


def complete_lines(read: Callable[[], bytes]) -> Iterator[bytes]:
    """Every complete line `read` delivers, without its newline, each copied once.

    An empty read is retried, as the SDK does (its reader never ends).
    """
    pending: list[bytes] = []
    while True:
        data = read()
        start = 0
        while (newline := data.find(b"\n", start)) >= 0:
            if newline > start:
                pending.append(data[start:newline])
            line = pending[0] if len(pending) == 1 else b"".join(pending)
            pending = []
            yield line
            start = newline + 1
        if start < len(data):
            pending.append(data[start:] if start else data)


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
        for raw_line in complete_lines(self._read_async):
            line = raw_line.strip()
            if not line:
                continue
            try:
                data = request_line.validate_json(line)
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

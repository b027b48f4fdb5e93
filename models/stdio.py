"""Faster reading of large requests on stdio: a bigger pipe and bigger reads.

The SDK reads each request line from stdin 64 kB at a time, every read a round trip through
gevent's thread pool. Dify sends images inline as base64, so one request can be 100 MB or more:
2,000 such reads. A 1 MiB pipe and 1 MiB reads halve the time to read such a line
(bench/bench_tokens.py). Both are applied only when the SDK looks as expected; otherwise the
SDK's own reading stays in place.
"""

from __future__ import annotations

import contextlib
import fcntl
import sys

READ_BYTES = 1024 * 1024
# F_SETPIPE_SZ (Linux): how much a pipe buffers; unprivileged processes may raise it to 1 MiB.
_F_SETPIPE_SZ = getattr(fcntl, "F_SETPIPE_SZ", 1031)


def read_requests_in_larger_pieces() -> bool:
    """Patch the SDK's stdin reader; False when the SDK is not the one this was written for."""
    try:
        from dify_plugin.core.server.stdio.request_reader import StdioRequestReader
        from gevent.os import tp_read
    except ImportError:
        return False
    if not callable(getattr(StdioRequestReader, "_read_async", None)):
        return False
    with contextlib.suppress(OSError, ValueError):  # not a pipe (a terminal, a file): keep its size
        fcntl.fcntl(sys.stdin.fileno(), _F_SETPIPE_SZ, READ_BYTES)

    def _read_async(self: StdioRequestReader) -> bytes:
        return tp_read(sys.stdin.fileno(), READ_BYTES)

    StdioRequestReader._read_async = _read_async  # type: ignore[method-assign]
    return True

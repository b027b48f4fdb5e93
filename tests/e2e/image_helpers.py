"""Helpers shared by the image end-to-end tests: the plugin's memory, and one request line at a time."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from testkit.plugin_driver import PluginProcess


def status_kb(pid: int, field: str) -> int:
    """A Linux /proc/<pid>/status figure in kB (VmRSS, VmHWM)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


class _OneLineAtATime:
    """The driver writes each request line from the calling thread. Once anything imports
    dify_plugin, this test process is monkey-patched and those threads are greenlets: two of
    them writing multi-MB lines to one pipe meet inside the same BufferedWriter ("reentrant
    call"). Serialising the writes keeps every line whole; the requests still run concurrently."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream
        self._lock = threading.Lock()  # gevent's lock when patched, a real one otherwise

    def write(self, data: bytes) -> int:
        with self._lock:
            return self._stream.write(data)

    def flush(self) -> None:
        with self._lock:
            self._stream.flush()

    def close(self) -> None:
        self._stream.close()


def concurrent_stdio_plugin() -> PluginProcess:
    """A stdio plugin process that concurrent tests may send large requests to."""
    process = PluginProcess("local")
    process.process.stdin = _OneLineAtATime(process.process.stdin)
    return process

"""Run one job in a fresh, limited reader process (worker.py), without blocking the plugin.

Under gevent (the SDK monkey-patches `subprocess`) the request's greenlet waits for the child
cooperatively: heartbeats and other sessions go on, and nothing PDFium does can touch the
plugin's memory or stop its process. At most MAX_READERS run at once (each may map
ATLASCLOUD_DOCUMENT_READ_MEMORY_MB); later ones wait their turn, first come first served, for
at most QUEUE_WAIT_S.

Exit statuses: 0 with an answer (a result, or the readers' refusal as a ReaderError); killed by
a signal or failed otherwise means the document broke a limit (SIGABRT/MemoryError: memory,
SIGXCPU/SIGKILL: CPU time) or the reader broke; the wall-clock timeout kills the child too.
"""

from __future__ import annotations

import itertools
import logging
import math
import signal
import subprocess
import sys
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from models.vision_utils.document.protocol import ProtocolError, ReaderError, pack, unpack
from provider.errors.tree import DocumentError, InstallError

try:  # the unpatched lock even when gevent has monkey-patched `threading` (image/budget.py says why)
    from gevent.monkey import get_original

    _native_lock = get_original("threading", "Lock")
except ImportError:  # pragma: no cover - gevent always comes with dify_plugin
    from threading import Lock as _native_lock

WORKER = Path(__file__).with_name("worker.py")
MAX_READERS = 2
QUEUE_WAIT_S = 120.0
POLL_S = 0.02

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReaderLimits:
    memory_mb: int = 256
    timeout_s: float = 60.0


@dataclass
class Answer:
    header: dict[str, Any]
    blobs: list[bytes]
    seconds: float


class _Turns:
    """First come, first served slots shared by greenlets and threads (no gevent primitive: see budget.py)."""

    def __init__(self, slots: int) -> None:
        self.slots = slots
        self._lock = _native_lock()
        self._busy = 0
        self._queue: deque[int] = deque()
        self._tickets = itertools.count()

    def _try(self, ticket: int) -> bool:
        with self._lock:
            if self._queue[0] != ticket or self._busy >= self.slots:
                return False
            self._queue.popleft()
            self._busy += 1
            return True

    @contextmanager
    def turn(self, wait_s: float) -> Iterator[None]:
        ticket = next(self._tickets)
        with self._lock:
            self._queue.append(ticket)
        deadline = time.monotonic() + wait_s
        try:
            while not self._try(ticket):
                if time.monotonic() >= deadline:
                    raise DocumentError(
                        f"the plugin is busy reading other documents (waited {wait_s:.0f} s); try again shortly"
                    )
                time.sleep(POLL_S)  # gevent's cooperative sleep once patched
        finally:
            with self._lock:
                if ticket in self._queue:
                    self._queue.remove(ticket)
        try:
            yield
        finally:
            with self._lock:
                self._busy -= 1


_turns = _Turns(MAX_READERS)


def _too_long(limits: ReaderLimits) -> str:
    return f"reading it takes longer than the {limits.timeout_s:.0f} s a document may take"


def _limit_reason(returncode: int, stderr: bytes, limits: ReaderLimits) -> str:
    """Why a reader died, in words for the user."""
    memory = f"the {limits.memory_mb} MB of memory a document may use"
    if returncode in (-signal.SIGXCPU, -signal.SIGKILL):
        return _too_long(limits)
    if returncode == -signal.SIGABRT or b"MemoryError" in stderr[-2000:]:
        return f"reading it needs more than {memory}"
    return "the reader stopped on it (it may be damaged, or built to break readers)"


def run_reader(job: dict[str, Any], data: bytes, limits: ReaderLimits) -> Answer:
    """The reader's answer; ReaderError when it refuses or breaks on the document, InstallError when it cannot start."""
    command = [sys.executable, "-I", str(WORKER), str(limits.memory_mb), str(math.ceil(limits.timeout_s))]
    message = pack(job, [data])
    with _turns.turn(QUEUE_WAIT_S):
        started = time.monotonic()
        try:
            completed = subprocess.run(command, input=message, capture_output=True, timeout=limits.timeout_s + 2)
        except subprocess.TimeoutExpired:
            raise ReaderError("timeout", _too_long(limits)) from None
        seconds = time.monotonic() - started
    if completed.returncode != 0:
        tail = completed.stderr[-300:].decode("utf-8", "replace").strip().splitlines()
        logger.info("document reader exited with %s after %.2f s: %s", completed.returncode, seconds, tail[-1:] or "")
        raise ReaderError("limit", _limit_reason(completed.returncode, completed.stderr, limits))
    try:
        header, blobs = unpack(completed.stdout)
    except ProtocolError as error:
        raise ReaderError("internal", f"the reader's answer is unreadable ({error})") from None
    if not header.get("ok"):
        kind, reason = str(header.get("kind")), str(header.get("message"))
        if kind == "install":
            raise InstallError(f"The document reader cannot start: {reason}; reinstall the plugin.")
        raise ReaderError(kind, reason)
    return Answer(header, blobs, seconds)

"""A process-wide memory budget for image decoding, shared by every request.

Each conversion reserves its estimated peak (plan.py) before decoding and gives it back after
encoding. Requests that do not fit wait their turn (first come, first served, so a large
image is not starved by a stream of small ones) for at most `wait_s`, then fail with a clear
message; an image that alone exceeds the whole budget is refused at once (plan.py).

Why a lock and polling, not a Condition: the plugin runs under gevent. Waiting happens in a
request greenlet before the work goes to gevent's pool of real threads, and the release
happens in that greenlet after the work returns. A native Condition would block the one OS
thread every greenlet shares (the releasing greenlet could never run: deadlock); gevent's
primitives belong to one hub and must not be touched from the pool's threads. A native lock
held only for a few instructions, never across a wait, plus `time.sleep` looked up at call
time (gevent's cooperative sleep once monkey-patched, the real one otherwise) works with
greenlets, with real threads, and with any mix of the two.
"""

from __future__ import annotations

import ctypes
import itertools
import sys
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache

from provider.errors.tree import ImageError
from provider.settings import settings

try:  # the unpatched lock even when gevent has monkey-patched `threading`
    from gevent.monkey import get_original

    _native_lock = get_original("threading", "Lock")
except ImportError:  # pragma: no cover - gevent always comes with dify_plugin
    from threading import Lock as _native_lock

DEFAULT_WAIT_S = 120.0
POLL_S = 0.01
# glibc's mallopt(M_MMAP_THRESHOLD, ...): allocations above this go to mmap and back to the OS.
_M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD_BYTES = 1024 * 1024


class MemoryBudget:
    def __init__(
        self,
        capacity: int,
        wait_s: float = DEFAULT_WAIT_S,
        poll_s: float = POLL_S,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        self.capacity = capacity
        self.wait_s = wait_s
        self.poll_s = poll_s
        self._sleep = sleep  # None: time.sleep as it is at call time (gevent's once patched)
        self._lock = _native_lock()
        self._used = 0
        self._queue: deque[int] = deque()
        self._tickets = itertools.count()
        self.peak = 0  # highest reservation total seen (tests and benchmarks read it)

    @property
    def used(self) -> int:
        return self._used

    @property
    def waiting(self) -> int:
        """Reservations queued and not yet taken."""
        with self._lock:
            return len(self._queue)

    def _try_take(self, ticket: int, cost: int) -> bool:
        with self._lock:
            if self._queue[0] != ticket or self._used + cost > self.capacity:
                return False
            self._queue.popleft()
            self._used += cost
            self.peak = max(self.peak, self._used)
            return True

    def _give_back(self, cost: int) -> None:
        with self._lock:
            self._used -= cost

    def _leave_queue(self, ticket: int) -> None:
        with self._lock:
            if ticket in self._queue:
                self._queue.remove(ticket)

    @contextmanager
    def reserve(self, cost: int) -> Iterator[None]:
        """Hold `cost` bytes of the budget for the duration of the block."""
        if cost > self.capacity:
            raise ImageError(
                f"converting the image needs about {cost / 2**20:.0f} MB, more than the whole "
                f"{self.capacity / 2**20:.0f} MB image budget"
            )
        ticket = next(self._tickets)
        with self._lock:
            self._queue.append(ticket)
        deadline = time.monotonic() + self.wait_s
        try:
            while not self._try_take(ticket, cost):
                if time.monotonic() >= deadline:
                    raise ImageError(
                        f"the plugin is busy converting other images (waited {self.wait_s:.0f} s for "
                        f"{cost / 2**20:.0f} MB of its {self.capacity / 2**20:.0f} MB image memory); try again shortly"
                    )
                (self._sleep or time.sleep)(self.poll_s)
        finally:
            self._leave_queue(ticket)  # a no-op once taken; frees the head of the line on timeout or kill
        try:
            yield
        finally:
            self._give_back(cost)


def release_large_blocks_to_the_os() -> bool:
    """Make freed image memory leave the process at once (glibc only; elsewhere a no-op).
    A process-wide change: called once by runtime/startup.py.

    glibc raises its mmap threshold after the first large free (up to 32 MB), so later decoded
    images come from per-thread heaps that keep their pages after use. Measured through the
    plugin with 8 concurrent hostile images: peak RSS 100 MB above the budget and 517 MB still
    held afterwards; with a fixed 1 MiB threshold the peak stays within the budget and RSS
    falls back to ~150 MB.
    """
    if not sys.platform.startswith("linux"):
        return False
    try:
        return bool(ctypes.CDLL(None).mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES))
    except (OSError, AttributeError):
        return False


@cache
def image_memory() -> MemoryBudget:
    """The process's one budget, sized by ATLASCLOUD_IMAGE_MEMORY_MB (provider/settings.py)."""
    return MemoryBudget(settings().image_memory_bytes)

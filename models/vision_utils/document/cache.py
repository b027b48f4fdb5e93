"""Small in-process caches of what documents cost to read, keyed by content hash.

Dify asks for a token count before each chat call, with the same documents, and sends every
earlier document again on each turn of a conversation: reading a PDF once per content (and
rendering each page image once) saves the reader process on all but the first call. Each cache
is bounded by a weight (characters held, bytes held), least recently used out first.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable


class WeightedCache[V]:
    def __init__(self, capacity: int, largest_share: float = 0.25) -> None:
        self.capacity = capacity
        self.largest = int(capacity * largest_share)  # one entry may take at most this
        self._entries: OrderedDict[Hashable, tuple[V, int]] = OrderedDict()
        self._held = 0
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> V | None:
        with self._lock:
            found = self._entries.get(key)
            if found is None:
                return None
            self._entries.move_to_end(key)
            return found[0]

    def put(self, key: Hashable, value: V, weight: int) -> None:
        if weight > self.largest:
            return
        with self._lock:
            if key in self._entries:
                return
            self._entries[key] = (value, weight)
            self._held += weight
            while self._held > self.capacity:
                _, (_, evicted) = self._entries.popitem(last=False)
                self._held -= evicted

    @property
    def held(self) -> int:
        with self._lock:
            return self._held

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._held = 0

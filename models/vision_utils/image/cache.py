"""A small in-process cache of prepared images keyed by content hash.

Dify resends every earlier image on each turn of a conversation; converting them once saves
most of the per-turn cost. Bounded by total bytes held.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable

from models.vision_utils.image.convert import PreparedImage
from models.vision_utils.image.sizing import ImageLimits

MAX_CACHED_BYTES = 64 * 1024 * 1024

_entries: OrderedDict[tuple[str, ImageLimits], PreparedImage] = OrderedDict()
_held_bytes = 0
_lock = threading.Lock()


def cached(raw: bytes, limits: ImageLimits, prepare: Callable[[bytes, ImageLimits], PreparedImage]) -> PreparedImage:
    global _held_bytes
    key = (hashlib.sha256(raw).hexdigest(), limits)
    with _lock:
        if key in _entries:
            _entries.move_to_end(key)
            return _entries[key]
    prepared = prepare(raw, limits)
    with _lock:
        if key not in _entries and len(prepared.data) <= MAX_CACHED_BYTES // 4:
            _entries[key] = prepared
            _held_bytes += len(prepared.data)
            while _held_bytes > MAX_CACHED_BYTES:
                _, evicted = _entries.popitem(last=False)
                _held_bytes -= len(evicted.data)
    return prepared


def held_bytes() -> int:
    with _lock:
        return _held_bytes


def clear() -> None:
    global _held_bytes
    with _lock:
        _entries.clear()
        _held_bytes = 0

"""Random access to audio held in a file or in bytes, read in bounded pieces.

The audio Dify sends for transcription can be 50 MB; the parsers in this package read it
through a `Source`, which keeps one block (256 KiB) of it in memory at a time, so inspecting
a file costs the same memory whatever its size.
"""

from __future__ import annotations

import os
from typing import BinaryIO

BLOCK = 256 * 1024


class Source:
    """`read(offset, n)` over a seekable binary file or a bytes object."""

    def __init__(self, data: BinaryIO | bytes | bytearray | memoryview) -> None:
        if isinstance(data, bytes | bytearray | memoryview):
            self._bytes: bytes | None = bytes(data)
            self._file: BinaryIO | None = None
            self.size = len(self._bytes)
        else:
            self._bytes = None
            self._file = data
            self.size = _file_size(data)
        self._block_start = 0
        self._block = b""

    def read(self, offset: int, count: int) -> bytes:
        """Up to `count` bytes at `offset` (fewer at the end of the data, none past it)."""
        if offset < 0 or count <= 0 or offset >= self.size:
            return b""
        if self._bytes is not None:
            return self._bytes[offset : offset + count]
        end = offset + count
        if not (self._block_start <= offset and end <= self._block_start + len(self._block)):
            assert self._file is not None
            self._file.seek(offset)
            self._block = self._file.read(max(count, BLOCK))
            self._block_start = offset
        start = offset - self._block_start
        return self._block[start : start + count]

    def find(self, needle: bytes, start: int, limit: int) -> int:
        """The offset of `needle` in [start, start + limit), or -1; read in blocks."""
        end = min(self.size, start + limit)
        position = start
        while position < end:
            window = self.read(position, min(BLOCK, end - position) + len(needle) - 1)
            found = window.find(needle)
            if found >= 0 and position + found + len(needle) <= end:
                return position + found
            position += BLOCK
        return -1


def _file_size(file: BinaryIO) -> int:
    try:
        return os.fstat(file.fileno()).st_size
    except (AttributeError, OSError, ValueError):
        here = file.tell()
        size = file.seek(0, os.SEEK_END)
        file.seek(here)
        return size

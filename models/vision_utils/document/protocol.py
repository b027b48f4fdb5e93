"""The byte format between the plugin and its document reader process (stdlib only: both sides import it).

A message is a JSON header and binary blobs: 4 bytes (big-endian) giving the header's length,
the header, then the blobs one after another; the header's `blobs` lists their lengths. The
plugin sends one job (header + the document's bytes); the reader answers once, then exits.
"""

from __future__ import annotations

import json
import struct
from typing import Any

_LENGTH = struct.Struct(">I")
# The reader's header holds at most the text of one document (characters capped by the plugin)
# and its per-page facts; anything larger is not an answer the plugin asked for.
MAX_HEADER_BYTES = 512 * 1024 * 1024


class ProtocolError(ValueError):
    """A message that is not in this format (a reader that died mid-answer, or garbage)."""


def pack(header: dict[str, Any], blobs: list[bytes] | tuple[bytes, ...] = ()) -> bytes:
    encoded = json.dumps({**header, "blobs": [len(blob) for blob in blobs]}, ensure_ascii=True).encode("ascii")
    return b"".join((_LENGTH.pack(len(encoded)), encoded, *blobs))


def unpack(data: bytes) -> tuple[dict[str, Any], list[bytes]]:
    """The header and the blobs (memoryview-free copies) of one message."""
    if len(data) < _LENGTH.size:
        raise ProtocolError("the message is shorter than its length prefix")
    (length,) = _LENGTH.unpack_from(data)
    if length > MAX_HEADER_BYTES or _LENGTH.size + length > len(data):
        raise ProtocolError("the message's header length is out of range")
    try:
        header = json.loads(data[_LENGTH.size : _LENGTH.size + length])
    except ValueError as error:
        raise ProtocolError(f"the message's header is not JSON ({error})") from None
    sizes = header.get("blobs") if isinstance(header, dict) else None
    if not isinstance(sizes, list) or not all(isinstance(size, int) and size >= 0 for size in sizes):
        raise ProtocolError("the message's header lists no blob sizes")
    blobs: list[bytes] = []
    offset = _LENGTH.size + length
    for size in sizes:
        if offset + size > len(data):
            raise ProtocolError("the message ends inside a blob")
        blobs.append(data[offset : offset + size])
        offset += size
    if offset != len(data):
        raise ProtocolError("the message has bytes after its last blob")
    return header, blobs


class ReaderError(Exception):
    """A document the reader refuses, with the reason in words for the user; `kind` sorts the reasons
    (password, damaged, empty, format, limit, nesting) for the plugin log and the tests."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message

"""header_text (the cut a long token-count line keeps of an image) searches up to its whole
CUT_SEARCH_BYTES: a header found in the last doubling of the prefix is still cut, not kept whole."""

from __future__ import annotations

import base64
import struct

from models.vision_utils.image.header import CUT_SEARCH_BYTES, header_from_base64, header_text
from testkit.images import encode, photo


def jpeg_with_segments_before_its_frame(total: int) -> bytes:
    """A small JPEG with `total` bytes of APP15 segments between its start and its frame header."""
    raw = encode(photo(64, 48), "JPEG")
    segments = b""
    while len(segments) < total:
        payload = b"\x00" * min(65533, total - len(segments))
        segments += b"\xff\xef" + struct.pack(">H", len(payload) + 2) + payload
    return raw[:2] + segments + raw[2:]


def test_a_header_between_half_and_all_of_the_search_is_cut():
    raw = jpeg_with_segments_before_its_frame(CUT_SEARCH_BYTES * 3 // 4)
    text = base64.b64encode(raw).decode()
    padded = base64.b64encode(raw + b"\x00" * CUT_SEARCH_BYTES).decode()  # more data after the header
    cut = header_text(padded)
    assert len(cut) < len(padded), "kept only up to the header"
    assert len(cut) <= (CUT_SEARCH_BYTES // 3 + 1) * 4
    image, _ = header_from_base64(cut)
    assert image.size == (64, 48) == header_from_base64(text)[0].size

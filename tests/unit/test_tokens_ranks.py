"""Reading a `.tiktoken` ranks file (tokens/text.read_ranks): after its hash check, every token
needs its rank; a file cut short between the two is refused, never read with a token missing."""

from __future__ import annotations

import base64
import hashlib

import pytest

from models.vision_utils.tokens.text import read_ranks


def ranks_file(*lines: bytes) -> tuple[bytes, str]:
    data = b"\n".join(lines) + b"\n"
    return data, hashlib.sha256(data).hexdigest()


def test_each_token_is_read_with_its_rank():
    data, digest = ranks_file(base64.b64encode(b"a") + b" 0", base64.b64encode(b" the") + b" 1")
    assert read_ranks(data, digest) == {b"a": 0, b" the": 1}


def test_a_token_without_its_rank_is_refused():
    data, digest = ranks_file(base64.b64encode(b"a") + b" 0", base64.b64encode(b"b"))
    with pytest.raises(ValueError):
        read_ranks(data, digest)

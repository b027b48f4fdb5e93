"""Offline token estimates for text and images.

AtlasCloud's usage numbers are authoritative; these estimates only serve context budgeting and
the usage fallback when a server sends none. cl100k_base over-counts the Chinese-heavy text of
Qwen/DeepSeek/GLM tokenizers slightly, which is the safe direction for a budget.
The BPE file ships with the plugin (tiktoken would download it, which fails offline) and is
checked against its published SHA-256 before use.
"""

from __future__ import annotations

import binascii
import hashlib
from functools import lru_cache
from pathlib import Path

import tiktoken

from provider.errors.tree import EncodingFileError

ENCODING_FILE = Path(__file__).parents[1] / "data" / "cl100k_base.tiktoken"
ENCODING_SHA256 = "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7"
# cl100k_base's split pattern and special tokens, as published in tiktoken_ext.openai_public.
_CL100K_PATTERN = (
    r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+"""
    r"""|\s++$|\s*[\r\n]|\s+(?!\S)|\s"""
)
_CL100K_SPECIAL = {
    "<|endoftext|>": 100257,
    "<|fim_prefix|>": 100258,
    "<|fim_middle|>": 100259,
    "<|fim_suffix|>": 100260,
    "<|endofprompt|>": 100276,
}


def read_ranks(data: bytes, expected_sha256: str = ENCODING_SHA256) -> dict[bytes, int]:
    """A `.tiktoken` file (a base64 token and its rank per line) as tiktoken's loader reads it,
    after the same hash check; mapped with C functions, twice as fast as its per-line loop
    (bench/bench_startup.py: the tokenizer is loaded before the plugin's first heartbeat)."""
    if hashlib.sha256(data).hexdigest() != expected_sha256:
        raise EncodingFileError(f"{ENCODING_FILE.name} does not match its published SHA-256; reinstall the plugin.")
    fields = data.split()
    return dict(zip(map(binascii.a2b_base64, fields[0::2]), map(int, fields[1::2]), strict=True))


@lru_cache(maxsize=1)
def encoding() -> tiktoken.Encoding:
    """The bundled, hash-verified cl100k_base encoding (loaded once per process)."""
    ranks = read_ranks(ENCODING_FILE.read_bytes())
    return tiktoken.Encoding(
        name="cl100k_base_bundled",
        pat_str=_CL100K_PATTERN,
        mergeable_ranks=ranks,
        special_tokens=_CL100K_SPECIAL,
    )


def count_text(text: str) -> int:
    """Tokens in `text`; special-token look-alikes in user text count as plain text."""
    if not text:
        return 0
    return len(encoding().encode_ordinary(text))

"""Plan embedding requests: windows for long texts, batches by item count and token budget,
and the merge of window vectors back into one vector per text.

Budgets count what the server's tokenizer is likely to see, not just cl100k_base: the open
embedding models' tokenizers (Qwen2/Qwen3, Llama, Mistral) split numbers into single digits
(Qwen's tokenization note; LLaMA paper, section 2), where cl100k groups up to three, so a table of
figures costs them up to 3x our cl100k count. Every digit therefore counts as a token here. The
safety margin covers the remaining drift (words, scripts). A text longer than the model's context
is split into windows whose vectors are combined by a token-weighted mean and L2-normalised,
rather than silently truncated.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import repeat

from models.common.batching import greedy_batches
from models.vision_utils.tokens.text import encoding
from provider.errors.tree import ReplyError

# OpenAI's documented ceilings for /v1/embeddings, the default for any model.
MAX_INPUTS_PER_REQUEST = 2048
MAX_TOKENS_PER_INPUT = 8192
MAX_TOKENS_PER_REQUEST = 300_000
# Word pieces and scripts still differ by ~10-20 % between tokenizers once digits are counted singly.
SAFETY_MARGIN = 0.8


@dataclass(frozen=True)
class Piece:
    """One input sent to the API: a whole text or one window of it."""

    text_index: int
    text: str
    tokens: int


@lru_cache(maxsize=1)
def digit_token_extra() -> dict[int, int]:
    """cl100k id of every 2- and 3-digit token -> the extra tokens a per-digit tokenizer spends."""
    enc = encoding()
    return {enc.encode_single_token(f"{n:0{width}d}"): width - 1 for width in (2, 3) for n in range(10**width)}


def token_costs(tokens: Sequence[int]) -> list[int]:
    extra = digit_token_extra()
    return [1 + extra.get(token, 0) for token in tokens]


def budget_tokens(tokens: Sequence[int]) -> int:
    """Tokens the server likely counts: cl100k tokens, with numbers counted per digit."""
    return len(tokens) + sum(map(digit_token_extra().get, tokens, repeat(0)))


def split_into_pieces(texts: Sequence[str], window_tokens: int) -> list[Piece]:
    """Every text as one piece, or as consecutive windows of at most `window_tokens` budget tokens."""
    enc = encoding()
    pieces: list[Piece] = []
    for index, text in enumerate(texts):
        tokens = enc.encode_ordinary(text)
        total = budget_tokens(tokens)
        if total <= window_tokens:
            pieces.append(Piece(index, text, max(total, 1)))
            continue
        costs = token_costs(tokens)
        start = 0
        while start < len(tokens):
            end = window_end(tokens, costs, start, window_tokens)
            pieces.append(Piece(index, enc.decode(tokens[start:end]), sum(costs[start:end])))
            start = end
    return pieces


def window_end(tokens: Sequence[int], costs: Sequence[int], start: int, window_tokens: int) -> int:
    """End of the longest window from `start` within the budget that does not cut a character.

    cl100k spells rare characters (emoji, some CJK) as several byte tokens; cutting between them
    would leave replacement characters on both sides of the cut.
    """
    end, spent = start, 0
    while end < len(tokens) and spent + costs[end] <= window_tokens:
        spent += costs[end]
        end += 1
    end = max(end, start + 1)  # a single token dearer than the window still has to go somewhere
    enc = encoding()
    # A character is at most 4 UTF-8 bytes, so at most 4 byte tokens: a cut inside one is at most
    # 3 tokens past its start, and 4 candidates (end, end-1, end-2, end-3) always reach a boundary.
    for candidate in range(end, max(start, end - 4), -1):
        if candidate == len(tokens) or _whole_characters(enc.decode_bytes(tokens[start:candidate])):
            return candidate
    return end


def _whole_characters(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def plan_batches(pieces: Sequence[Piece], max_items: int, max_tokens: int) -> list[list[Piece]]:
    """Greedy, order-keeping batches that respect both limits."""
    return greedy_batches(pieces, max_items, max_tokens, lambda piece: piece.tokens)


def normalise(vector: Sequence[float]) -> list[float]:
    norm = math.sqrt(sum(value * value for value in vector))
    if not norm or not math.isfinite(norm):
        raise ReplyError("it returned an embedding of zero or non-finite length")
    return [value / norm for value in vector]


def merge_windows(pieces: Sequence[Piece], vectors: Sequence[Sequence[float]], text_count: int) -> list[list[float]]:
    """One vector per text: single pieces pass through, windows are weighted by tokens."""
    grouped: dict[int, list[tuple[int, Sequence[float]]]] = {}
    for piece, vector in zip(pieces, vectors, strict=True):
        grouped.setdefault(piece.text_index, []).append((piece.tokens, vector))
    merged = []
    for index in range(text_count):
        parts = grouped[index]
        if len(parts) == 1:
            merged.append(list(parts[0][1]))
            continue
        total = sum(weight for weight, _ in parts)
        mean = [sum(weight * vector[d] for weight, vector in parts) / total for d in range(len(parts[0][1]))]
        merged.append(normalise(mean))
    return merged

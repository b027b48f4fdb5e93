"""Plan embedding requests: windows for long texts, batches by item count and token budget,
and the merge of window vectors back into one vector per text.

Budgets keep a safety margin because AtlasCloud's tokenizer is not ours (cl100k_base).
A text longer than the model's context is split into windows whose vectors are combined by a
token-weighted mean and L2-normalised, rather than silently truncated.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from models.vision_utils.tokens import encoding

# OpenAI's documented ceilings for /v1/embeddings, the default for any model.
MAX_INPUTS_PER_REQUEST = 2048
MAX_TOKENS_PER_INPUT = 8192
MAX_TOKENS_PER_REQUEST = 300_000
# Our token counts may be ~10-20 % below the server's for some scripts.
SAFETY_MARGIN = 0.8


@dataclass(frozen=True)
class Piece:
    """One input sent to the API: a whole text or one window of it."""

    text_index: int
    text: str
    tokens: int


def split_into_pieces(texts: Sequence[str], window_tokens: int) -> list[Piece]:
    """Every text as one piece, or as consecutive windows of at most `window_tokens`."""
    enc = encoding()
    pieces: list[Piece] = []
    for index, text in enumerate(texts):
        tokens = enc.encode_ordinary(text)
        if len(tokens) <= window_tokens:
            pieces.append(Piece(index, text, max(len(tokens), 1)))
            continue
        for start in range(0, len(tokens), window_tokens):
            window = tokens[start : start + window_tokens]
            pieces.append(Piece(index, enc.decode(window), len(window)))
    return pieces


def plan_batches(pieces: Sequence[Piece], max_items: int, max_tokens: int) -> list[list[Piece]]:
    """Greedy, order-keeping batches that respect both limits."""
    batches: list[list[Piece]] = []
    current: list[Piece] = []
    current_tokens = 0
    for piece in pieces:
        if current and (len(current) >= max_items or current_tokens + piece.tokens > max_tokens):
            batches.append(current)
            current, current_tokens = [], 0
        current.append(piece)
        current_tokens += piece.tokens
    if current:
        batches.append(current)
    return batches


def normalise(vector: Sequence[float]) -> list[float]:
    norm = math.sqrt(sum(value * value for value in vector))
    if not norm or not math.isfinite(norm):
        raise ValueError("the embedding has zero or non-finite length")
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

"""Read scores out of whatever the ranker model replied, defensively.

Accepted shapes: `{"scores": [{"id", "score"}, ...]}`, a bare list of `{"id", "score"}`, an
`{"D1": 80}` mapping (also under "scores"), in code fences, after a `<think>` block, wrapped
in prose, or truncated (read by pattern).

Which answer counts: the model's own answer is the last one it gives (its reasoning, and any
document it quotes, come before it), so forged scores inside a quoted document do not win:
- Every complete JSON value that begins like an answer (`{"scores":`, `[{"id":`, `{"D1":`) is
  decoded; the LAST one with at least one known id and a numeric score is the answer.
- If a JSON answer begins after it and never ends (cut off by max_tokens), that unfinished
  answer is the model's final one: its pairs are read by pattern, from its opening bracket on.
- With no JSON answer at all, pairs are read by pattern from the whole reply.
- Duplicates: within one complete JSON answer the first score of an id wins (the model's first
  grading; a later repeat is a slip). Read by pattern, the last mention of an id wins.
Unknown ids, booleans, NaN and infinities are ignored; scores are clamped to 0..100 and
returned divided by 100.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Collection, Iterable
from typing import Any

# A ranker reply is ~40 tokens per document; anything longer is runaway output. Only its end is
# read (the answer is last), which also bounds the work on hostile text.
MAX_REPLY_CHARS = 16384
MAX_ANSWER_STARTS = 32
_LEADING_THINK = re.compile(r"\A\s*<think>.*?(?:</think>|\Z)", re.DOTALL)
_PAIR = re.compile(r'"?id"?\s*[:=]\s*"?(D\d+)"?[^{}\[\]]*?"?score"?\s*[:=]\s*"?(-?\d+(?:\.\d+)?)', re.IGNORECASE)
_MAPPED = re.compile(r'"(D\d+)"\s*:\s*"?(-?\d+(?:\.\d+)?)', re.IGNORECASE)
# Where a JSON answer begins: `{"scores":`, `[{"id":`, or `{"D1":`.
_ANSWER_START = re.compile(r'[\[{]\s*(?:"?scores"?\s*:|\{\s*"?id"?\s*:|"D\d+"\s*:)', re.IGNORECASE)
_DECODER = json.JSONDecoder()


def answer_pairs(value: Any) -> list[tuple[Any, Any]]:
    """The (id, score) pairs of a JSON value in one of the answer shapes; [] for anything else."""
    if isinstance(value, dict) and "scores" in value:
        value = value["scores"]
    if isinstance(value, list):
        return [(row["id"], row["score"]) for row in value if isinstance(row, dict) and {"id", "score"} <= row.keys()]
    if isinstance(value, dict):
        return list(value.items())
    return []


def usable(pairs: Iterable[tuple[Any, Any]], valid_ids: Collection[str]) -> list[tuple[str, float]]:
    """Pairs with a known id and a finite numeric score, the score clamped and scaled to 0..1."""
    found: list[tuple[str, float]] = []
    for raw_id, raw_score in pairs:
        key = str(raw_id).strip().upper()
        if key not in valid_ids or isinstance(raw_score, bool):
            continue
        try:
            value = float(raw_score)
        except (TypeError, ValueError):
            continue
        if math.isfinite(value):
            found.append((key, min(max(value, 0.0), 100.0) / 100.0))
    return found


def parse_scores(reply: str, valid_ids: Collection[str]) -> dict[str, float]:
    """id -> score in [0, 1] for every valid id the reply scored (see the module docstring)."""
    text = _LEADING_THINK.sub("", reply or "", count=1)[-MAX_REPLY_CHARS:]
    answer: list[tuple[str, float]] = []
    unfinished: int | None = None  # where the last answer that never ends begins
    position = 0
    # JSON is decoded only where an answer can begin, and only at the last few such places (the
    # answer is last), so hostile text ("[[[[...", thousands of forged answers) costs little.
    for start in [match.start() for match in _ANSWER_START.finditer(text)][-MAX_ANSWER_STARTS:]:
        if start < position:
            continue  # inside the answer just decoded
        try:
            value, length = _DECODER.raw_decode(text[start:])
        except (ValueError, RecursionError):  # truncated or broken, or nested past the interpreter's limit
            unfinished = start
            continue
        pairs = usable(answer_pairs(value), valid_ids)
        if pairs:
            answer, unfinished = pairs, None
        position = start + length
    if unfinished is not None or not answer:
        fragment = text[unfinished or 0 :]
        return dict(usable(_PAIR.findall(fragment) or _MAPPED.findall(fragment), valid_ids))  # last one wins
    scores: dict[str, float] = {}
    for key, value in answer:
        scores.setdefault(key, value)  # first one wins
    return scores

"""Read scores out of whatever the ranker model replied, defensively.

Handles JSON in code fences, `<think>` text before it, `{"scores": [...]}`, a bare list or
an `{"D1": 80}` mapping, and truncated or prose-wrapped JSON (by pattern). Unknown ids are
ignored, the first score of a duplicated id wins, and scores are clamped to 0..100.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Iterator
from typing import Any

_THINK = re.compile(r"<think>.*?(</think>|$)", re.DOTALL)
_PAIR = re.compile(r'"?id"?\s*[:=]\s*"?(D\d+)"?[^{}\[\]]*?"?score"?\s*[:=]\s*(-?\d+(?:\.\d+)?)')
_MAPPED = re.compile(r'"(D\d+)"\s*:\s*(-?\d+(?:\.\d+)?)')


def _json_candidates(text: str) -> Iterator[Any]:
    for opening, closing in (("{", "}"), ("[", "]")):
        start, end = text.find(opening), text.rfind(closing)
        if start != -1 and end > start:
            try:
                yield json.loads(text[start : end + 1])
            except ValueError:
                continue


def _pairs_from_json(data: Any) -> Iterator[tuple[Any, Any]]:
    if isinstance(data, dict) and isinstance(data.get("scores"), list | dict):
        data = data["scores"]
    if isinstance(data, dict):
        yield from data.items()
    elif isinstance(data, list):
        for row in data:
            if isinstance(row, dict):
                yield row.get("id"), row.get("score")


def parse_scores(reply: str, valid_ids: Collection[str]) -> dict[str, float]:
    """id -> score in [0, 1] for every valid id the reply scored."""
    text = _THINK.sub("", reply or "")
    pairs = [pair for data in _json_candidates(text) for pair in _pairs_from_json(data)]
    if not pairs:
        pairs = _PAIR.findall(text) or _MAPPED.findall(text)
    scores: dict[str, float] = {}
    for raw_id, raw_score in pairs:
        key = str(raw_id).strip()
        if key not in valid_ids or key in scores:
            continue
        try:
            value = float(raw_score)
        except (TypeError, ValueError):
            continue
        if value == value:  # not NaN
            scores[key] = min(max(value, 0.0), 100.0) / 100.0
    return scores

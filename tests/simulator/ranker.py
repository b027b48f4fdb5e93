"""The simulator as an LLM ranker, and as a native /rerank endpoint.

Relevance is deterministic: an oracle table of graded labels when one is set, else word
overlap between query and document; images count by their dominant colour's name.
Reply shapes are queued by tests to exercise the plugin's defensive parsing.
"""

from __future__ import annotations

import json
import math
import re
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from tests.simulator.inspect import inspect_image

RANKER_MARKER = "You grade how relevant each document is"
_DOC = re.compile(r'<document id="(D\d+)">\n(.*?)\n</document>', re.DOTALL)
_QUERY = re.compile(r"<query>\n(.*?)\n</query>", re.DOTALL)
_COLOURS = {"red": (220, 30, 30), "green": (30, 180, 60), "blue": (30, 60, 220), "yellow": (240, 220, 30)}


@dataclass
class RankerConfig:
    replies: deque[str] = field(default_factory=deque)  # shapes for the next calls; "good" after
    oracle: dict[tuple[str, str], int] = field(default_factory=dict)  # (query, doc) -> grade 0..3
    native_enabled: bool = False
    native_logits: bool = False
    native_bad_index: bool = False


def is_ranker_request(body: dict[str, Any]) -> bool:
    messages = body.get("messages") or []
    return bool(messages) and RANKER_MARKER in str(messages[0].get("content"))


def _colour_name(url: str) -> str:
    red, green, blue, _ = inspect_image(url)["corner_pixel"]
    return min(_COLOURS, key=lambda n: sum((a - b) ** 2 for a, b in zip(_COLOURS[n], (red, green, blue), strict=True)))


def _flatten(content: Any) -> str:
    """The ranker prompt as text, with every image replaced by its colour's name."""
    if isinstance(content, str):
        return content
    text = ""
    for part in content:
        if part["type"] == "text":
            text += part["text"]
        else:
            text = text.removesuffix("[image]") + _colour_name(part["image_url"]["url"])
    return text


def relevance(query: str, document: str, config: RankerConfig) -> int:
    """0..100."""
    if config.oracle:
        return round(config.oracle.get((query, document), 0) * 100 / 3)
    words = set(re.findall(r"\w+", query.lower()))
    found = set(re.findall(r"\w+", document.lower()))
    return round(100 * len(words & found) / max(len(words), 1))


def ranker_reply(body: dict[str, Any], config: RankerConfig) -> str:
    prompt = _flatten(body["messages"][1]["content"])
    query = _QUERY.search(prompt).group(1)
    scores = [{"id": doc_id, "score": relevance(query, text, config)} for doc_id, text in _DOC.findall(prompt)]
    shape = config.replies.popleft() if config.replies else "good"
    good = json.dumps({"scores": scores})
    return {
        "good": good,
        "fenced": f"```json\n{good}\n```",
        "think": f"<think>Comparing each document with the query.</think>\n{good}",
        "bare_list": json.dumps(scores),
        "mapping": json.dumps({s["id"]: s["score"] for s in scores}),
        "partial": json.dumps({"scores": scores[: len(scores) // 2]}),
        "truncated": good[: len(good) * 2 // 3],
        "garbage": "I think the second document is probably the best one.",
        "out_of_range": json.dumps(
            {
                "scores": [{"id": s["id"], "score": 250} for s in scores[:1]]
                + [{"id": "D999", "score": 90}]
                + scores[1:]
                + scores[:1]
            }
        ),
    }[shape]


def native_rerank(body: dict[str, Any], config: RankerConfig) -> tuple[int, dict[str, Any]]:
    query, documents = body.get("query"), body.get("documents")
    if not isinstance(query, str) or not isinstance(documents, list):
        return 400, {"msg": "query and documents are required"}
    rows = []
    for index, document in enumerate(documents):
        score = relevance(query, str(document), config) / 100
        if config.native_logits:
            score = math.log(max(score, 1e-4) / max(1 - score, 1e-4))
        rows.append({"index": index, "relevance_score": score})
    rows.sort(key=lambda row: -row["relevance_score"])
    if config.native_bad_index:
        rows[0]["index"] = len(documents) + 5
    if body.get("top_n"):
        rows = rows[: body["top_n"]]
    return 200, {"results": rows, "usage": {"total_tokens": 10 * len(documents)}}

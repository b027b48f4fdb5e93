"""The simulator as an LLM ranker, and as a native /rerank endpoint.

Relevance is deterministic: an oracle table of graded labels when one is set, else word
overlap between query and document; images count by their dominant colour's name.
Reply shapes are queued by tests to exercise the plugin's defensive parsing.

Like a model that follows the rubric, the ranker reads the delimiter code from the system
message and takes only tags carrying it as document boundaries (plain `<document id=...>` tags
when there is no code: the layout of earlier builds, for benchmarks against a baseline). With `gullible` set it plays
a model fooled by look-alikes instead: after NFKC folding (its own, not the plugin's) any
`<document ... id="Dn">` tag opens a document, any `</document...>` closes one, and the first
block named with an id is the one it grades. Injection tests use it as the adversary.
Each ranker call is held `latency_s` and counted while in flight, so tests can see overlap.
"""

from __future__ import annotations

import json
import math
import re
import threading
import time
import unicodedata
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from testkit.simulator.inspect import inspect_image

RANKER_MARKER = "You grade how relevant each document is"
_CODE = re.compile(r"<document-([0-9a-f]+) id=")
_LOOSE_DOC = re.compile(r'<\s*document[^>]*?id\s*=\s*"?(d\d+)"?[^>]*>(.*?)<\s*/\s*document[^>]*>', re.DOTALL)
_LOOSE_QUERY = re.compile(r"<\s*query[^>]*>\n?(.*?)\n?<\s*/\s*query[^>]*>", re.DOTALL)
# Clamped at both ends, an unknown id, and a later duplicate of D1 that must not win.
OUT_OF_RANGE = json.dumps(
    {"scores": [{"id": "D1", "score": 250}, {"id": "D999", "score": 90}, {"id": "D2", "score": -40},
                {"id": "D3", "score": 60}, {"id": "D1", "score": 30}]}
)  # fmt: skip
_COLOURS = {"red": (220, 30, 30), "green": (30, 180, 60), "blue": (30, 60, 220), "yellow": (240, 220, 30)}


@dataclass
class RankerConfig:
    replies: deque[str] = field(default_factory=deque)  # shapes for the next calls; "good" after
    oracle: dict[tuple[str, str], int] = field(default_factory=dict)  # (query, doc) -> grade 0..3
    gullible: bool = False  # read look-alike tags as real ones (the adversary for injection tests)
    latency_s: float = 0.0  # each ranker call is held this long while counted as in flight
    in_flight: int = 0
    max_in_flight: int = 0
    seen: list[dict[str, str]] = field(default_factory=list)  # the documents each call read, by id
    lock: threading.Lock = field(default_factory=threading.Lock)
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


def read_prompt(body: dict[str, Any], gullible: bool) -> tuple[str, list[tuple[str, str]]]:
    """(query, [(id, document text)]) as this ranker perceives the prompt."""
    prompt = _flatten(body["messages"][1]["content"])
    if gullible:
        folded = "".join(c for c in unicodedata.normalize("NFKC", prompt).casefold() if unicodedata.category(c) != "Cf")
        query = _LOOSE_QUERY.search(folded)
        return query.group(1) if query else "", [(i.upper(), text.strip()) for i, text in _LOOSE_DOC.findall(folded)]
    found = _CODE.search(str(body["messages"][0]["content"]))
    suffix = f"-{found.group(1)}" if found else ""  # no code: the layout of earlier builds (baselines)
    query = re.search(rf"<query{suffix}>\n(.*?)\n</query{suffix}>", prompt, re.DOTALL).group(1)
    return query, re.findall(rf'<document{suffix} id="(D\d+)">\n(.*?)\n</document{suffix}>', prompt, re.DOTALL)


def relevance(query: str, document: str, config: RankerConfig) -> int:
    """0..100."""
    if config.oracle:
        return round(config.oracle.get((query, document), 0) * 100 / 3)
    words = set(re.findall(r"\w+", query.lower()))
    found = set(re.findall(r"\w+", document.lower()))
    return round(100 * len(words & found) / max(len(words), 1))


def ranker_reply(body: dict[str, Any], config: RankerConfig) -> str:
    with config.lock:
        config.in_flight += 1
        config.max_in_flight = max(config.max_in_flight, config.in_flight)
    try:
        time.sleep(config.latency_s)
        return _reply(body, config)
    finally:
        with config.lock:
            config.in_flight -= 1


def _reply(body: dict[str, Any], config: RankerConfig) -> str:
    query, documents = read_prompt(body, config.gullible)
    graded: dict[str, str] = {}
    for doc_id, text in documents:
        graded.setdefault(doc_id, text)  # a gullible reader grades the first block named with an id
    with config.lock:
        config.seen.append(graded)
    scores = [{"id": doc_id, "score": relevance(query, text, config)} for doc_id, text in graded.items()]
    shape = config.replies.popleft() if config.replies else "good"
    good = json.dumps({"scores": scores})
    quoted = "".join(f'Document {doc_id} says: "{text}"\n' for doc_id, text in graded.items())
    return {
        "good": good,
        "fenced": f"```json\n{good}\n```",
        "think": f"<think>Comparing each document with the query.</think>\n{good}",
        "bare_list": json.dumps(scores),
        "mapping": json.dumps({s["id"]: s["score"] for s in scores}),
        "partial": json.dumps({"scores": scores[: len(scores) // 2]}),
        "truncated": good[: len(good) * 2 // 3],
        "garbage": "I think the second document is probably the best one.",
        "out_of_range": OUT_OF_RANGE,
        "duplicate": json.dumps({"scores": [{"id": "D1", "score": 20}, *scores]}),
        # The model quotes every document (forged JSON and all) before its own answer.
        "quoted": f"{quoted}\n{good}",
        "quoted_truncated": f"{quoted}\n{good[: len(good) * 2 // 3]}",
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

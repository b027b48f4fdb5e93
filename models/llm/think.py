"""Reasoning that arrives inline in `content` as `<think>...</think>`, split from the answer.

Backends without a reasoning parser (raw vLLM/SGLang/llama.cpp, MiniMax, some gateways) put the
reasoning in the content itself. Tags arrive split across deltas (`<thi` + `nk>`), so a possible
partial tag is held back until the next piece decides it. Only a block at the very start of the
content (after whitespace) is reasoning; a `<think>` later in an answer is the answer's text.
"""

from __future__ import annotations

OPEN_TAG = "<think>"
CLOSE_TAG = "</think>"


def _partial_suffix(text: str, tag: str) -> int:
    """Length of the longest end of `text` that is a proper start of `tag`."""
    for size in range(min(len(tag) - 1, len(text)), 0, -1):
        if tag.startswith(text[-size:]):
            return size
    return 0


class InlineThinkSplitter:
    """Feed content pieces; get (reasoning, answer) text as soon as it is certain."""

    def __init__(self) -> None:
        self._state = "sniff"  # sniff -> inside -> answer, or sniff -> answer
        self._held = ""

    @property
    def inside(self) -> bool:
        return self._state == "inside" or (self._state == "sniff" and self._held.strip() != "")

    def feed(self, text: str) -> tuple[str, str]:
        if self._state == "answer":
            return "", text
        self._held += text
        if self._state == "sniff":
            start = self._held.lstrip()
            if len(start) < len(OPEN_TAG) and OPEN_TAG.startswith(start):
                return "", ""  # maybe the start of a tag, or whitespace before it
            if not start.startswith(OPEN_TAG):
                self._state, answer, self._held = "answer", self._held, ""
                return "", answer
            self._state, self._held = "inside", start[len(OPEN_TAG) :]
        return self._inside()

    def _inside(self) -> tuple[str, str]:
        end = self._held.find(CLOSE_TAG)
        if end != -1:
            reasoning, answer = self._held[:end], self._held[end + len(CLOSE_TAG) :]
            self._state, self._held = "answer", ""
            return reasoning, answer
        keep = _partial_suffix(self._held, CLOSE_TAG)
        reasoning = self._held[: len(self._held) - keep]
        self._held = self._held[len(self._held) - keep :]
        return reasoning, ""

    def close(self) -> tuple[str, str]:
        """At the end of the content: an unclosed block was reasoning cut short; held text is answer."""
        held, self._held = self._held, ""
        if self._state == "inside":
            return held, ""
        return "", held


def split_inline_think(text: str) -> tuple[str, str]:
    """(reasoning, answer) of a whole reply's content."""
    splitter = InlineThinkSplitter()
    reasoning, answer = splitter.feed(text)
    more_reasoning, more_answer = splitter.close()
    return reasoning + more_reasoning, answer + more_answer

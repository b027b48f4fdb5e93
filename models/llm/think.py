"""Reasoning that arrives inline in `content` as `<think>...</think>`, split from the answer.

Backends without a reasoning parser (raw vLLM/SGLang/llama.cpp, MiniMax, some gateways) put the
reasoning in the content itself. Tags arrive split across deltas (`<thi` + `nk>`), so a possible
partial tag is held back until the next piece decides it. Only a block at the very start of the
content (after whitespace) is reasoning; a `<think>` later in an answer is the answer's text.

Some chat templates open `<think>` in the prompt (DeepSeek-R1, Qwen3 on llama.cpp), so the reply
starts mid-reasoning and only a lone `</think>` marks its end. With `lookahead` > 0 the splitter
holds content that starts without a tag until it sees that `</think>` (then the held text was
reasoning) or `lookahead` characters pass without one (then it was the answer, released at once).
Callers set it only for models that are expected to reason, or for whole replies.
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

    def __init__(self, lookahead: float = 0) -> None:
        self._state = "sniff"  # sniff -> inside -> answer; sniff -> held -> answer; sniff -> answer
        self._held = ""
        self._lookahead = lookahead

    def feed(self, text: str) -> tuple[str, str]:
        if self._state == "answer":
            return "", text
        self._held += text
        if self._state == "sniff":
            start = self._held.lstrip()
            if len(start) < len(OPEN_TAG) and OPEN_TAG.startswith(start):
                return "", ""  # maybe the start of a tag, or whitespace before it
            if start.startswith(OPEN_TAG):
                self._state, self._held = "inside", start[len(OPEN_TAG) :]
            else:
                self._state = "held" if self._lookahead > 0 else "answer"
        if self._state == "inside":
            return self._inside()
        if self._state == "held":
            return self._held_until_close()
        answer, self._held = self._held, ""
        return "", answer

    def _split_at_close(self) -> tuple[str, str] | None:
        """(reasoning, answer) around the held text's `</think>`, if it has arrived."""
        end = self._held.find(CLOSE_TAG)
        if end == -1:
            return None
        reasoning, answer = self._held[:end], self._held[end + len(CLOSE_TAG) :]
        self._state, self._held = "answer", ""
        return reasoning, answer

    def _inside(self) -> tuple[str, str]:
        split = self._split_at_close()
        if split is not None:
            return split
        keep = _partial_suffix(self._held, CLOSE_TAG)
        reasoning = self._held[: len(self._held) - keep]
        self._held = self._held[len(self._held) - keep :]
        return reasoning, ""

    def _held_until_close(self) -> tuple[str, str]:
        split = self._split_at_close()
        if split is not None:
            return split
        if len(self._held) > self._lookahead:
            self._state, answer, self._held = "answer", self._held, ""
            return "", answer
        return "", ""

    def close(self) -> tuple[str, str]:
        """At the end of the content: an unclosed block was reasoning cut short; held text is answer."""
        held, self._held = self._held, ""
        if self._state == "inside":
            return held, ""
        return "", held

"""Reasoning that arrives inline in `content` as `<think>...</think>`, split from the answer.

Backends without a reasoning parser (raw vLLM/SGLang/llama.cpp, MiniMax, some gateways) put the
reasoning in the content itself. Tags arrive split across deltas (`<thi` + `nk>`), so a possible
partial tag is held back until the next piece decides it: at most a tag's length, never more.
Only a block at the very start of the content (after whitespace) is reasoning; a `<think>` later
in an answer is the answer's text.

Some chat templates open `<think>` in the prompt (DeepSeek-R1, Qwen3 on llama.cpp), so the reply
starts mid-reasoning and only a lone `</think>` marks its end. That is a fact about the model,
declared in its settings (`opened`): the reply is then reasoning from its first character. No
text is ever held back to guess it. Undeclared, a streamed reply is the answer from its first
character; a lone `</think>` that turns up later (before any `<think>`) still ends the reasoning
there: the text after it is the answer, nothing stray is shown, and `lone_close` tells the
caller, who names the setting that fixes it. A whole (blocking) reply is known at once, so there
a lone `</think>` anywhere splits it exactly (`whole`).
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

    def __init__(self, *, opened: bool = False, whole: bool = False) -> None:
        """`opened`: the template opened the block in the prompt (declared); `whole`: the pieces are
        one complete reply, so nothing is streamed and a lone `</think>` can be looked for to the end."""
        # sniff -> inside -> answer; sniff -> watch -> answer; sniff -> held -> answer (whole replies)
        self._state = "sniff"
        self._held = ""
        self._opened = opened
        self._whole = whole
        self._tail = ""  # the end of the answer already released, to see a `<think>` cut across pieces
        self.lone_close = False  # a `</think>` ended reasoning that nobody declared

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
            elif self._opened:
                self._state = "inside"
            else:
                self._state = "held" if self._whole else "watch"
        if self._state == "inside":
            return self._inside()
        if self._state == "held":
            return self._held_until_close()
        return self._watch()

    def _lone_close_at(self) -> int:
        """Where the held text's first `</think>` starts, if no `<think>` comes before it; else -1."""
        end = self._held.find(CLOSE_TAG)
        if end == -1:
            return -1
        if OPEN_TAG in self._tail + self._held[:end]:
            return -1
        return end

    def _split_at(self, end: int) -> tuple[str, str]:
        reasoning, answer = self._held[:end], self._held[end + len(CLOSE_TAG) :]
        self._state, self._held = "answer", ""
        return reasoning, answer

    def _inside(self) -> tuple[str, str]:
        end = self._held.find(CLOSE_TAG)
        if end != -1:
            return self._split_at(end)
        keep = _partial_suffix(self._held, CLOSE_TAG)
        reasoning = self._held[: len(self._held) - keep]
        self._held = self._held[len(self._held) - keep :]
        return reasoning, ""

    def _held_until_close(self) -> tuple[str, str]:
        end = self._lone_close_at()
        if end != -1:
            self.lone_close = True
            return self._split_at(end)
        if OPEN_TAG in self._held:  # a `</think>` after this is the answer's own text
            self._state, answer, self._held = "answer", self._held, ""
            return "", answer
        return "", ""

    def _watch(self) -> tuple[str, str]:
        """The answer streams as it comes; only a possible start of `</think>` waits for the next piece."""
        end = self._lone_close_at()
        if end != -1:
            self.lone_close = True
            return self._split_at(end)
        if OPEN_TAG in self._tail + self._held:
            self._state, answer, self._held = "answer", self._held, ""
            return "", answer
        keep = _partial_suffix(self._held, CLOSE_TAG)
        answer = self._held[: len(self._held) - keep]
        self._held = self._held[len(self._held) - keep :]
        self._tail = (self._tail + answer)[-(len(OPEN_TAG) - 1) :]
        return "", answer

    def close(self) -> tuple[str, str]:
        """At the end of the content: an unclosed block was reasoning cut short; held text is answer."""
        held, self._held = self._held, ""
        if self._state == "inside" or (self._state == "sniff" and self._opened):
            return held, ""
        return "", held

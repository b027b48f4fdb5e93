"""Normalised pieces -> the text Dify shows, plus the tool calls, finish reason and usage.

Reasoning, from a field or inline in the content, becomes ONE `<think>\\n...\\n</think>` block
before the answer: never an empty block (whitespace-only reasoning and a switched-off thinking
mode's `<think>\\n\\n</think>` are dropped), never two (when a backend sends a reasoning field
AND the same reasoning inline, the inline copy is dropped). Text is emitted as soon as it is
certain, so streaming stays incremental.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from dify_plugin.entities.model.message import AssistantPromptMessage

from models.llm.dialect import Piece, UsageDetails
from models.llm.think import InlineThinkSplitter
from models.llm.toolcalls import ToolCallAssembler
from provider.errors.tree import ReplyError, UserInputError

THINK_OPEN = "<think>\n"
THINK_CLOSE = "\n</think>"

_FINISH_ALIASES: dict[str, str] = {
    **dict.fromkeys(("stop", "eos", "eos_token", "end_turn", "stop_sequence", "end", "complete", "completed"), "stop"),
    **dict.fromkeys(("length", "max_tokens", "max_output_tokens", "model_length", "max_length"), "length"),
    **dict.fromkeys(("tool_calls", "tool_call", "function_call", "tool_use"), "tool_calls"),
    **dict.fromkeys(("content_filter", "safety", "recitation", "blocked", "prohibited_content"), "content_filter"),
}
# Endings that say the server gave up: the answer is incomplete, which must never look normal.
_ABORTED = frozenset({"abort", "aborted", "error", "cancelled", "canceled", "timeout", "interrupted", "failed"})


def normalise_finish(raw: str | None) -> str | None:
    """OpenAI's finish reasons for any server's; unknown endings count as a normal stop."""
    if raw is None:
        return None
    key = raw.strip().lower()
    if key in _ABORTED:
        raise ReplyError(f"it stopped the answer before the end (finish_reason '{raw}'); please retry")
    return _FINISH_ALIASES.get(key, "stop")


@dataclass(frozen=True)
class ThinkOptions:
    """How one reply's inline reasoning is read (think.py)."""

    # The model's chat template opens <think> in the prompt (declared) and thinking is on.
    opened: bool = False
    # Called once when a lone </think> arrives that nobody declared: the caller logs the fix.
    on_lone_close: Callable[[], None] | None = None


class AnswerBuilder:
    """Feed pieces in order; `feed` returns the text to show now, `finish` closes the answer."""

    def __init__(self, options: ThinkOptions | None = None, whole: bool = False) -> None:
        """`whole`: the pieces are one complete (blocking) reply, nothing is shown before the end."""
        self._phase = "start"  # start -> reasoning -> answer
        self._held_reasoning = ""  # whitespace-only reasoning, until real text follows
        self._held_answer = ""  # whitespace-only answer at the start, in case reasoning follows
        self._options = options or ThinkOptions()
        self._whole = whole
        self._inline: InlineThinkSplitter | None = None  # made at the first content
        self._lone_close_seen = False
        self._field_reasoning = False
        self.reasoning_parts: list[str] = []
        self.shown: list[str] = []
        self.tools = ToolCallAssembler()
        self.raw_finish: str | None = None
        self.usage: tuple[int, int] | None = None
        self.usage_details: UsageDetails | None = None

    def feed(self, piece: Piece) -> str:
        if piece.usage:
            self.usage, self.usage_details = piece.usage, piece.usage_details
        self.raw_finish = piece.finish_reason or self.raw_finish
        for fragment in piece.tool_fragments:
            self.tools.add(fragment)
        out = []
        if piece.reasoning:
            self._field_reasoning = True
            out.append(self._reasoning(piece.reasoning))
        if piece.content:
            inline_reasoning, answer = self._splitter().feed(piece.content)
            out.append(self._inline_reasoning(self._after_lone_close(inline_reasoning)))
            out.append(self._answer(answer))
        if piece.refusal:
            out.append(self._answer(piece.refusal))
        return self._shown("".join(out))

    def _splitter(self) -> InlineThinkSplitter:
        if self._inline is None:
            # A server that already sent a reasoning field has split the reply itself: its
            # content is the answer, whatever the template does.
            opened = self._options.opened and not self._field_reasoning
            self._inline = InlineThinkSplitter(opened=opened, whole=self._whole)
        return self._inline

    def _after_lone_close(self, reasoning: str) -> str:
        """The reasoning a lone `</think>` just ended; the answer text already shown was part of it."""
        if self._inline is None or not self._inline.lone_close or self._lone_close_seen:
            return reasoning
        self._lone_close_seen = True
        if self._options.on_lone_close is not None and not self._field_reasoning:
            self._options.on_lone_close()
        if self._phase != "answer":  # (with a reasoning field, the caller drops inline reasoning anyway)
            return reasoning
        # Still watching means no think block was shown: everything shown was this reasoning.
        return "".join(self.shown) + reasoning

    def _inline_reasoning(self, text: str) -> str:
        # A backend that also sent a reasoning field repeats it inline: show it once.
        return "" if self._field_reasoning or not text else self._reasoning(text)

    def _reasoning(self, text: str) -> str:
        self.reasoning_parts.append(text)
        if self._phase == "answer":
            return ""  # reasoning after the answer began has no place in one think block; kept for replay
        if self._phase == "start":
            self._held_reasoning += text
            if not self._held_reasoning.strip():
                return ""
            text, self._held_reasoning = self._held_reasoning.lstrip("\n"), ""
            self._phase = "reasoning"
            return THINK_OPEN + text
        return text

    def _answer(self, text: str) -> str:
        if not text:
            return ""
        if self._phase == "reasoning":
            self._phase = "answer"
            return THINK_CLOSE + text
        if self._phase == "start":
            self._held_answer += text
            if not self._held_answer.strip():
                return ""
            text, self._held_answer = self._held_answer, ""
            self._phase = "answer"
        return text

    def _shown(self, text: str) -> str:
        if text:
            self.shown.append(text)
        return text

    def finish(self) -> tuple[str, list[AssistantPromptMessage.ToolCall], str]:
        """The closing text, the complete tool calls and OpenAI's finish reason.

        No finish reason after a real answer (some servers end with `[DONE]` or a clean close
        only) is a normal ending; no answer at all is the server's failure.
        """
        inline_reasoning, answer = self._inline.close() if self._inline is not None else ("", "")
        closing = self._inline_reasoning(inline_reasoning) + self._answer(answer)
        if self._phase == "reasoning":
            closing += THINK_CLOSE
        finish = normalise_finish(self.raw_finish)
        calls = [] if finish == "length" else self.tools.calls()  # a cut-off call is never half-emitted
        has_text = any(part.strip() for part in self.shown) or closing.strip()
        if finish is None:
            if not has_text and not calls:
                raise ReplyError("it ended the stream without any answer; please retry")
            finish = "stop"
        if finish == "content_filter" and not has_text and not calls:
            raise UserInputError("The model's content filter blocked this answer; rephrase the request.")
        if calls and finish == "stop":
            finish = "tool_calls"
        return self._shown(closing), calls, finish

    @property
    def reasoning(self) -> str:
        return "".join(self.reasoning_parts)

"""Streamed tool-call fragments -> complete tool calls, whatever the server's dialect.

OpenAI sends `index` on every fragment and `id`/`name` on the first only, and parallel calls
interleave by index. Real servers also: omit `index` (a fragment then continues the open call),
repeat `id`/`name` on every fragment, send a whole call in one fragment, reuse index 0 for every
call with a new `id` (a new call, not `{..}{..}` arguments), or send the arguments as a JSON
object instead of a string. Dify's agent runner json-parses every call it receives, so calls
leave here complete and with valid JSON arguments, or not at all.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field

from dify_plugin.entities.model.message import AssistantPromptMessage

from models.llm.dialect import ToolFragment
from provider.errors.tree import ReplyError


@dataclass
class _Call:
    index: int | None = None
    id: str = ""
    name: str = ""
    parts: list[str] = field(default_factory=list)

    @property
    def arguments(self) -> str:
        return "".join(self.parts).strip()


def _is_complete_json(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


class ToolCallAssembler:
    def __init__(self) -> None:
        self._calls: list[_Call] = []
        self._by_index: dict[int, _Call] = {}
        self._open: _Call | None = None

    def __bool__(self) -> bool:
        return any(call.name for call in self._calls)

    def add(self, fragment: ToolFragment) -> None:
        call = self._target(fragment)
        call.id = call.id or fragment.id or ""
        call.name = call.name or fragment.name or ""
        if fragment.whole_arguments is not None:
            call.parts = [fragment.whole_arguments]
        elif fragment.arguments:
            call.parts.append(fragment.arguments)

    def _target(self, fragment: ToolFragment) -> _Call:
        current = self._open if fragment.index is None else self._by_index.get(fragment.index)
        if current is None or self._starts_new_call(current, fragment):
            current = _Call(index=fragment.index)
            self._calls.append(current)
            if fragment.index is not None:
                self._by_index[fragment.index] = current
        self._open = current
        return current

    @staticmethod
    def _starts_new_call(current: _Call, fragment: ToolFragment) -> bool:
        if fragment.id and current.id and fragment.id != current.id:
            return True
        # No ids to go by: a named fragment after a finished call begins another call.
        finished = bool(current.name) and _is_complete_json(current.arguments)
        if not finished or not fragment.name:
            return False
        return fragment.name != current.name or fragment.arguments.lstrip().startswith("{")

    def calls(self) -> list[AssistantPromptMessage.ToolCall]:
        """The complete calls, by index where the server gave one, else in the order they began;
        ReplyError for arguments that are not JSON."""
        complete = []
        ordered = sorted(enumerate(self._calls), key=lambda pair: (pair[1].index is None, pair[1].index or 0, pair[0]))
        for _, call in ordered:
            if not call.name:
                continue
            arguments = call.arguments or "{}"
            try:
                parsed = json.loads(arguments)
            except ValueError:
                raise ReplyError(
                    f"the model's call to tool '{call.name}' has arguments that are not valid JSON"
                ) from None
            if parsed is None:
                arguments = "{}"
            complete.append(
                AssistantPromptMessage.ToolCall(
                    id=call.id or f"call_{uuid.uuid4().hex[:24]}",
                    type="function",
                    function=AssistantPromptMessage.ToolCall.ToolCallFunction(name=call.name, arguments=arguments),
                )
            )
        return complete

"""A token count reads each image only as far as its header: a long count request keeps no more.

Dify's chat apps ask for a token count before every chat call, with the same messages, images
inline as base64 (AppRunner.recalc_llm_max_tokens). Counting reads only an image's header
(header.header_from_base64), so while such a request line is parsed (runtime/stdin_reader.py) each image's
base64 is cut right after that header: the count is the same, and the request takes the memory
of its headers instead of its photos, then and while it stays referenced after its answer.

It relies on the daemon writing `action` before `prompt_messages`: it sends `data` as a Go map,
whose keys encoding/json sorts. When the action comes later, nothing is cut.
"""

from __future__ import annotations

from typing import Any

from models.vision_utils.image.header import header_text

COUNT_ACTIONS = frozenset({"get_llm_num_tokens"})
ACTION_PATH = "data.action"
_PART = "data.prompt_messages.item.content.item."
BASE64_PATH = _PART + "base64_data"
URL_PATH = _PART + "url"
# Shorter data is not worth reading twice (here and when counting).
WORTH_CUTTING = 256 * 1024


class ImageHeadersForCounts:
    """The string values of one request line (StringValues in runtime/stdin_reader.py)."""

    def __init__(self) -> None:
        self._counting = False
        self._cut = False

    def keep(self, path: str, value: str) -> str:
        if path == ACTION_PATH:
            self._counting = value in COUNT_ACTIONS
            return value
        if not self._counting or len(value) < WORTH_CUTTING:
            return value
        if path == BASE64_PATH:
            kept = header_text(value)
        elif path == URL_PATH and value.startswith("data:") and (comma := value.find(",")) >= 0:
            kept = header_text(value, comma + 1)
        else:
            return value
        self._cut = self._cut or len(kept) < len(value)
        return kept

    def check(self, line: Any) -> None:
        """Image data may only have been cut in a line that is, in the end, a token count."""
        data = line.get("data") if isinstance(line, dict) else None
        action = data.get("action") if isinstance(data, dict) else None
        if self._cut and action not in COUNT_ACTIONS:
            raise ValueError(f"the request's action changed to {str(action)[:40]!r} after its images were read")

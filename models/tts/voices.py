"""The voices Dify lists for a language (its TTS settings panel asks per interface language)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any


def voices_for(voices: Sequence[Mapping[str, Any]], language: str | None) -> list[dict[str, str]]:
    """`{name, value}` of the voices that speak `language` (Dify's code, e.g. en-US); by the
    language alone when no voice has the exact code (en-GB -> en-US); every voice when none
    speaks it, since a voice that is not native beats an empty list that leaves nothing to pick."""

    def listed(found: Sequence[Mapping[str, Any]]) -> list[dict[str, str]]:
        return [{"name": str(v.get("name") or v["mode"]), "value": str(v["mode"])} for v in found]

    if not language:
        return listed(voices)
    exact = [v for v in voices if language in (v.get("language") or [])]
    if exact:
        return listed(exact)
    primary = language.split("-")[0].lower()
    same = [v for v in voices if any(str(code).split("-")[0].lower() == primary for code in v.get("language") or [])]
    return listed(same or voices)

"""The replay corpus: real servers' dialects of the OpenAI chat-completions protocol.

Every case names the public issue, pull request, fixture or documentation page that shows a real
server sending that shape (`Case.source`). The cases live in topic modules; see `spec.py` for what
a case and its expectation mean.
"""

from __future__ import annotations

from tests.replay import (
    cases_endings,
    cases_errors,
    cases_reasoning,
    cases_shapes,
    cases_tool_vendors,
    cases_tools,
)
from tests.replay.spec import Case, Expect

__all__ = ["BY_NAME", "CASES", "Case", "Expect"]


def _collect() -> tuple[Case, ...]:
    cases = (
        *cases_tools.CASES,
        *cases_tool_vendors.CASES,
        *cases_endings.CASES,
        *cases_reasoning.CASES,
        *cases_errors.CASES,
        *cases_shapes.CASES,
    )
    names = [case.name for case in cases]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise ValueError(f"duplicate case names: {duplicates}")
    return cases


CASES: tuple[Case, ...] = _collect()
BY_NAME: dict[str, Case] = {case.name: case for case in CASES}

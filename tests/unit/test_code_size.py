"""Keep modules small enough to read in one pass."""

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LIMIT = 400
SOURCES = sorted(
    p
    for folder in ("provider", "models", "runtime", "testkit", "tools", "tests", "bench")
    for p in (ROOT / folder).rglob("*.py")
)


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_module_stays_under_the_size_limit(path: Path):
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= LIMIT, f"{path.relative_to(ROOT)} has {lines} lines; split it by responsibility"

"""A baseline build to measure against in the same run: the plugin tree at an earlier git commit.

Benchmarks compare "before" and "after" side by side on one machine at one time, because these
machines are noisy. `baseline_tree(ref)` exports the tree of `ref` (default: the commit before
the performance work) into a temporary folder; start it with `PluginProcess(plugin_dir=...)`,
using the same virtual environment as the current tree.
"""

from __future__ import annotations

import io
import subprocess
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The last commit before the streaming, token-counting and start-up work of issue 11.
DEFAULT_BASELINE_REF = "d99d4e5"


def baseline_tree(ref: str = DEFAULT_BASELINE_REF) -> Path:
    """The files of `ref`, exported once per process into a temporary folder."""
    target = Path(tempfile.gettempdir()) / f"atlascloud-baseline-{ref}"
    if not (target / "manifest.yaml").exists():
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", ref], check=True, capture_output=True).stdout
        target.mkdir(parents=True, exist_ok=True)
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(target, filter="data")
    return target

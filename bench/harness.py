"""What the benchmarks share: the simulator in its own process, process CPU, percentiles.

The simulator runs as a separate process so that its work never shares a CPU budget (or the
GIL) with the code being measured; the plugin runs as Dify's daemon runs it.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

CLOCK_TICKS = 100  # os.sysconf("SC_CLK_TCK") on Linux


@dataclass(frozen=True)
class SimulatorProcess:
    base_url: str
    api_key: str

    @property
    def credentials(self) -> dict[str, str]:
        return {"api_key": self.api_key, "endpoint_url": self.base_url}


@contextmanager
def simulator(*arguments: str) -> Iterator[SimulatorProcess]:
    """`python -m testkit.simulator ARGUMENTS` for the duration of the block."""
    server = subprocess.Popen(
        [sys.executable, "-m", "testkit.simulator", *arguments], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    try:
        assert server.stdout is not None
        base_url, key = server.stdout.readline().split()
        yield SimulatorProcess(base_url, key)
    finally:
        server.terminate()
        server.wait()


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def percentile(values: Sequence[float], fraction: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")

"""Where the plugin process spends its time on fast streams: a sampling profile, by module.

Run: .venv/bin/python bench/profile_stream.py [--streams 100] [--deltas 2000]
Needs py-spy (`uv pip install py-spy`; not a project dependency) and permission to trace a child
process (the default on Linux for one's own children).

The plugin runs as Dify's daemon runs it (`python -m main`, stdio); the simulator, in its own
process, streams `--deltas` back-to-back deltas per request. py-spy samples the plugin process
only, and each sample is counted against the module of its innermost frame (self time).
"""

from __future__ import annotations

import argparse
import collections
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bench_stream import MODEL, PROMPT
from bench.harness import ROOT, simulator
from testkit.plugin_driver import PluginProcess, llm_request

# Where the innermost frame's file lives (py-spy prints paths from the import root, e.g.
# "httpcore/_sync/http11.py") -> the row it is counted in; first match wins.
ROWS = [
    ("models/llm/dialect.py", "plugin models/llm/dialect.py (JSON chunk -> Piece)"),
    ("models/llm/sse.py", "plugin models/llm/sse.py (SSE framing)"),
    ("models/llm/upstream.py", "plugin models/llm/upstream.py (reader loop)"),
    ("models/", "plugin: answer, stream, think, toolcalls"),
    ("provider/", "plugin provider/ (client, errors, transport)"),
    ("httpx/", "httpx"),
    ("httpcore/", "httpcore"),
    ("h11/", "h11 (HTTP/1.1 parsing)"),
    ("json/", "json (stdlib decode)"),
    ("dify_plugin/", "dify_plugin SDK (serialise + write chunks)"),
    ("pydantic", "pydantic"),
    ("gevent/", "gevent"),
    ("openai/", "openai"),
]
OTHER = "other (stdlib, socket, ssl, interpreter)"


def row_of(frame: str) -> str:
    """`frame` as py-spy writes it: "function (path/to/file.py:line)"."""
    path = frame[frame.rfind("(") + 1 : frame.rfind(":")]
    for prefix, row in ROWS:
        if path.startswith(prefix) or f"/{prefix}" in path:
            return row
    return OTHER


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--streams", type=int, default=100)
    parser.add_argument("--deltas", type=int, default=2000)
    options = parser.parse_args()
    py_spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    output = Path(tempfile.mkdtemp(prefix="profile-stream-")) / "samples.txt"
    with simulator("--stream-deltas", str(options.deltas)) as sim, PluginProcess("local", plugin_dir=ROOT) as plugin:
        request = llm_request(MODEL, sim.credentials, PROMPT)
        assert plugin.request(request).ok  # warm-up: pooled connection, first-use costs
        recorder = subprocess.Popen(
            [py_spy, "record", "--pid", str(plugin.process.pid), "--rate", "500", "--format", "raw",
             "--output", str(output), "--nonblocking"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        time.sleep(1.0)  # py-spy attaches
        for _ in range(options.streams):
            assert plugin.request(request).ok
        recorder.send_signal(2)  # SIGINT: py-spy writes what it has
        recorder.wait(timeout=60)
    counts: collections.Counter[str] = collections.Counter()
    for line in output.read_text().splitlines():
        stack, _, samples = line.rpartition(" ")
        frames = stack.split(";")
        counts[row_of(frames[-1])] += int(samples)
    total = sum(counts.values())
    print(f"{options.streams} streams of {options.deltas} deltas; {total} samples of the plugin process (self time)")
    for row, samples in counts.most_common():
        print(f"{row:52} {samples / total:6.1%}")


if __name__ == "__main__":
    main()

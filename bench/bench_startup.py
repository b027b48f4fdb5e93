"""Start-up: launch to first heartbeat (when Dify's daemon routes requests), and the first request.

Run: .venv/bin/python bench/bench_startup.py [--runs 7] [--baseline d99d4e5]

Three plugins, each started as the daemon starts them (`python -m main`, stdio), in turn:
- a minimal plugin on the same SDK (one provider, one LLM class, nothing imported but the SDK),
- this plugin, and the baseline build.
For this plugin and the baseline, the first request (a streamed chat to the simulator) is timed
to its end, sent the moment the heartbeat arrives (the worst case: a serverless cold start with a
request waiting) and, in separate launches, 2 s later (the usual case: the daemon starts plugins
long before users call them). Work moved off the start-up path must not reappear there.
Medians of --runs launches, all in the same run.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.baseline import DEFAULT_BASELINE_REF, baseline_tree
from bench.harness import ROOT, median, simulator
from tests.plugin_driver import PluginProcess, llm_request

MINIMAL_FILES = {
    "manifest.yaml": """version: 0.0.1
type: plugin
author: bench
name: minimal
label: {en_US: Minimal}
description: {en_US: Minimal}
icon: icon.svg
resource: {memory: 268435456}
plugins: {models: [provider/minimal.yaml]}
meta: {version: 0.0.1, arch: [amd64, arm64], runner: {language: python, version: "3.12", entrypoint: main}}
created_at: 2026-11-27T00:00:00Z
""",
    "main.py": "from dify_plugin import DifyPluginEnv, Plugin\n\nplugin = Plugin(DifyPluginEnv())\n"
    "if __name__ == '__main__':\n    plugin.run()\n",
    "provider/minimal.yaml": """provider: minimal
label: {en_US: Minimal}
icon_small: {en_US: icon.svg}
supported_model_types: [llm]
configurate_methods: [customizable-model]
model_credential_schema:
  model: {label: {en_US: Model}}
  credential_form_schemas: []
extra:
  python: {provider_source: provider/minimal.py, model_sources: [models/llm.py]}
""",
    "provider/minimal.py": "from dify_plugin import ModelProvider\n\n\nclass Minimal(ModelProvider):\n"
    "    def validate_provider_credentials(self, credentials):\n        pass\n",
    "models/llm.py": "from dify_plugin import LargeLanguageModel\n\n\nclass MinimalLLM(LargeLanguageModel):\n"
    "    def _invoke(self, *args, **kwargs):\n        raise NotImplementedError\n\n"
    "    def get_num_tokens(self, *args, **kwargs):\n        return 0\n\n"
    "    def validate_credentials(self, *args, **kwargs):\n        pass\n\n"
    "    @property\n    def _invoke_error_mapping(self):\n        return {}\n",
    "_assets/icon.svg": "<svg xmlns='http://www.w3.org/2000/svg'/>",
}


def minimal_plugin() -> Path:
    folder = Path(tempfile.mkdtemp(prefix="minimal-plugin-"))
    for name, text in MINIMAL_FILES.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)
    return folder


def launch(plugin_dir: Path, first_request: dict | None, wait_s: float = 0.0) -> tuple[float, float | None]:
    """(seconds to the first heartbeat, seconds of the first request sent `wait_s` after it)."""
    started = time.perf_counter()
    with PluginProcess("local", plugin_dir=plugin_dir, extra_env={"HEARTBEAT_INTERVAL": "10"}) as plugin:
        ready = time.perf_counter() - started
        if first_request is None:
            return ready, None
        time.sleep(wait_s)
        sent = time.perf_counter()
        result = plugin.request(first_request)
        assert result.ok, result.error
        return ready, time.perf_counter() - sent


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--baseline", default=DEFAULT_BASELINE_REF)
    options = parser.parse_args()
    builds = {
        "minimal plugin (SDK only)": (minimal_plugin(), False),
        "plugin": (ROOT, True),
        f"baseline {options.baseline}": (baseline_tree(options.baseline), True),
    }
    with simulator() as sim:
        request = llm_request("qwen/qwen3.5-27b", sim.credentials, [{"role": "user", "content": "hi"}])
        results: dict[str, list[tuple[float, float | None]]] = {label: [] for label in builds}
        later: dict[str, list[float]] = {label: [] for label in builds}
        for _ in range(options.runs):  # interleaved, so a noisy moment hits every build alike
            for label, (path, with_request) in builds.items():
                results[label].append(launch(path, request if with_request else None))
                if with_request:
                    later[label].append(launch(path, request, wait_s=2.0)[1] or 0.0)
    print(f"start-up, median of {options.runs} launches each")
    print(f"{'plugin':28} {'first heartbeat s':>18} {'1st request at once ms':>23} {'1st request 2 s later ms':>25}")
    for label, rows in results.items():
        first = [row[1] for row in rows if row[1] is not None]
        at_once = f"{median(first) * 1000:23.0f}" if first else f"{'-':>23}"
        after = f"{median(later[label]) * 1000:25.0f}" if later[label] else f"{'-':>25}"
        print(f"{label:28} {median([row[0] for row in rows]):18.2f} {at_once} {after}")


if __name__ == "__main__":
    main()

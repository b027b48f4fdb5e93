"""Start-up: launch to first heartbeat (when Dify's daemon routes requests), and the first request.

Run: .venv/bin/python bench/bench_startup.py [--runs 7] [--baseline d99d4e5]

Three plugins, each started as the daemon starts them (`python -m main`, stdio), in turn:
- a minimal plugin on the same SDK (one provider, one LLM class, nothing imported but the SDK),
- this plugin, and the baseline build.
For this plugin and the baseline, the first request is timed to its end, each in a launch of its
own: a streamed chat to the simulator and a prompt token count (which Dify's chat apps send before
every call), each sent the moment the heartbeat arrives (the worst case: a request waiting for a
plugin that was just started), and the chat 2 s later (the usual case: the daemon starts plugins
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
from testkit.plugin_driver import PluginProcess, action_request, llm_request

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
        messages = [{"role": "user", "content": "hi"}]
        chat = llm_request("qwen/qwen3.5-27b", sim.credentials, messages)
        # Dify's chat apps count the prompt's tokens before every call (AppRunner.recalc_llm_max_tokens).
        count = action_request(
            "get_llm_num_tokens", "llm", "qwen/qwen3.5-27b", sim.credentials, prompt_messages=messages, tools=None
        )
        first_requests = {"chat at once": (chat, 0.0), "count at once": (count, 0.0), "chat 2 s later": (chat, 2.0)}
        ready: dict[str, list[float]] = {label: [] for label in builds}
        timed: dict[tuple[str, str], list[float]] = {}
        for _ in range(options.runs):  # interleaved, so a noisy moment hits every build alike
            for label, (path, with_request) in builds.items():
                if not with_request:
                    ready[label].append(launch(path, None)[0])
                    continue
                for kind, (request, wait_s) in first_requests.items():
                    heartbeat_s, request_s = launch(path, request, wait_s)
                    if wait_s == 0.0:
                        ready[label].append(heartbeat_s)
                    timed.setdefault((label, kind), []).append(request_s or 0.0)
    print(f"start-up, median of {options.runs} launches each; first request in ms")
    print(f"{'plugin':28} {'first heartbeat s':>18}" + "".join(f" {kind:>15}" for kind in first_requests))
    for label in builds:
        cells = [timed.get((label, kind)) for kind in first_requests]
        figures = "".join(f" {median(cell) * 1000:15.0f}" if cell else f" {'-':>15}" for cell in cells)
        print(f"{label:28} {median(ready[label]):18.2f}{figures}")


if __name__ == "__main__":
    main()

"""tools/sync_catalog.py end to end over HTTP: the real command against the simulator's /v1/models.

The simulator lists AtlasCloud's October 2026 roster with its own numbers (testkit/simulator/catalog.py,
independent of the plugin's files) plus sim/plain-chat, sim/vision-thinker and a not-ready
openai/gpt-4o-mini; the test changes a few entries so that every kind of difference appears.
"""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path

import yaml

from tools.catalog.upstream import USER_AGENT_NAME

ROOT = Path(__file__).resolve().parents[2]


def sync(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "tools/sync_catalog.py", *argv], cwd=ROOT, capture_output=True, text=True, timeout=60
    )


def test_sync_reads_the_simulator_list_and_prints_every_difference(sim, monkeypatch):
    models = dict(sim.state.models)
    del models["zai-org/glm-5.1"]
    models["minimaxai/minimax-m2.7"] = dataclasses.replace(models["minimaxai/minimax-m2.7"], is_ready=False)
    models["deepseek-ai/deepseek-v3.2"] = dataclasses.replace(models["deepseek-ai/deepseek-v3.2"], context=131072)
    kimi = models["moonshotai/kimi-k2.6"]
    models["moonshotai/kimi-k2.6"] = dataclasses.replace(kimi, prices=(kimi.prices[0], "0.0000012"))
    monkeypatch.setattr(sim.state, "models", models)

    result = sync("--endpoint", sim.base_url)
    assert result.returncode == 1, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == f"AtlasCloud model list: 12 entries from {sim.base_url}/models; 10 predefined models shipped."
    added = "  + sim/plain-chat: context 131,072, max output 65,536, input text, 0.3 / 1.2 USD per 1M tokens"
    assert f"{added}, features tools" in lines
    assert "  (1 more listed with is_ready: false and not shipped: ignored)" in lines
    assert "  - zai-org/glm-5.1: not in the list" in lines
    assert "  - minimaxai/minimax-m2.7: listed with is_ready: false" in lines
    assert "  ~ deepseek-ai/deepseek-v3.2  context: 163,840 -> 131,072 tokens  [write]" in lines
    assert "  ~ moonshotai/kimi-k2.6  output price: 4.0 -> 1.2 USD per 1M tokens  [write]" in lines
    assert "  ~ qwen/qwen3.5-27b  max output: 65,536" not in result.stdout, "equal values are not reported"
    # The simulator lists "reasoning" for DeepSeek V4 Flash; the curated file pins it, so no features line.
    assert not [line for line in lines if "features:" in line]
    assert lines[-1] == (
        "Summary: 2 added, 2 removed or not ready, 2 changed values (2 for --write, 0 to review), 0 stale YAMLs."
    )

    (request,) = sim.requests("/v1/models")
    assert request.method == "GET"
    version = yaml.safe_load((ROOT / "manifest.yaml").read_text())["version"]
    assert request.headers["user-agent"] == f"{USER_AGENT_NAME}/{version}"
    assert "authorization" not in request.headers, "the list is public; no key is sent"


def test_saved_body_replays_to_the_same_report(sim, tmp_path):
    saved = tmp_path / "models.json"
    live = sync("--endpoint", sim.base_url.removesuffix("/v1"), "--save", str(saved))
    replay = sync("--snapshot", str(saved))
    assert live.returncode == replay.returncode == 1
    assert live.stdout.splitlines()[1:] == replay.stdout.splitlines()[1:]
    assert replay.stdout.splitlines()[0].endswith(f"entries from {saved}; 10 predefined models shipped.")


def test_an_endpoint_without_the_list_exits_2(sim):
    sim.state.models_listed = False  # reset by the next test's fixture
    result = sync("--endpoint", sim.base_url)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.startswith(f"sync_catalog: error: GET {sim.base_url}/models answered HTTP 401")

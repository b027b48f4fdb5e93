"""tools/sync_catalog.py against a saved AtlasCloud /v1/models body, offline.

tests/data/atlascloud_models_snapshot.json is AtlasCloud's real envelope `{code, msg, data}`
with entries shaped as the roster of 2026-09-29 (juspay/neurolink atlas-cloud.json: context,
max output, quantization, input_modalities, supported_features, per-token prices) and
models.dev's AtlasCloud prices for the extra models. `supported_apis` values are illustrative.
Deliberate differences from the shipped catalog: DeepSeek V3.2 input 0.27, GLM-5.3 context
524,288, Kimi K2.6 output 4.5, Qwen3 235B Instruct max output 65,536, Qwen3.5 27B without
structured_outputs, DeepSeek V4 Pro with image input and no max_output_length, MiniMax M2.7
`is_ready: false`, GLM-5.1 absent; three new ready models and two not ready. DeepSeek V4
Flash lacks "reasoning" exactly as the real roster does; the curated file pins it.
"""

from __future__ import annotations

import json
import shutil
import socket
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from tools.build_catalog import CURATED, render
from tools.catalog.curated import load_catalog
from tools.catalog.upstream import per_million
from tools.sync_catalog import main

ROOT = Path(__file__).resolve().parents[2]
SNAPSHOT = ROOT / "tests" / "data" / "atlascloud_models_snapshot.json"

EXPECTED = f"""\
AtlasCloud model list: 14 entries from {SNAPSHOT}; 10 predefined models shipped.

Added upstream (ready, not shipped; add to tools/catalog/curated.yaml by hand to ship one):
  + deepseek-ai/deepseek-v4-flash-0731: context 1,048,576, max output 393,216, input text, 0.44 / 1.32 USD per 1M tokens, features reasoning
  + qwen/qwen3.5-flash: context 1,000,000, max output 67,072, input text, 0.1 / 0.4 USD per 1M tokens, features reasoning, tools
  + zai-org/glm-5.3-flash: context 1,048,576, max output 131,072, input text, 0.15 / 0.5 USD per 1M tokens, features reasoning
  (2 more listed with is_ready: false and not shipped: ignored)

Removed or not ready upstream (shipped; remove by hand if it stays so):
  - zai-org/glm-5.1: not in the list
  - minimaxai/minimax-m2.7: listed with is_ready: false

Changed ([write]: --write rewrites it; [review]: curated, check the evidence and edit by hand):
  ~ deepseek-ai/deepseek-v3.2  input price: 0.26 -> 0.27 USD per 1M tokens  [write]
  ~ deepseek-ai/deepseek-v4-pro  vision: no -> yes (input_modalities: text, image)  [review]
  ~ zai-org/glm-5.3  context: 1,048,576 -> 524,288 tokens  [write]
  ~ moonshotai/kimi-k2.6  output price: 4.0 -> 4.5 USD per 1M tokens  [write]
  ~ qwen/qwen3.5-27b  features: json_mode, reasoning, structured_outputs, tools -> json_mode, reasoning, tools (-structured_outputs)  [review]
  ~ Qwen/Qwen3-235B-A22B-Instruct-2507  max output: 131,072 -> 65,536 tokens  [write]

Not given by the list (shipped value kept):
  ? deepseek-ai/deepseek-v4-pro  no usable max_output_length

Summary: 3 added, 2 removed or not ready, 6 changed values (4 for --write, 2 to review), 0 stale YAMLs.
"""  # noqa: E501


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A throwaway copy of what the sync reads and writes: the curated file and the model YAMLs."""
    (tmp_path / CURATED).parent.mkdir(parents=True)
    shutil.copy(ROOT / CURATED, tmp_path / CURATED)
    for folder in ("llm", "rerank"):
        (tmp_path / "models" / folder).mkdir(parents=True)
        for path in (ROOT / "models" / folder).glob("*.yaml"):
            shutil.copy(path, tmp_path / "models" / folder / path.name)
    return tmp_path


def yaml_files(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): p.read_text(encoding="utf-8")
        for folder in ("llm", "rerank")
        for p in (root / "models" / folder).glob("*.yaml")
    }


def listing_of_the_shipped_catalog() -> list[dict]:
    """What /v1/models would say if nothing had changed since the catalog was curated."""
    entries = []
    for model in load_catalog(ROOT / CURATED).models:
        features = [f for f in model.features if f not in model.pinned_features]
        entries.append(
            {
                "id": model.id,
                "context_length": model.context_size,
                "max_output_length": model.max_output,
                "input_modalities": ["text", "image"] if model.vision else ["text"],
                "supported_features": features,
                "pricing": {
                    "prompt": str(Decimal(model.input_price) / 1_000_000),
                    "completion": str(Decimal(model.output_price) / 1_000_000),
                },
            }
        )
    return entries


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_snapshot_diff_lists_added_removed_and_changed_models_exactly(capsys, project):
    code, out, err = run(capsys, "--snapshot", str(SNAPSHOT), "--root", str(project))
    assert (code, err) == (1, "")
    assert out == EXPECTED


def test_write_rewrites_only_the_proven_numbers_and_keeps_curated_fields(capsys, project):
    curated_before = (project / CURATED).read_text(encoding="utf-8")
    yamls_before = yaml_files(project)

    code, out, _ = run(capsys, "--snapshot", str(SNAPSHOT), "--root", str(project), "--write")
    assert code == 1, "differences were found, even though some were written"
    assert out.startswith(EXPECTED)
    assert out.endswith("Wrote 4 numbers to tools/catalog/curated.yaml and regenerated 5 YAML file(s); "
                        "the [review] items, added and removed models are left for you.\n")  # fmt: skip

    # The curated file: exactly four lines changed, comments and evidence untouched.
    curated_after = (project / CURATED).read_text(encoding="utf-8")
    changed = [(a, b) for a, b in zip(curated_before.splitlines(), curated_after.splitlines(), strict=True) if a != b]
    assert changed == [
        ('    input_price: "0.26"', '    input_price: "0.27"'),
        ("    context_size: 1048576", "    context_size: 524288"),
        ('    output_price: "4.0"', '    output_price: "4.5"'),
        ("    max_output: 131072", "    max_output: 65536"),
    ]
    before, after = yaml.safe_load(curated_before), yaml.safe_load(curated_after)
    synced = {"context_size", "max_output", "input_price", "output_price"}
    for old, new in zip(before["models"], after["models"], strict=True):
        assert {k: v for k, v in old.items() if k not in synced} == {k: v for k, v in new.items() if k not in synced}
    assert {k: v for k, v in before.items() if k != "models"} == {k: v for k, v in after.items() if k != "models"}

    # The YAMLs: the same set of models (none added or removed), regenerated from the new numbers.
    yamls_after = yaml_files(project)
    assert set(yamls_after) == set(yamls_before)
    assert sorted(p for p in yamls_after if yamls_after[p] != yamls_before[p]) == [
        "models/llm/Qwen__Qwen3-235B-A22B-Instruct-2507.yaml",
        "models/llm/deepseek-ai__deepseek-v3.2.yaml",
        "models/llm/moonshotai__kimi-k2.6.yaml",
        "models/llm/zai-org__glm-5.3.yaml",
        "models/rerank/deepseek-ai__deepseek-v3.2.yaml",
    ]
    assert yamls_after == {p.as_posix(): text for p, text in render(load_catalog(project / CURATED)).items()}
    glm = yaml.safe_load(yamls_after["models/llm/zai-org__glm-5.3.yaml"])
    assert glm["model_properties"]["context_size"] == 524288
    qwen = yaml.safe_load(yamls_after["models/llm/Qwen__Qwen3-235B-A22B-Instruct-2507.yaml"])
    assert next(r for r in qwen["parameter_rules"] if r["name"] == "max_tokens")["max"] == 65536
    kimi = yaml.safe_load(yamls_after["models/llm/moonshotai__kimi-k2.6.yaml"])
    assert kimi["pricing"]["output"] == "4.5" and kimi["atlascloud"]["image_tokens"]["patch_px"] == 28
    ranker = yaml.safe_load(yamls_after["models/rerank/deepseek-ai__deepseek-v3.2.yaml"])
    assert ranker["pricing"]["input"] == "0.27" and ranker["atlascloud"]["ranker"]["disable_thinking"] is True

    # A second run has nothing left to write; what needs a person is still listed.
    code, out, _ = run(capsys, "--snapshot", str(SNAPSHOT), "--root", str(project))
    assert code == 1 and "(0 for --write, 2 to review)" in out
    assert not [line for line in out.splitlines() if line.endswith("[write]")]
    assert "  - zai-org/glm-5.1: not in the list" in out and "  + qwen/qwen3.5-flash:" in out
    assert len([line for line in out.splitlines() if line.endswith("[review]")]) == 2


def test_a_listing_that_matches_the_catalog_is_in_sync(capsys, project, tmp_path):
    snapshot = tmp_path / "same.json"
    snapshot.write_text(json.dumps({"code": 200, "msg": "success", "data": listing_of_the_shipped_catalog()}))
    code, out, _ = run(capsys, "--snapshot", str(snapshot), "--root", str(project), "--write")
    assert code == 0
    assert out.splitlines()[1] == (
        "In sync: all 10 predefined models are listed, ready, and match tools/catalog/curated.yaml."
    )
    assert (project / CURATED).read_text(encoding="utf-8") == (ROOT / CURATED).read_text(encoding="utf-8")


def test_openai_plain_list_envelope_is_read_like_atlascloud_envelope(capsys, project, tmp_path):
    data = json.loads(SNAPSHOT.read_text())["data"]
    plain = tmp_path / "openai.json"
    plain.write_text(json.dumps({"object": "list", "data": data}))
    code, out, _ = run(capsys, "--snapshot", str(plain), "--root", str(project))
    assert code == 1
    assert out == EXPECTED.replace(str(SNAPSHOT), str(plain))


def test_stale_yaml_is_reported_and_write_regenerates_it(capsys, project, tmp_path):
    snapshot = tmp_path / "same.json"
    snapshot.write_text(json.dumps({"code": 200, "data": listing_of_the_shipped_catalog()}))
    edited = project / "models" / "llm" / "zai-org__glm-5.1.yaml"
    original = edited.read_text(encoding="utf-8")
    edited.write_text(original.replace("context_size: 202752", "context_size: 1000"), encoding="utf-8")
    (project / "models" / "llm" / "someone__left-over.yaml").write_text("model: someone/left-over\n")

    code, out, _ = run(capsys, "--snapshot", str(snapshot), "--root", str(project))
    assert code == 1
    assert "  ! models/llm/someone__left-over.yaml\n  ! models/llm/zai-org__glm-5.1.yaml\n" in out
    code, out, _ = run(capsys, "--snapshot", str(snapshot), "--root", str(project), "--write")
    assert code == 1 and "Wrote 0 numbers" in out and "regenerated 2 YAML file(s)" in out
    assert edited.read_text(encoding="utf-8") == original
    assert not (project / "models" / "llm" / "someone__left-over.yaml").exists()
    assert run(capsys, "--snapshot", str(snapshot), "--root", str(project))[0] == 0


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"<html>Cloudflare error 1010</html>", "the model list is not JSON"),
        (b'{"code": 401, "msg": "unauthorized", "data": []}', "AtlasCloud answered code 401: unauthorized"),
        (b'{"code": 200, "msg": "success", "data": null}', "the model list has no `data` array"),
    ],
)
def test_unreadable_lists_exit_2_with_the_reason(capsys, project, tmp_path, body, message):
    snapshot = tmp_path / "bad.json"
    snapshot.write_bytes(body)
    code, out, err = run(capsys, "--snapshot", str(snapshot), "--root", str(project))
    assert (code, out) == (2, "")
    assert err.startswith("sync_catalog: error: ") and message in err


def test_missing_snapshot_and_broken_curated_file_exit_2(capsys, project, tmp_path):
    code, _, err = run(capsys, "--snapshot", str(tmp_path / "absent.json"), "--root", str(project))
    assert code == 2 and "cannot read snapshot" in err
    text = (project / CURATED).read_text(encoding="utf-8")
    (project / CURATED).write_text(text.replace('input_price: "0.26"', "input_price: 0.26"), encoding="utf-8")
    code, _, err = run(capsys, "--snapshot", str(SNAPSHOT), "--root", str(project), "--write")
    assert code == 2
    assert 'deepseek-ai/deepseek-v3.2: input_price must be a positive decimal string such as "0.26"' in err


@pytest.mark.parametrize(
    ("per_token", "per_1m"),
    [
        ("0.00000026", Decimal("0.26")),
        ("0.000000028", Decimal("0.028")),
        ("0.0000045", Decimal("4.5")),
        ("2.75e-7", Decimal("0.275")),
        (1.1e-06, Decimal("1.1")),  # a JSON number goes through its shortest repr, never binary float maths
        ("0", Decimal(0)),
        ("free", None),
        ("-0.000001", None),
        (None, None),
    ],
)
def test_per_token_prices_convert_exactly(per_token, per_1m):
    result = per_million(per_token)
    assert result == per_1m
    if per_1m is not None:
        assert str(result.normalize()) == str(per_1m.normalize())


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.parametrize(
    ("endpoint", "message"),
    [
        ("ftp://api.atlascloud.ai", "must start with https://"),
        (f"http://127.0.0.1:{_closed_port()}", "failed: ConnectError"),
    ],
)
def test_unusable_endpoints_exit_2(capsys, project, endpoint, message):
    code, out, err = run(capsys, "--endpoint", endpoint, "--root", str(project))
    assert (code, out) == (2, "")
    assert err.startswith("sync_catalog: error: ") and message in err

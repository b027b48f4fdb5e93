"""The .difypkg is self-contained: unpacked alone, it starts and serves like the checkout, both
with the development environment (what `uv sync --frozen` gives) and with a fresh environment
installed from the package's requirements.txt, the daemon's path when PIP_MIRROR_URL is set
(dify-plugin-daemon internal/core/local_runtime/setup_python_environment.go: `uv venv .venv
--python 3.12`, then `uv pip install -r requirements.txt` with VIRTUAL_ENV set)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest
import yaml

from testkit.plugin_driver import PluginProcess, action_request, llm_request
from tools.package import build, uv_binary

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def unpacked(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("pkg")
    package = build(folder)
    with zipfile.ZipFile(package) as archive:
        names = archive.namelist()
        archive.extractall(folder / "plugin")
    assert "models/vision_utils/data/cl100k_base.tiktoken" in names
    assert {"manifest.yaml", "main.py", "pyproject.toml", "uv.lock", "PRIVACY.md", "_assets/icon.svg"} <= set(names)
    assert "requirements.txt" in names
    assert not [
        n for n in names if n.startswith(("tests/", "testkit/", "docs/", "bench/", "tools/", ".venv/", ".git/"))
    ]
    assert not [n for n in names if "__pycache__" in n or n == ".env"]
    return folder / "plugin"


@pytest.fixture(scope="module")
def requirements_venv(unpacked: Path) -> Path:
    """The daemon's requirements.txt install, into the unpacked plugin's own .venv."""
    # The Python running the tests is 3.12; put it first so `--python 3.12` finds it, not a shim.
    base_bin = Path(sys.base_prefix) / "bin"
    env = {**os.environ, "PATH": f"{base_bin}{os.pathsep}{os.environ['PATH']}", "UV_PYTHON_DOWNLOADS": "never"}
    env.pop("VIRTUAL_ENV", None)
    uv = uv_binary()
    for command in (["venv", ".venv", "--python", "3.12"], ["pip", "install", "-r", "requirements.txt"]):
        done = subprocess.run([uv, *command], cwd=unpacked, env=env, capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, f"uv {' '.join(command)}: {done.stderr[-2000:]}"
        env["VIRTUAL_ENV"] = str(unpacked / ".venv")
    return unpacked / ".venv" / "bin" / "python"


def test_requirements_are_the_locked_runtime_dependencies(unpacked):
    """What Dify's packager exports: pinned versions from uv.lock, no dev group, no project, no hashes."""
    lines = [line for line in (unpacked / "requirements.txt").read_text().splitlines() if line.strip()]
    pins = dict(line.split(" ;")[0].split("==") for line in lines)
    locked = {p["name"]: p["version"] for p in tomllib.loads((ROOT / "uv.lock").read_text())["package"]}
    assert {"dify-plugin", "pillow", "pillow-heif", "httpx", "tiktoken", "pydantic"} <= set(pins)
    assert all(locked[name] == version for name, version in pins.items())
    assert not {"pytest", "ruff", "hypothesis", "pathspec", "openai"} & set(pins), "dev dependencies stay out"
    assert not [line for line in lines if "--hash" in line or line.startswith(("-e", "#", "."))]


def test_package_keeps_the_model_order_files_it_names(unpacked):
    provider = yaml.safe_load((unpacked / "provider" / "atlascloud.yaml").read_text())
    for model_type in ("llm", "rerank"):
        order = yaml.safe_load((unpacked / provider["models"][model_type]["position"]).read_text())
        assert order == yaml.safe_load((ROOT / "models" / model_type / "_position.yaml").read_text())


def _serves(plugin: PluginProcess, creds: dict[str, str]) -> None:
    assert plugin.request(action_request("validate_provider_credentials", "llm", None, creds)).ok
    chat = plugin.request(llm_request("qwen/qwen3.5-27b", creds, [{"role": "user", "content": "hi"}]))
    assert chat.ok and chat.text().endswith("You said: hi.")
    tokens = plugin.request(
        action_request("get_llm_num_tokens", "llm", "qwen/qwen3.5-27b", creds,
                       prompt_messages=[{"role": "user", "content": "hello world"}], tools=None)
    ).single()  # fmt: skip
    assert tokens["num_tokens"] == 2 + 4 + 3
    # The provider YAML (with its `position:` keys) loaded; predefined schemas come from the package.
    schema = plugin.request(action_request("get_ai_model_schemas", "llm", "moonshotai/kimi-k2.6", creds)).single()
    assert schema["model_schema"]["model"] == "moonshotai/kimi-k2.6"
    assert "vision" in schema["model_schema"]["features"]
    ranker = plugin.request(action_request("get_ai_model_schemas", "rerank", "qwen/qwen3.5-27b", creds)).single()
    assert ranker["model_schema"]["model_properties"]["context_size"] == 262144


def test_unpacked_package_serves_chat_tokens_and_validation(unpacked, sim, creds):
    with PluginProcess("local", plugin_dir=unpacked) as plugin:
        _serves(plugin, creds)


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def test_package_installed_from_requirements_txt_serves(unpacked, requirements_venv, sim, creds):
    # Every direct dependency of pyproject.toml is in the fresh environment, at its uv.lock version.
    show = "import json, importlib.metadata as m; print(json.dumps({d.name: d.version for d in m.distributions()}))"
    out = subprocess.run([requirements_venv, "-c", show], capture_output=True, text=True, check=True).stdout
    installed = {_normal(name): version for name, version in json.loads(out).items()}
    lock = tomllib.loads((ROOT / "uv.lock").read_text())["package"]
    locked = {_normal(p["name"]): p["version"] for p in lock}
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    for requirement in project:
        name = _normal(re.match(r"[A-Za-z0-9_.-]+", requirement).group())
        assert installed.get(name) == locked[name], f"{name} is not installed from requirements.txt"
    with PluginProcess("local", plugin_dir=unpacked, python=str(requirements_venv)) as plugin:
        _serves(plugin, creds)
        assert plugin.process.args[0] == str(requirements_venv)

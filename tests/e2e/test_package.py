"""The .difypkg is self-contained: unpacked alone, it starts and serves like the checkout."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from tests.plugin_driver import PluginProcess, action_request, llm_request
from tools.package import build


@pytest.fixture(scope="module")
def unpacked(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("pkg")
    package = build(folder)
    with zipfile.ZipFile(package) as archive:
        names = archive.namelist()
        archive.extractall(folder / "plugin")
    assert "models/vision_utils/data/cl100k_base.tiktoken" in names
    assert {"manifest.yaml", "main.py", "pyproject.toml", "uv.lock", "PRIVACY.md", "_assets/icon.svg"} <= set(names)
    assert not [n for n in names if n.startswith(("tests/", "bench/", "tools/", ".venv/", ".git/"))]
    assert not [n for n in names if "__pycache__" in n or n == ".env"]
    return folder / "plugin"


def test_unpacked_package_serves_chat_tokens_and_validation(unpacked, sim, creds):
    with PluginProcess("local", plugin_dir=unpacked) as plugin:
        assert plugin.request(action_request("validate_provider_credentials", "llm", None, creds)).ok
        chat = plugin.request(llm_request("qwen/qwen3.5-27b", creds, [{"role": "user", "content": "hi"}]))
        assert chat.ok and chat.text().endswith("You said: hi.")
        tokens = plugin.request(
            action_request("get_llm_num_tokens", "llm", "qwen/qwen3.5-27b", creds,
                           prompt_messages=[{"role": "user", "content": "hello world"}], tools=None)
        ).single()  # fmt: skip
        assert tokens["num_tokens"] == 2 + 4 + 3

"""Helpers shared by the voice end-to-end tests: plugin processes that poll quickly, requests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from testkit.plugin_driver import PluginProcess, SessionResult, action_request

AUDIO = Path(__file__).resolve().parents[1] / "data" / "audio"
# The simulator's jobs take AtlasCloud's times x 0.01 by default: polls every 50 ms see them end.
FAST_POLLS = {"ATLASCLOUD_POLL_INTERVAL_S": "0.05"}


def voice_plugin(request: pytest.FixtureRequest, extra_env: dict[str, str] | None = None) -> Iterator[PluginProcess]:
    process = PluginProcess(request.param, extra_env={**FAST_POLLS, **(extra_env or {})})
    yield process
    process.stop()


def tts(plugin: PluginProcess, creds: dict[str, Any], text: str, model: str = "xai/tts-v1", voice: str = "eve",
        **kwargs: Any) -> SessionResult:  # fmt: skip
    payload = action_request("invoke_tts", "tts", model, creds, content_text=text, voice=voice, tenant_id="t-1")
    return plugin.request(payload, **kwargs)


def transcribe(plugin: PluginProcess, creds: dict[str, Any], audio: bytes, model: str = "xai/stt-v1",
               timeout: float = 120) -> SessionResult:  # fmt: skip
    payload = action_request("invoke_speech2text", "speech2text", model, creds, file=audio.hex())
    return plugin.request(payload, timeout=timeout)


def billed_paths(sim: Any) -> list[str]:
    """Requests that cost money or store data: submits, uploads, completions."""
    return [
        r.path
        for r in sim.requests()
        if r.method == "POST" and r.path.endswith(("/generateAudio", "/uploadMedia", "/chat/completions"))
    ]

"""Shared fixtures: the AtlasCloud simulator and plugin processes in both transports."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.plugin_driver import PluginProcess  # noqa: E402
from tests.replay.server import ReplayServer  # noqa: E402
from tests.simulator.server import Simulator  # noqa: E402


@pytest.fixture(scope="session")
def sim() -> Iterator[Simulator]:
    simulator = Simulator().start()
    yield simulator
    simulator.stop()


@pytest.fixture(autouse=True)
def _fresh_sim(request: pytest.FixtureRequest) -> None:
    if "sim" in request.fixturenames:
        request.getfixturevalue("sim").reset()


@pytest.fixture(scope="module", params=["local", "serverless"])
def plugin(request: pytest.FixtureRequest) -> Iterator[PluginProcess]:
    process = PluginProcess(request.param)
    yield process
    process.stop()


@pytest.fixture
def creds(sim: Simulator) -> dict[str, str]:
    return {"api_key": sim.state.api_key, "endpoint_url": sim.base_url}


@pytest.fixture(scope="module")
def replay() -> Iterator[ReplayServer]:
    """Serves recorded-style transcripts byte for byte (tests/replay/server.py)."""
    with ReplayServer() as server:
        yield server


@pytest.fixture(scope="module")
def local_plugin() -> Iterator[PluginProcess]:
    """One stdio plugin process for the module."""
    process = PluginProcess("local")
    yield process
    process.stop()

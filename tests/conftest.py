"""Shared fixtures: the AtlasCloud simulator and plugin processes in both transports."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from provider.settings import settings  # noqa: E402
from runtime.logs import set_levels  # noqa: E402
from runtime.startup import configure_converter  # noqa: E402
from testkit.plugin_driver import PluginProcess  # noqa: E402
from testkit.replay_server import ReplayServer  # noqa: E402
from testkit.simulator.server import Simulator  # noqa: E402


def pytest_configure(config: pytest.Config) -> None:
    """In-process tests get the plugin's process settings as `python -m main` makes them
    (runtime/startup.py), but not its log handler, which writes to stdout."""
    configure_converter()
    set_levels()


@pytest.fixture(scope="session")
def sim() -> Iterator[Simulator]:
    simulator = Simulator().start()
    yield simulator
    simulator.stop()


@pytest.fixture(autouse=True)
def _settings_from_this_tests_environment() -> Iterator[None]:
    """The plugin reads its environment once per process; a test that sets a variable gets it read again."""
    settings.cache_clear()
    yield
    settings.cache_clear()


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
    """Serves recorded-style transcripts byte for byte (testkit/replay_server.py)."""
    with ReplayServer() as server:
        yield server


@pytest.fixture(scope="module")
def local_plugin() -> Iterator[PluginProcess]:
    """One stdio plugin process for the module."""
    process = PluginProcess("local")
    yield process
    process.stop()

"""Fixtures of the replay suite: one replay server and one stdio plugin process per module."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.plugin_driver import PluginProcess
from tests.replay.server import ReplayServer


@pytest.fixture(scope="module")
def replay() -> Iterator[ReplayServer]:
    with ReplayServer() as server:
        yield server


@pytest.fixture(scope="module")
def local_plugin() -> Iterator[PluginProcess]:
    process = PluginProcess("local")
    yield process
    process.stop()

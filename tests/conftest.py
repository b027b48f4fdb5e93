"""Shared fixtures: the AtlasCloud simulator and plugin processes in both transports."""

from __future__ import annotations

import contextlib
import os
import sys
import threading
import time
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


# How long the session's end waits for threads and child processes that are finishing anyway.
LEFTOVER_GRACE_S = 10.0


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """A run whose tests left a non-daemon thread or a child process running fails here, by name,
    instead of keeping pytest alive after its last test (interpreter exit joins such threads)."""
    leftovers = _leftovers(time.monotonic() + LEFTOVER_GRACE_S)
    if leftovers:
        session.config.get_terminal_writer().line("left running after the last test: " + ", ".join(leftovers), red=True)
        for pid in _child_pids():
            _kill(pid)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
        session.config.stash[_EXIT_NOW] = True


_EXIT_NOW = pytest.StashKey[bool]()


def pytest_unconfigure(config: pytest.Config) -> None:
    """A leftover thread cannot be stopped, and interpreter exit would wait for it: leave at once."""
    if config.stash.get(_EXIT_NOW, False):
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(pytest.ExitCode.TESTS_FAILED)


def _leftovers(give_up_at: float) -> list[str]:
    while True:
        threads = [
            thread
            for thread in threading.enumerate()
            if thread is not threading.main_thread() and not thread.daemon and thread.is_alive()
        ]
        children = _child_pids()
        if not (threads or children) or time.monotonic() >= give_up_at:
            break
        for thread in threads:
            thread.join(timeout=0.1)
        if not threads:
            time.sleep(0.1)
    return [f"thread {thread.name!r}" for thread in threads] + [
        f"process {pid} ({_command_of(pid)})" for pid in children
    ]


def _child_pids() -> list[int]:
    """Running (not zombie) children of this process, read from /proc (Linux)."""
    pids: list[int] = []
    for task in Path(f"/proc/{os.getpid()}/task").glob("*/children"):
        for pid in task.read_text().split():
            if _state_of(int(pid)) not in ("Z", "X", ""):
                pids.append(int(pid))
    return pids


def _state_of(pid: int) -> str:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return ""
    return stat.rsplit(")", 1)[1].split()[0]


def _command_of(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")[:80]
    except OSError:
        return "?"


def _kill(pid: int) -> None:
    with contextlib.suppress(OSError):
        os.kill(pid, 9)


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

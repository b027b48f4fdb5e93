"""runtime/startup.py and runtime/logs.py: what `python -m main` changes in its process, in order,
and that the plugin's log lines reach the daemon through the SDK's handler, once, at INFO."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from dify_plugin.config.logger_format import plugin_logger_handler

from runtime import logs, startup


@pytest.fixture
def package_loggers() -> Iterator[list[logging.Logger]]:
    """The plugin's package loggers, restored afterwards (handlers and levels)."""
    loggers = [logging.getLogger(package) for package in ("provider", "models", "runtime")]
    saved = [(logger.level, list(logger.handlers)) for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.NOTSET)
        logger.handlers = [h for h in logger.handlers if h is not plugin_logger_handler]
    yield loggers
    for logger, (level, handlers) in zip(loggers, saved, strict=True):
        logger.setLevel(level)
        logger.handlers = handlers


def test_each_package_logs_at_info_through_the_sdks_handler_once(package_loggers):
    logs.send_to_daemon()
    logs.send_to_daemon()  # a second start-up step must not double every line
    for logger in package_loggers:
        assert logger.level == logging.INFO
        assert logger.handlers.count(plugin_logger_handler) == 1
    assert logging.getLogger("provider.media").getEffectiveLevel() == logging.INFO


def test_set_levels_only_sets_the_level(package_loggers):
    logs.set_levels()
    assert [logger.level for logger in package_loggers] == [logging.INFO] * 3
    assert all(plugin_logger_handler not in logger.handlers for logger in package_loggers)


class Plugin:
    def __init__(self, steps: list[str]) -> None:
        self.steps = steps

    def run(self) -> None:
        self.steps.append("run")


def started(monkeypatch: pytest.MonkeyPatch, patched: bool) -> list[str]:
    """The steps `start` took, in order, with the stdin reader's patch succeeding or not."""
    steps: list[str] = []

    def reader(filter_class: type) -> bool:
        steps.append(f"stdin reader with {filter_class.__name__}")
        return patched

    monkeypatch.setattr(startup, "configure_process", lambda: steps.append("configure"))
    monkeypatch.setattr(startup, "read_requests_in_larger_pieces", reader)
    monkeypatch.setattr(startup, "warm_up", lambda: steps.append("warm up"))
    startup.start(Plugin(steps))  # type: ignore[arg-type]
    return steps


def test_start_configures_patches_stdin_warms_up_then_runs_the_sdk_loop(monkeypatch, caplog):
    caplog.set_level(logging.WARNING, logger="runtime")
    steps = started(monkeypatch, patched=True)
    assert steps == ["configure", "stdin reader with ImageHeadersForCounts", "warm up", "run"]
    assert caplog.records == []


def test_an_sdk_without_the_expected_stdin_reader_is_logged_and_the_plugin_still_runs(monkeypatch, caplog):
    caplog.set_level(logging.WARNING, logger="runtime")
    steps = started(monkeypatch, patched=False)
    assert steps[-1] == "run"
    assert [(r.name, r.levelname, r.getMessage()) for r in caplog.records] == [
        (
            "runtime.startup",
            "WARNING",
            "the SDK's stdin reader is not the one this plugin patches; large requests are read the SDK's way",
        )
    ]

"""How the plugin runs its reader process, tested in this process with the process itself faked:
the command and limits it starts it with, how an exit status or an answer becomes what the user
reads, and the turns readers take. The real process (limits enforced, hostile files, the gevent hub
kept running) is tested in test_document_reader_process.py."""

from __future__ import annotations

import logging
import signal
import subprocess
import sys
from typing import Any

import pytest

from models.vision_utils.document import reader
from models.vision_utils.document.protocol import ReaderError, pack, unpack
from models.vision_utils.document.reader import ReaderLimits, run_reader
from provider.errors.tree import DocumentError, InstallError


class FakeRun:
    """subprocess.run for the reader: records the call and answers as told."""

    def __init__(self, returncode: int = 0, stdout: bytes = b"", stderr: bytes = b"", timeout: bool = False) -> None:
        self.result = (returncode, stdout, stderr)
        self.timeout = timeout
        self.calls: list[tuple[list[str], dict[str, Any]]] = []

    def __call__(self, command: list[str], **options: Any) -> subprocess.CompletedProcess:
        self.calls.append((command, options))
        if self.timeout:
            raise subprocess.TimeoutExpired(command, options["timeout"])
        returncode, stdout, stderr = self.result
        return subprocess.CompletedProcess(command, returncode, stdout, stderr)


def fake(monkeypatch: pytest.MonkeyPatch, **answer: Any) -> FakeRun:
    run = FakeRun(**answer)
    monkeypatch.setattr(reader.subprocess, "run", run)
    return run


def test_the_reader_is_started_isolated_with_its_limits_and_given_the_job(monkeypatch: pytest.MonkeyPatch):
    run = fake(monkeypatch, stdout=pack({"ok": True, "pages": []}, [b"img"]))
    answer = run_reader({"op": "read"}, b"document", ReaderLimits(memory_mb=300, timeout_s=2.5))
    [(command, options)] = run.calls
    assert command == [sys.executable, "-I", str(reader.WORKER), "300", "3"]
    assert options == {"input": pack({"op": "read"}, [b"document"]), "capture_output": True, "timeout": 4.5}
    assert unpack(options["input"]) == ({"op": "read", "blobs": [8]}, [b"document"])
    assert answer.header == {"ok": True, "pages": [], "blobs": [3]} and answer.blobs == [b"img"]
    assert 0 <= answer.seconds < 5


def test_the_worker_is_the_module_next_to_the_reader():
    assert reader.WORKER.name == "worker.py" and reader.WORKER.parent.name == "document"


def test_a_reader_past_its_wall_clock_is_a_timeout(monkeypatch: pytest.MonkeyPatch):
    fake(monkeypatch, timeout=True)
    with pytest.raises(ReaderError) as caught:
        run_reader({}, b"", ReaderLimits(timeout_s=12.4))
    assert caught.value.kind == "timeout"
    assert caught.value.message == "reading it takes longer than the 12 s a document may take"


@pytest.mark.parametrize(
    ("returncode", "stderr", "message"),
    [
        (-signal.SIGXCPU, b"", "reading it takes longer than the 60 s a document may take"),
        (-signal.SIGKILL, b"", "reading it takes longer than the 60 s a document may take"),
        (-signal.SIGABRT, b"", "reading it needs more than the 256 MB of memory a document may use"),
        (1, b"Traceback...\nMemoryError\n", "reading it needs more than the 256 MB of memory a document may use"),
        (1, b"MemoryError" + b"." * 1989, "reading it needs more than the 256 MB of memory a document may use"),
        (1, b"MemoryError" + b"." * 1990, "the reader stopped on it (it may be damaged, or built to break readers)"),
        (-signal.SIGSEGV, b"", "the reader stopped on it (it may be damaged, or built to break readers)"),
    ],
)
def test_a_reader_that_dies_is_a_limit_refusal_saying_which(
    monkeypatch: pytest.MonkeyPatch, returncode: int, stderr: bytes, message: str
):
    fake(monkeypatch, returncode=returncode, stderr=stderr)
    with pytest.raises(ReaderError) as caught:
        run_reader({}, b"", ReaderLimits())
    assert (caught.value.kind, caught.value.message) == ("limit", message)


def test_how_a_reader_died_goes_to_the_log(monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture):
    fake(monkeypatch, returncode=-9, stderr=b"x" * 400 + b"\nfirst line\n  last line  \n")
    with caplog.at_level(logging.INFO, logger=reader.__name__), pytest.raises(ReaderError):
        run_reader({}, b"", ReaderLimits())
    [record] = [r for r in caplog.records if r.name == reader.__name__]
    assert record.getMessage().startswith("document reader exited with -9 after ")
    assert record.getMessage().endswith(" s: ['  last line']")


def test_a_reader_that_dies_silently_logs_no_tail(monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture):
    fake(monkeypatch, returncode=1, stderr=b"")
    with caplog.at_level(logging.INFO, logger=reader.__name__), pytest.raises(ReaderError):
        run_reader({}, b"", ReaderLimits())
    assert caplog.records[-1].getMessage().endswith(" s: ")


def test_an_answer_not_in_the_format_is_the_readers_fault(monkeypatch: pytest.MonkeyPatch):
    fake(monkeypatch, stdout=b"\x00\x00")
    with pytest.raises(ReaderError) as caught:
        run_reader({}, b"", ReaderLimits())
    assert caught.value.kind == "internal"
    assert caught.value.message == "the reader's answer is unreadable (the message is shorter than its length prefix)"


@pytest.mark.parametrize(
    ("header", "kind", "message"),
    [
        ({"ok": False, "kind": "password", "message": "it is locked"}, "password", "it is locked"),
        ({"ok": False}, "None", "None"),
        ({"kind": "damaged", "message": "no ok"}, "damaged", "no ok"),
    ],
)
def test_a_refusal_in_the_answer_is_raised_as_a_reader_error(
    monkeypatch: pytest.MonkeyPatch, header: dict, kind: str, message: str
):
    fake(monkeypatch, stdout=pack(header))
    with pytest.raises(ReaderError) as caught:
        run_reader({}, b"", ReaderLimits())
    assert (caught.value.kind, caught.value.message) == (kind, message)


def test_a_reader_missing_a_library_is_an_install_error(monkeypatch: pytest.MonkeyPatch):
    fake(monkeypatch, stdout=pack({"ok": False, "kind": "install", "message": "a reader library is missing (x)"}))
    with pytest.raises(InstallError) as caught:
        run_reader({}, b"", ReaderLimits())
    assert (
        str(caught.value) == "The document reader cannot start: a reader library is missing (x); reinstall the plugin."
    )


def test_the_default_limits_are_256_mb_and_60_s():
    assert ReaderLimits() == ReaderLimits(memory_mb=256, timeout_s=60.0)


def test_readers_run_two_at_a_time_and_give_their_turn_back():
    turns = reader._Turns(2)
    with turns.turn(0.05), turns.turn(0.05):
        with pytest.raises(DocumentError) as caught, turns.turn(0.05):
            pass
        assert str(caught.value) == "the plugin is busy reading other documents (waited 0 s); try again shortly"
    with turns.turn(0.05), turns.turn(0.05):
        pass
    assert reader._turns.slots == reader.MAX_READERS == 2


def test_a_turn_is_given_back_when_the_reading_fails():
    turns = reader._Turns(1)
    with pytest.raises(RuntimeError), turns.turn(0.05):
        raise RuntimeError("reader failed")
    with turns.turn(0.05), pytest.raises(DocumentError), turns.turn(0.01):
        pass  # the one slot came back once, not twice


def test_a_short_or_undecodable_stderr_still_logs_its_last_line(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
):
    fake(monkeypatch, returncode=1, stderr=b"Fatal \xff error\n")
    with caplog.at_level(logging.INFO, logger=reader.__name__), pytest.raises(ReaderError) as caught:
        run_reader({}, b"", ReaderLimits())
    assert caught.value.kind == "limit"
    assert caplog.records[-1].getMessage().endswith(" s: ['Fatal \ufffd error']")

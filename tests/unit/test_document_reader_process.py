"""The reader process: every hostile document ends in an answer or a clear refusal within fixed
memory and time, the plugin's process is never the one that pays, and its gevent hub keeps
running while a document is read."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import dify_plugin  # noqa: F401 - gevent's monkey-patching, as in the plugin's process
import gevent
import pytest

from models.vision_utils.document import reader
from models.vision_utils.document.protocol import ProtocolError, ReaderError, pack, unpack
from models.vision_utils.document.reader import ReaderLimits, run_reader
from provider.errors.tree import DocumentError
from testkit.documents import encrypted_pdf, text_pdf
from testkit.hostile_documents import HOSTILE_DOCX, HOSTILE_PDFS

LIMITS = ReaderLimits(memory_mb=256, timeout_s=30)


def read(raw: bytes, kind: str = "pdf", limits: ReaderLimits = LIMITS) -> dict:
    job = {"op": "read", "format": kind, "max_pages": 500, "max_chars": 400_000}
    return run_reader(job, raw, limits).header


def test_the_message_format_round_trips_and_refuses_garbage():
    header, blobs = unpack(pack({"op": "x"}, [b"one", b"", b"three"]))
    assert header["op"] == "x" and blobs == [b"one", b"", b"three"]
    for broken in (b"", b"\x00\x00\x00\x09{}", pack({}, [b"abc"])[:-1], pack({}) + b"extra", b"\x00\x00\x00\x02[]"):
        with pytest.raises(ProtocolError):
            unpack(broken)


# name -> what reading it gives: "ok" (with text), "blank" (read, no text), or the refusal's kind.
EXPECTED_PDF = {
    "count-bomb": "ok",
    "kids-bomb": "ok",
    "huge-page": "ok",
    "giant-page": "ok",
    "nested-arrays": "ok",
    "nested-dicts": "blank",
    "deep-page-tree": "blank",
    "broken-xref": "ok",
    "no-xref": "ok",
    "truncated": "damaged",
    "javascript": "ok",
    "recursive-xobject": "limit",
    "flate-bomb": "limit",
}


@pytest.mark.parametrize("name", sorted(HOSTILE_PDFS))
def test_hostile_pdfs_are_read_or_refused_within_the_limits(name):
    started = time.monotonic()
    try:
        header = read(HOSTILE_PDFS[name]())
        outcome = "ok" if any(page["text"] for page in header["pages"]) else "blank"
        assert header["peak_kb"] < LIMITS.memory_mb * 1024
    except ReaderError as error:
        outcome = error.kind
        assert error.message and "Traceback" not in error.message
    assert outcome == EXPECTED_PDF[name]
    assert time.monotonic() - started < LIMITS.timeout_s


def test_a_page_count_bomb_costs_only_the_pages_read():
    header = read(HOSTILE_PDFS["kids-bomb"]())
    assert header["total_pages"] == 1_000_000
    assert len(header["pages"]) < 500 and header["cut"]  # the character limit came first


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("zip-bomb", "limit"),
        ("billion-laughs", "format"),
        ("xxe", "format"),
        ("deep-nesting", "nesting"),
        ("not-a-zip", "damaged"),
    ],
)
def test_hostile_word_files_are_refused_with_their_reason(name, kind):
    with pytest.raises(ReaderError) as caught:
        read(HOSTILE_DOCX[name](), "docx")
    assert caught.value.kind == kind


def test_a_password_is_a_refusal_not_a_crash():
    with pytest.raises(ReaderError, match="password") as caught:
        read(encrypted_pdf("secret"))
    assert caught.value.kind == "password"


def _fake_worker(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, body: str) -> None:
    script = tmp_path / "worker.py"
    script.write_text(f"import sys\nsys.path.insert(0, {str(reader.WORKER.parents[3])!r})\n{body}\n")
    monkeypatch.setattr(reader, "WORKER", script)


def test_a_reader_that_hangs_is_killed_at_the_timeout(tmp_path, monkeypatch):
    _fake_worker(tmp_path, monkeypatch, "import time\ntime.sleep(60)")
    started = time.monotonic()
    with pytest.raises(ReaderError, match="takes longer than the 1 s") as caught:
        run_reader({"op": "read"}, b"", ReaderLimits(256, 1))
    assert caught.value.kind == "timeout" and time.monotonic() - started < 10


def test_a_reader_that_spins_is_stopped_by_its_cpu_limit(tmp_path, monkeypatch):
    body = "from models.vision_utils.document.worker import limit_self\nlimit_self(256, 1)\nwhile True: pass"
    _fake_worker(tmp_path, monkeypatch, body)
    with pytest.raises(ReaderError, match="takes longer") as caught:
        run_reader({"op": "read"}, b"", ReaderLimits(256, 20))
    assert caught.value.kind == "limit"


def test_a_reader_over_its_memory_limit_is_a_memory_refusal(tmp_path, monkeypatch):
    body = "from models.vision_utils.document.worker import limit_self\nlimit_self(256, 10)\nx = bytearray(2**30)"
    _fake_worker(tmp_path, monkeypatch, body)
    with pytest.raises(ReaderError, match="needs more than the 256 MB"):
        run_reader({"op": "read"}, b"", ReaderLimits(256, 20))


def test_an_unreadable_answer_is_the_readers_fault(tmp_path, monkeypatch):
    _fake_worker(tmp_path, monkeypatch, "sys.stdout.write('not the protocol')")
    with pytest.raises(ReaderError, match="answer is unreadable") as caught:
        run_reader({"op": "read"}, b"", LIMITS)
    assert caught.value.kind == "internal"


def test_readers_take_turns_and_a_long_queue_says_the_plugin_is_busy():
    turns = reader._Turns(1)
    with turns.turn(1.0):
        started = time.monotonic()
        with pytest.raises(DocumentError, match="busy reading other documents"), turns.turn(0.1):
            pass
        assert 0.1 <= time.monotonic() - started < 2
    with turns.turn(0.1):  # the slot came back, and the timed-out ticket left the queue
        pass


def test_the_hub_keeps_running_while_a_document_is_read():
    raw = text_pdf(300)
    ticks: list[float] = []

    def tick() -> None:
        while True:
            ticks.append(time.monotonic())
            gevent.sleep(0.001)

    ticker = gevent.spawn(tick)
    try:
        header = read(raw)
    finally:
        ticker.kill()
    assert header["total_pages"] == 300
    # A read that blocked the hub would let the ticker run once at most; the child process takes far
    # longer than a few ticks to start and read 300 pages, whatever the machine's load.
    assert len(ticks) >= 5, f"the ticker ran {len(ticks)} times while the document was read"


def test_the_reader_runs_on_the_plugins_own_interpreter_isolated():
    assert reader.WORKER.exists() and sys.executable
    header = read(text_pdf(1))
    assert header["pages"][0]["text"].startswith("Page 1 line 1")

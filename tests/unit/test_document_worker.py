"""The reader process's own code, run in this process: the limits it puts on itself, the jobs it
dispatches and the answers (or refusals) it writes. That it really runs in a child process under
those limits is tested across the process boundary in test_document_reader_process.py."""

from __future__ import annotations

import io
import resource
import sys
from types import SimpleNamespace

import pytest

from models.vision_utils.document import docx_reader, pdf_reader, worker
from models.vision_utils.document.protocol import ReaderError, pack, unpack
from models.vision_utils.document.worker import limit_self, peak_kb, run_job
from testkit.documents import text_pdf
from testkit.hostile_documents import docx


def test_the_reader_limits_its_memory_cpu_core_files_and_file_size(monkeypatch: pytest.MonkeyPatch):
    calls: list[tuple[int, tuple[int, int]]] = []
    monkeypatch.setattr(worker.resource, "setrlimit", lambda which, limits: calls.append((which, limits)))
    limit_self(256, 30)
    assert calls == [
        (resource.RLIMIT_AS, (256 * 2**20, 256 * 2**20)),
        (resource.RLIMIT_CPU, (30, 31)),
        (resource.RLIMIT_CORE, (0, 0)),
        (resource.RLIMIT_FSIZE, (16 * 2**20, 16 * 2**20)),
    ]


class _Status:
    def __init__(self, text: str | None) -> None:
        self.text = text

    def __call__(self, _path: str) -> _Status:
        return self

    def read_text(self) -> str:
        if self.text is None:
            raise OSError("no /proc")
        return self.text


def test_the_peak_memory_is_the_processs_high_water_mark(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(
        worker, "Path", _Status("Name:\tpython\nVmPeak:\t 9999 kB\nVmHWM:\t    1234 kB\nVmRSS:\t 1000 kB\n")
    )
    assert peak_kb() == 1234


def test_the_peak_memory_is_read_from_proc_where_it_exists(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(worker.resource, "getrusage", lambda who: SimpleNamespace(ru_maxrss=-1))
    assert peak_kb() > 0, "not the fallback's -1"


def test_without_proc_the_peak_memory_comes_from_getrusage(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(worker, "Path", _Status(None))
    monkeypatch.setattr(worker.resource, "getrusage", lambda who: SimpleNamespace(ru_maxrss=4321 + who))
    assert peak_kb() == 4321 + resource.RUSAGE_SELF
    monkeypatch.setattr(worker, "Path", _Status("Name:\tpython\n"))
    assert peak_kb() == 4321 + resource.RUSAGE_SELF


def test_read_jobs_go_to_the_reader_of_their_format():
    pdf = run_job({"op": "read", "format": "pdf", "max_pages": "1", "max_chars": "30"}, text_pdf(3), 256)
    assert pdf[0]["ok"] and pdf[0]["kind"] == "PDF" and len(pdf[0]["pages"]) == 1 and pdf[1] == []
    assert len(pdf[0]["pages"][0]["text"]) == 30
    word = run_job({"op": "read", "format": "docx", "max_chars": 3}, docx(["Hello"]), 256)
    assert word == ({"ok": True, **docx_reader.read_docx(docx(["Hello"]), 3)}, [])
    assert word[0]["pages"][0]["text"] == "Hel"
    page = run_job({"op": "read", "format": "html", "max_chars": 100}, b"<p>Hi</p>", 256)
    assert page[0]["ok"] and page[0]["kind"] == "HTML" and page[0]["pages"][0]["text"] == "Hi"


def test_a_render_job_answers_with_the_page_sizes_and_the_images():
    header, blobs = run_job({"op": "render", "format": "pdf", "pages": [[1, 0.1]]}, text_pdf(2), 256)
    assert header == {"ok": True, "pages": [[1, 62, 80]]} and len(blobs) == 1
    assert blobs[0].startswith(b"\xff\xd8")


@pytest.mark.parametrize(
    ("job", "said"),
    [
        ({"op": "read", "format": "xlsx"}, "unknown job 'read' for 'xlsx'"),
        ({"op": "render", "format": "docx"}, "unknown job 'render' for 'docx'"),
        ({"format": "pdf"}, "unknown job None for 'pdf'"),
    ],
)
def test_an_unknown_job_is_an_internal_refusal(job: dict, said: str):
    assert run_job(job, b"", 256) == ({"ok": False, "kind": "internal", "message": said}, [])


@pytest.mark.parametrize(
    ("raised", "kind", "message"),
    [
        (ReaderError("password", "it is locked"), "password", "it is locked"),
        (MemoryError(), "limit", "reading it needs more than the 300 MB of memory a document may use"),
        (RecursionError(), "nesting", "its structure is nested too deeply"),
        (ImportError("no", name="pypdfium2"), "install", "a reader library is missing (pypdfium2)"),
    ],
)
def test_a_readers_refusal_or_failure_is_an_answer(
    monkeypatch: pytest.MonkeyPatch, raised: BaseException, kind: str, message: str
):
    def fail(*_: object) -> dict:
        raise raised

    monkeypatch.setattr(pdf_reader, "read_pdf", fail)
    job = {"op": "read", "format": "pdf", "max_pages": 1, "max_chars": 1}
    assert run_job(job, b"", 300) == ({"ok": False, "kind": kind, "message": message}, [])


def _main(monkeypatch: pytest.MonkeyPatch, message: bytes) -> tuple[dict, list[bytes], list[tuple[int, int]]]:
    limited: list[tuple[int, int]] = []
    out = io.BytesIO()
    monkeypatch.setattr(worker, "limit_self", lambda memory, cpu: limited.append((memory, cpu)))
    monkeypatch.setattr(worker, "peak_kb", lambda: 777)
    monkeypatch.setattr(sys, "argv", ["worker.py", "300", "7"])
    monkeypatch.setattr(sys, "path", list(sys.path))
    monkeypatch.setattr(sys, "stdin", SimpleNamespace(buffer=io.BytesIO(message)))
    monkeypatch.setattr(sys, "stdout", SimpleNamespace(buffer=out))
    assert worker.main() == 0
    assert sys.path[0] == str(worker.ROOT)
    header, blobs = unpack(out.getvalue())
    return header, blobs, limited


def test_the_process_limits_itself_reads_one_job_and_writes_one_answer(monkeypatch: pytest.MonkeyPatch):
    job = {"op": "read", "format": "html", "max_chars": 100}
    header, blobs, limited = _main(monkeypatch, pack(job, [b"<p>Hello</p>"]))
    assert limited == [(300, 7)]
    assert header["ok"] and header["pages"][0]["text"] == "Hello" and header["peak_kb"] == 777 and blobs == []


def test_a_job_without_a_document_reads_empty_bytes(monkeypatch: pytest.MonkeyPatch):
    header, _, _ = _main(monkeypatch, pack({"op": "read", "format": "html", "max_chars": 100}))
    assert header["ok"] and header["pages"][0]["text"] == ""


def test_a_readers_bug_is_answered_with_its_type_only(monkeypatch: pytest.MonkeyPatch):
    def broken(*_: object) -> tuple[dict, list[bytes]]:
        raise ValueError("text of the document")

    monkeypatch.setattr(worker, "run_job", broken)
    header, blobs, _ = _main(monkeypatch, pack({"op": "read"}, [b"x"]))
    assert header == {"ok": False, "kind": "internal", "message": "ValueError", "peak_kb": 777, "blobs": []}
    assert blobs == []


def test_page_images_are_written_after_the_header(monkeypatch: pytest.MonkeyPatch):
    job = {"op": "render", "format": "pdf", "pages": [[0, 0.1]]}
    header, blobs, _ = _main(monkeypatch, pack(job, [text_pdf(1)]))
    assert header["pages"] == [[0, 62, 80]] and len(blobs) == 1 and blobs[0].startswith(b"\xff\xd8")


def test_a_reader_out_of_memory_names_the_processs_memory_limit(monkeypatch: pytest.MonkeyPatch):
    def exhausted(*_: object) -> dict:
        raise MemoryError

    monkeypatch.setattr(pdf_reader, "read_pdf", exhausted)
    header, _, _ = _main(monkeypatch, pack({"op": "read", "format": "pdf", "max_pages": 1, "max_chars": 1}, [b"x"]))
    assert header["message"] == "reading it needs more than the 300 MB of memory a document may use"

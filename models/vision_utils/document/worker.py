"""The document reader process: one job in on stdin, one answer out on stdout, then it exits.

Started by reader.py as `python -I worker.py MEMORY_MB CPU_S`. Before it imports any parser it
limits itself: address space (a PDF that balloons makes PDFium abort or raise MemoryError
here, never in the plugin), CPU seconds (SIGXCPU, then SIGKILL one second later), no core
files, and files of at most 16 MiB (Python's bytecode cache is the only thing it writes: without
it every reader would compile pypdfium2 again, 50 ms). Whatever a document does, only this
process ends; the plugin reads the exit status and tells the user.

The job and answer format is protocol.py. Answers: `{"ok": true, ...}`, or `{"ok": false,
"kind": ..., "message": ...}` for a document the readers refuse; both carry the process's
peak RSS (`peak_kb`) for the plugin log and the benchmarks.
"""

from __future__ import annotations

import resource
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[3]
MAX_FILE_BYTES = 16 * 1024 * 1024


def limit_self(memory_mb: int, cpu_s: int) -> None:
    memory = memory_mb * 2**20
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_s, cpu_s + 1))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_FSIZE, (MAX_FILE_BYTES, MAX_FILE_BYTES))


def peak_kb() -> int:
    """This process's peak RSS. VmHWM starts afresh at exec; ru_maxrss would include the plugin's
    RSS at fork (Linux keeps it across exec)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def run_job(job: dict[str, Any], data: bytes, memory_mb: int) -> tuple[dict[str, Any], list[bytes]]:
    """Dispatch one job; parsers are imported here, after the limits are in force."""
    from models.vision_utils.document.protocol import ReaderError

    op, kind = job.get("op"), job.get("format")
    try:
        if op == "read" and kind == "pdf":
            from models.vision_utils.document.pdf_reader import read_pdf

            return {"ok": True, **read_pdf(data, int(job["max_pages"]), int(job["max_chars"]))}, []
        if op == "read" and kind == "docx":
            from models.vision_utils.document.docx_reader import read_docx

            return {"ok": True, **read_docx(data, int(job["max_chars"]))}, []
        if op == "read" and kind == "html":
            from models.vision_utils.document.html_reader import read_html

            return {"ok": True, **read_html(data, int(job["max_chars"]))}, []
        if op == "render" and kind == "pdf":
            from models.vision_utils.document.pdf_reader import render_pdf

            header, blobs = render_pdf(data, job["pages"])
            return {"ok": True, **header}, blobs
    except ReaderError as error:
        return {"ok": False, "kind": error.kind, "message": error.message}, []
    except MemoryError:
        message = f"reading it needs more than the {memory_mb} MB of memory a document may use"
        return {"ok": False, "kind": "limit", "message": message}, []
    except RecursionError:
        return {"ok": False, "kind": "nesting", "message": "its structure is nested too deeply"}, []
    except ImportError as error:
        return {"ok": False, "kind": "install", "message": f"a reader library is missing ({error.name})"}, []
    return {"ok": False, "kind": "internal", "message": f"unknown job {op!r} for {kind!r}"}, []


def main() -> int:
    memory_mb = int(sys.argv[1])
    limit_self(memory_mb, int(sys.argv[2]))
    sys.path.insert(0, str(ROOT))
    from models.vision_utils.document.protocol import pack, unpack

    job, blobs = unpack(sys.stdin.buffer.read())
    try:
        header, answer = run_job(job, blobs[0] if blobs else b"", memory_mb)
    except Exception as error:  # a reader's bug: reported, never a traceback with document text in it
        header, answer = {"ok": False, "kind": "internal", "message": f"{type(error).__name__}"}, []
    header["peak_kb"] = peak_kb()
    sys.stdout.buffer.write(pack(header, answer))
    sys.stdout.buffer.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())

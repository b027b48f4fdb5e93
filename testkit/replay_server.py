"""A replay HTTP server: serves recorded-style transcripts byte for byte to the real plugin.

`POST /v1/chat/completions` answers with the loaded reply for the request's mode (`"stream": true`
-> the SSE reply, otherwise the blocking one); anything else is a 404. The HTTP layer is written
by hand on raw sockets, because the point is control over the wire: the exact body bytes, how the
body is framed and how it ends:

- `done`: a normal end. SSE bodies go out chunked (one chunk per event, or `chunk_size` pieces)
  with the terminating 0-chunk; other bodies with a Content-Length. The connection stays open for
  the next request (keep-alive), as real servers do.
- `close`: no Content-Length, `Connection: close`; the body, then a clean close (FIN).
- `drop`: chunked body cut off before the 0-chunk, then the socket is shut (FIN): what a client
  sees when a proxy loses its upstream mid-body ("incomplete chunked read").
- `reset`: like `drop`, but the socket is closed with RST (SO_LINGER 0), a hard network failure.

Only 127.0.0.1 is used; every socket has a timeout and `stop()` ends all threads.
"""

from __future__ import annotations

import contextlib
import http
import json
import re
import socket
import struct
import threading
from dataclasses import dataclass
from typing import Any

ENDINGS = ("done", "close", "drop", "reset")
IDLE_TIMEOUT_S = 30  # a keep-alive connection with no new request is closed after this
MAX_HEADER_BYTES = 64 * 1024
MAX_BODY_BYTES = 64 * 1024 * 1024
# One SSE event ends at a blank line, whatever the line endings (WHATWG event-stream rules).
_EVENT_END = re.compile(rb"\r\n\r\n|\n\n|\r\r")


@dataclass(frozen=True)
class Reply:
    """One recorded HTTP answer: status, content type, exact body bytes, and how it ends."""

    body: bytes
    status: int = 200
    content_type: str = "application/json"
    ending: str = "done"
    chunk_size: int | None = None  # split the body into pieces of this many bytes (UTF-8 may split)
    request_id: str = "req-replay-0001"

    def __post_init__(self) -> None:
        if self.ending not in ENDINGS:
            raise ValueError(f"unknown ending {self.ending!r}; use one of {ENDINGS}")


def body_pieces(reply: Reply) -> list[bytes]:
    """How the body is written: fixed-size pieces, one piece per SSE event, or all at once."""
    body = reply.body
    if reply.chunk_size:
        return [body[i : i + reply.chunk_size] for i in range(0, len(body), reply.chunk_size)] or [b""]
    if not reply.content_type.startswith("text/event-stream"):
        return [body]
    pieces, start = [], 0
    for match in _EVENT_END.finditer(body):
        pieces.append(body[start : match.end()])
        start = match.end()
    if start < len(body):
        pieces.append(body[start:])
    return pieces or [b""]


def _chunked(piece: bytes) -> bytes:
    return f"{len(piece):x}\r\n".encode() + piece + b"\r\n" if piece else b""


def _head(reply: Reply, framing: str) -> bytes:
    try:
        reason = http.HTTPStatus(reply.status).phrase
    except ValueError:
        reason = "Unknown"
    lines = [
        f"HTTP/1.1 {reply.status} {reason}",
        f"Content-Type: {reply.content_type}",
        f"X-Request-ID: {reply.request_id}",
        "Server: replay",
    ]
    if reply.content_type.startswith("text/event-stream"):
        lines.append("Cache-Control: no-cache")
    if framing == "chunked":
        lines.append("Transfer-Encoding: chunked")
    elif framing == "length":
        lines.append(f"Content-Length: {len(reply.body)}")
    if framing == "close":
        lines.append("Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def _not_found(path: str) -> Reply:
    body = json.dumps({"error": {"message": f"replay server has no route {path}", "code": 404}}).encode()
    return Reply(body=body, status=404)


class ReplayServer:
    """Serves one loaded pair of replies (stream, blocking) until `load` is called again."""

    def __init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.2)
        self.port = self._listener.getsockname()[1]
        self.base_url = f"http://127.0.0.1:{self.port}"
        self._lock = threading.Lock()
        self._stream_reply: Reply | None = None
        self._blocking_reply: Reply | None = None
        self._requests: list[dict[str, Any]] = []
        self._connections: set[socket.socket] = set()
        self._threads: list[threading.Thread] = []
        self._stopping = threading.Event()
        self._acceptor = threading.Thread(target=self._accept_loop, name="replay-accept", daemon=True)

    # --- lifecycle -----------------------------------------------------------------------
    def start(self) -> ReplayServer:
        self._acceptor.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self._acceptor.join(timeout=5)
        with contextlib.suppress(OSError):
            self._listener.close()
        with self._lock:
            live = list(self._connections)
        for conn in live:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        for thread in list(self._threads):
            thread.join(timeout=5)

    def __enter__(self) -> ReplayServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- what to serve, what was asked ---------------------------------------------------
    def load(self, stream: Reply | None, blocking: Reply | None) -> None:
        """Serve these replies from now on and forget earlier requests."""
        with self._lock:
            self._stream_reply, self._blocking_reply = stream, blocking
            self._requests.clear()

    @property
    def requests(self) -> list[dict[str, Any]]:
        """Every request since `load`: method, path and the JSON body (None if not JSON)."""
        with self._lock:
            return list(self._requests)

    def chat_requests(self) -> list[dict[str, Any]]:
        return [r["json"] for r in self.requests if r["path"] == "/v1/chat/completions" and r["json"] is not None]

    # --- sockets -------------------------------------------------------------------------
    def _accept_loop(self) -> None:
        while not self._stopping.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            conn.settimeout(IDLE_TIMEOUT_S)
            thread = threading.Thread(target=self._serve_connection, args=(conn,), name="replay-conn", daemon=True)
            with self._lock:
                self._connections.add(conn)
                self._threads = [t for t in self._threads if t.is_alive()] + [thread]
            thread.start()

    def _serve_connection(self, conn: socket.socket) -> None:
        buffer = b""
        try:
            while not self._stopping.is_set():
                request, buffer = _read_request(conn, buffer)
                if request is None:
                    return
                if not self._answer(conn, request):
                    return
        except OSError:
            return
        finally:
            with self._lock:
                self._connections.discard(conn)
            with contextlib.suppress(OSError):
                conn.close()

    def _answer(self, conn: socket.socket, request: dict[str, Any]) -> bool:
        """Write the reply; True when the connection may serve another request."""
        body_json = request["json"]
        with self._lock:
            self._requests.append({"method": request["method"], "path": request["path"], "json": body_json})
            stream_reply, blocking_reply = self._stream_reply, self._blocking_reply
        reply: Reply | None = None
        if request["method"] == "POST" and request["path"] == "/v1/chat/completions":
            wants_stream = isinstance(body_json, dict) and body_json.get("stream") is True
            reply = stream_reply if wants_stream else blocking_reply
        reply = reply or _not_found(request["path"])
        return _write_reply(conn, reply)


def _read_request(conn: socket.socket, buffer: bytes) -> tuple[dict[str, Any] | None, bytes]:
    """One HTTP/1.1 request (Content-Length or chunked body); None when the client went away."""
    while b"\r\n\r\n" not in buffer:
        if len(buffer) > MAX_HEADER_BYTES:
            return None, b""
        data = conn.recv(65536)
        if not data:
            return None, b""
        buffer += data
    head, buffer = buffer.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    method, path = [*lines[0].split(" "), "", ""][:2]
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    if headers.get("transfer-encoding", "").lower() == "chunked":
        body, buffer = _read_chunked(conn, buffer)
    else:
        length = min(int(headers.get("content-length", "0") or 0), MAX_BODY_BYTES)
        while len(buffer) < length:
            data = conn.recv(65536)
            if not data:
                return None, b""
            buffer += data
        body, buffer = buffer[:length], buffer[length:]
    try:
        parsed = json.loads(body) if body else None
    except ValueError:
        parsed = None
    return {"method": method, "path": path.split("?", 1)[0], "json": parsed}, buffer


def _read_chunked(conn: socket.socket, buffer: bytes) -> tuple[bytes, bytes]:
    body = b""
    while True:
        while b"\r\n" not in buffer:
            buffer += conn.recv(65536) or b"0\r\n\r\n"
        size_line, buffer = buffer.split(b"\r\n", 1)
        size = int(size_line.split(b";")[0] or b"0", 16)
        while len(buffer) < size + 2:
            data = conn.recv(65536)
            if not data:
                return body + buffer[:size], b""
            buffer += data
        body, buffer = body + buffer[:size], buffer[size + 2 :]
        if size == 0 or len(body) > MAX_BODY_BYTES:
            return body, buffer


def _write_reply(conn: socket.socket, reply: Reply) -> bool:
    is_sse = reply.content_type.startswith("text/event-stream")
    if reply.ending == "close":
        framing = "close"
    elif reply.ending in ("drop", "reset") or is_sse or reply.chunk_size:
        framing = "chunked"
    else:
        framing = "length"
    conn.sendall(_head(reply, framing))
    for piece in body_pieces(reply):
        conn.sendall(_chunked(piece) if framing == "chunked" else piece)
    if reply.ending == "done":
        if framing == "chunked":
            conn.sendall(b"0\r\n\r\n")
        return True
    if reply.ending == "reset":
        # SO_LINGER with a zero timeout turns close() into an RST: a hard connection failure.
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        return False
    # close / drop: a FIN after the bytes; the client reads them, then end of stream.
    with contextlib.suppress(OSError):
        conn.shutdown(socket.SHUT_WR)
    return False

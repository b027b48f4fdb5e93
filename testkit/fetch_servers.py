"""Tiny scripted HTTP servers on 127.0.0.1 for the image-download tests.

Each server counts every TCP connection it accepts (an SSRF refusal must leave it at zero) and
answers each path with a scripted behaviour: an image, a redirect, a status, a body trickled a
byte at a time, a huge declared length, an endless chunked stream, or a forward proxy's reply.
Every loop is bounded and stops when the client goes away.
"""

from __future__ import annotations

import contextlib
import socket
import socketserver
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
MAX_HEAD_BYTES = 65536

type Route = Callable[[socket.socket, "Seen"], None]


@dataclass
class Seen:
    """What a server saw: connections, request lines, and bytes its body loops got out."""

    connections: int = 0
    request_lines: list[str] = field(default_factory=list)
    header_lines: list[list[str]] = field(default_factory=list)  # each request's headers, as sent
    body_bytes_sent: int = 0
    finished_bodies: int = 0


class _LoopbackServer:
    """A threaded TCP server on an ephemeral 127.0.0.1 port, one handler thread per connection."""

    def __init__(self, handler: type[socketserver.BaseRequestHandler]) -> None:
        self._server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True).start()

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


class ScriptedServer(_LoopbackServer):
    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        self.routes: dict[str, Route] = {}
        self.default: Route | None = None
        self.seen = Seen()
        self._lock = threading.Lock()
        server = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                with server._lock:
                    server.seen.connections += 1
                conn = self.request
                conn.settimeout(10)
                if tls is not None:
                    try:
                        conn = tls.wrap_socket(conn, server_side=True)
                    except OSError:  # the client refused our certificate
                        return
                head = _read_head(conn)
                if head is None:
                    return
                line, *header_lines = head
                with server._lock:
                    server.seen.request_lines.append(line)
                    server.seen.header_lines.append(header_lines)
                target = line.split(" ")[1] if line.count(" ") >= 2 else "/"
                route = server.routes.get(target.split("?")[0]) or server.default or status(404)
                # OSError: the client went away, as it should after a refusal or at a cap.
                with contextlib.suppress(OSError):
                    route(conn, server.seen)

        super().__init__(Handler)

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"


def _read_head(conn: socket.socket) -> list[str] | None:
    """The request line and header lines; None when the client sent nothing."""
    conn.settimeout(10)
    head = b""
    while b"\r\n\r\n" not in head and len(head) < MAX_HEAD_BYTES:
        piece = conn.recv(4096)
        if not piece:
            return None
        head += piece
    return head.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")


def _send_head(conn: socket.socket, status_line: str, headers: dict[str, str]) -> None:
    lines = [f"HTTP/1.1 {status_line}", *(f"{k}: {v}" for k, v in headers.items()), "Connection: close", "", ""]
    conn.sendall("\r\n".join(lines).encode("latin-1"))


def image(body: bytes, content_type: str = "image/png") -> Route:
    def route(conn: socket.socket, seen: Seen) -> None:
        _send_head(conn, "200 OK", {"Content-Type": content_type, "Content-Length": str(len(body))})
        conn.sendall(body)
        seen.body_bytes_sent += len(body)
        seen.finished_bodies += 1

    return route


def redirect(location: str, code: int = 302) -> Route:
    def route(conn: socket.socket, seen: Seen) -> None:
        _send_head(conn, f"{code} Found", {"Location": location, "Content-Length": "0"})

    return route


def status(code: int, body: bytes = b"not here") -> Route:
    def route(conn: socket.socket, seen: Seen) -> None:
        _send_head(conn, f"{code} Status", {"Content-Type": "text/plain", "Content-Length": str(len(body))})
        conn.sendall(body)

    return route


def trickle(body: bytes, interval_s: float) -> Route:
    """The whole length is declared, then one byte per interval: only an overall deadline ends it."""

    def route(conn: socket.socket, seen: Seen) -> None:
        _send_head(conn, "200 OK", {"Content-Type": "image/png", "Content-Length": str(len(body))})
        for index in range(len(body)):
            conn.sendall(body[index : index + 1])
            seen.body_bytes_sent += 1
            time.sleep(interval_s)
        seen.finished_bodies += 1

    return route


def declared(length: int, chunk: int = 1 << 20) -> Route:
    """A PNG-looking body of `length` bytes with its Content-Length, sent until the client leaves."""

    def route(conn: socket.socket, seen: Seen) -> None:
        _send_head(conn, "200 OK", {"Content-Type": "image/png", "Content-Length": str(length)})
        block = bytes(chunk)
        sent = 0
        while sent < length:
            piece = (PNG_SIGNATURE + block)[: min(chunk, length - sent)] if sent == 0 else block[: length - sent]
            conn.sendall(piece)
            sent += len(piece)
            seen.body_bytes_sent += len(piece)
        seen.finished_bodies += 1

    return route


def chunked(prefix: bytes, total: int, chunk: int = 1 << 20) -> Route:
    """No Content-Length: chunk after chunk until `total` bytes or the client goes away."""

    def route(conn: socket.socket, seen: Seen) -> None:
        _send_head(conn, "200 OK", {"Content-Type": "image/png", "Transfer-Encoding": "chunked"})
        block = bytes(chunk)
        first = prefix + block[len(prefix) :]
        sent = 0
        while sent < total:
            piece = first if sent == 0 else block
            conn.sendall(b"%x\r\n%b\r\n" % (len(piece), piece))
            sent += len(piece)
            seen.body_bytes_sent += len(piece)
        conn.sendall(b"0\r\n\r\n")
        seen.finished_bodies += 1

    return route


def serving(*routes: tuple[str, Route]) -> ScriptedServer:
    server = ScriptedServer()
    server.routes.update(dict(routes))
    return server


class Socks5Proxy(_LoopbackServer):
    """A SOCKS5 proxy (RFC 1928, user/password per RFC 1929) that records what each client asked
    for, then relays the connection to one loopback server whatever the requested target."""

    def __init__(self, relay_port: int) -> None:
        self.requests: list[tuple[str, int]] = []  # (host as asked, port)
        self.credentials: list[tuple[str, str] | None] = []
        proxy = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                conn = self.request
                conn.settimeout(10)
                with contextlib.suppress(OSError):
                    proxy._serve(conn, relay_port)

        super().__init__(Handler)

    def _serve(self, conn: socket.socket, relay_port: int) -> None:
        _, count = _exactly(conn, 2)
        methods = _exactly(conn, count)
        if 2 in methods:  # username/password offered: use it
            conn.sendall(b"\x05\x02")
            _, user_length = _exactly(conn, 2)
            user = _exactly(conn, user_length).decode()
            password = _exactly(conn, _exactly(conn, 1)[0]).decode()
            self.credentials.append((user, password))
            conn.sendall(b"\x01\x00")
        else:
            self.credentials.append(None)
            conn.sendall(b"\x05\x00")
        _version, _connect, _reserved, kind = _exactly(conn, 4)
        if kind == 1:
            host = socket.inet_ntoa(_exactly(conn, 4))
        elif kind == 3:
            host = _exactly(conn, _exactly(conn, 1)[0]).decode()
        else:
            host = socket.inet_ntop(socket.AF_INET6, _exactly(conn, 16))
        port = int.from_bytes(_exactly(conn, 2), "big")
        self.requests.append((host, port))
        upstream = socket.create_connection(("127.0.0.1", relay_port), timeout=10)
        conn.sendall(b"\x05\x00\x00\x01" + socket.inet_aton("127.0.0.1") + relay_port.to_bytes(2, "big"))
        _pipe(conn, upstream)


def _exactly(conn: socket.socket, count: int) -> bytes:
    data = b""
    while len(data) < count:
        piece = conn.recv(count - len(data))
        if not piece:
            raise ConnectionError("the client went away")
        data += piece
    return data


def _pipe(client: socket.socket, upstream: socket.socket) -> None:
    """Both directions until either side closes."""

    def forward(source: socket.socket, target: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while piece := source.recv(65536):
                target.sendall(piece)
        with contextlib.suppress(OSError):
            target.shutdown(socket.SHUT_WR)

    back = threading.Thread(target=forward, args=(upstream, client), daemon=True)
    back.start()
    forward(client, upstream)
    back.join(10)
    upstream.close()

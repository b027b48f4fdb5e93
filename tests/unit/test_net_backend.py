"""The download sockets (download/net.py) on their own: every socket operation gets at most what
is left of the one deadline, the socket goes only to an admitted address (tried in order), a
proxied download connects only to the proxy, and the system resolver's answer as addresses."""

from __future__ import annotations

import socket
import ssl
from ipaddress import ip_address
from types import SimpleNamespace
from typing import Any

import httpcore
import pytest

from models.vision_utils.download import net
from models.vision_utils.download.url import IPAddress
from provider.deadline import Deadline
from provider.errors.tree import BudgetExceeded


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class RecordingStream(httpcore.NetworkStream):
    """A socket that records what it was asked, with which timeout."""

    def __init__(self, name: str = "plain") -> None:
        self.name = name
        self.calls: list[tuple[Any, ...]] = []

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        self.calls.append(("read", max_bytes, timeout))
        return b"data"

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self.calls.append(("write", buffer, timeout))

    def close(self) -> None:
        self.calls.append(("close",))

    def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        self.calls.append(("start_tls", ssl_context, server_hostname, timeout))
        return RecordingStream("tls")

    def get_extra_info(self, info: str) -> Any:
        return f"{self.name}:{info}"


class RecordingSockets(httpcore.NetworkBackend):
    """Connections succeed to `reachable` addresses only; every attempt is recorded."""

    def __init__(self, reachable: set[str], error: type[Exception] = httpcore.ConnectError) -> None:
        self.reachable = reachable
        self.error = error
        self.attempts: list[tuple[Any, ...]] = []
        self.streams: list[RecordingStream] = []

    def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        self.attempts.append((host, port, timeout, local_address, socket_options))
        if host not in self.reachable:
            raise self.error(f"{host} is unreachable in this test")
        stream = RecordingStream()
        self.streams.append(stream)
        return stream


def admitting(*addresses: str, asked: list | None = None):
    def admit(host: str, port: int) -> list[IPAddress]:
        if asked is not None:
            asked.append((host, port))
        return [ip_address(a) for a in addresses]

    return admit


def test_every_read_and_write_gets_at_most_what_is_left_of_the_deadline():
    clock = FakeClock()
    inner = RecordingStream()
    stream = net.DeadlineStream(inner, Deadline.start(10, clock=clock))
    assert stream.read(4096) == b"data"
    stream.read(512, timeout=3)
    stream.write(b"GET / HTTP/1.1", timeout=30)
    stream.write(b"Host: x", timeout=4)
    clock.now += 8
    stream.read(1024, timeout=5)
    stream.write(b"more")
    assert inner.calls == [
        ("read", 4096, 10),
        ("read", 512, 3),
        ("write", b"GET / HTTP/1.1", 10),
        ("write", b"Host: x", 4),
        ("read", 1024, 2),
        ("write", b"more", 2),
    ]
    clock.now += 2
    with pytest.raises(BudgetExceeded):
        stream.read(1024, timeout=5)
    assert len(inner.calls) == 6, "nothing is read once the deadline has passed"


def test_the_tls_handshake_and_the_upgraded_stream_stay_within_the_deadline():
    clock = FakeClock()
    inner = RecordingStream()
    stream = net.DeadlineStream(inner, Deadline.start(10, clock=clock))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    upgraded = stream.start_tls(context, "images.example.com", timeout=60)
    stream.start_tls(context, "images.example.com", timeout=3)
    assert inner.calls == [
        ("start_tls", context, "images.example.com", 10),
        ("start_tls", context, "images.example.com", 3),
    ], "the handshake gets the caller's timeout or what is left, whichever is shorter"
    assert isinstance(upgraded, net.DeadlineStream)
    assert upgraded.get_extra_info("ssl_object") == "tls:ssl_object", "the TLS stream is the one used"
    clock.now += 9
    upgraded.read(100, timeout=30)
    assert upgraded._inner.calls == [("read", 100, 1)]


def test_closing_and_extra_info_go_to_the_socket_itself():
    inner = RecordingStream()
    stream = net.DeadlineStream(inner, Deadline.start(10, clock=FakeClock()))
    assert stream.get_extra_info("server_addr") == "plain:server_addr"
    stream.close()
    assert inner.calls == [("close",)]


def test_the_socket_goes_to_the_admitted_addresses_in_order_until_one_answers():
    clock = FakeClock()
    asked: list = []
    sockets = RecordingSockets({"93.184.216.35"})
    backend = net.CheckedBackend(
        admitting("93.184.216.34", "93.184.216.35", "93.184.216.36", asked=asked),
        Deadline.start(10, clock=clock),
        sockets,
    )
    options = [(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)]
    stream = backend.connect_tcp("images.example.com", 8080, timeout=4, local_address="0.0.0.0", socket_options=options)
    assert asked == [("images.example.com", 8080)]
    assert sockets.attempts == [
        ("93.184.216.34", 8080, 4, "0.0.0.0", options),
        ("93.184.216.35", 8080, 4, "0.0.0.0", options),
    ], "never the name, never an address after the one that answered"
    assert isinstance(stream, net.DeadlineStream)
    clock.now += 7
    stream.read(10, timeout=None)
    assert sockets.streams[0].calls == [("read", 10, 3)], "the connected socket keeps the deadline"
    clock.now += 3
    with pytest.raises(BudgetExceeded):
        backend.connect_tcp("images.example.com", 8080, timeout=4)
    assert len(sockets.attempts) == 2, "no connection is attempted once the deadline has passed"


@pytest.mark.parametrize("error", [httpcore.ConnectError, httpcore.ConnectTimeout, OSError])
def test_when_no_admitted_address_answers_the_last_failure_is_raised(error):
    sockets = RecordingSockets(set(), error)
    backend = net.CheckedBackend(
        admitting("93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946"), Deadline.start(10), sockets
    )
    with pytest.raises(error, match="2606:2800:220:1:248:1893:25c8:1946 is unreachable"):
        backend.connect_tcp("images.example.com", 443)
    assert [attempt[0] for attempt in sockets.attempts] == ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946"]


def test_a_name_with_no_address_is_an_error_naming_it():
    backend = net.CheckedBackend(admitting(), Deadline.start(10), RecordingSockets({"93.184.216.34"}))
    with pytest.raises(OSError, match=r"^no address to connect to for images\.example\.com$"):
        backend.connect_tcp("images.example.com", 443)


def test_a_refused_host_is_never_connected_to():
    def refuse(host: str, port: int) -> list[IPAddress]:
        raise OSError("refused")

    sockets = RecordingSockets({"127.0.0.1"})
    with pytest.raises(OSError, match="refused"):
        net.CheckedBackend(refuse, Deadline.start(10), sockets).connect_tcp("localhost", 80)
    assert sockets.attempts == []


def test_without_a_socket_hook_the_real_network_is_used():
    listener = socket.create_server(("127.0.0.1", 0))
    try:
        port = listener.getsockname()[1]
        backend = net.CheckedBackend(admitting("127.0.0.1"), Deadline.start(5))
        stream = backend.connect_tcp("localhost", port)
        accepted, _ = listener.accept()
        stream.write(b"ping")
        assert accepted.recv(4) == b"ping"
        accepted.close()
        stream.close()
    finally:
        listener.close()


def test_unix_sockets_are_refused():
    backend = net.CheckedBackend(admitting("127.0.0.1"), Deadline.start(5), RecordingSockets({"127.0.0.1"}))
    with pytest.raises(OSError, match=r"^unix sockets are never used for downloads$"):
        backend.connect_unix_socket("/var/run/docker.sock")


def test_a_pause_between_retries_never_outlasts_the_deadline(monkeypatch):
    slept: list[float] = []
    monkeypatch.setattr(net, "time", SimpleNamespace(sleep=slept.append))
    clock = FakeClock()
    backend = net.CheckedBackend(admitting(), Deadline.start(10, clock=clock), RecordingSockets(set()))
    backend.sleep(0.5)
    backend.sleep(60)
    assert slept == [0.5, 10]


def test_through_a_proxy_only_the_proxy_is_connected_to():
    looked_up: list = []

    def resolve(host: str, port: int) -> list[IPAddress]:
        looked_up.append((host, port))
        return [ip_address("10.0.0.7")]  # Dify's SSRF proxy is usually on a private network

    admit = net.proxy_only("ssrf_proxy", 3128, resolve)
    assert admit("ssrf_proxy", 3128) == [ip_address("10.0.0.7")]
    for host, port in [("images.example.com", 3128), ("ssrf_proxy", 80)]:
        with pytest.raises(OSError) as refused:
            admit(host, port)
        assert str(refused.value) == f"refusing to connect to {host}:{port}, which is not the proxy"
    assert looked_up == [("ssrf_proxy", 3128)]


def fake_getaddrinfo(calls: list):
    def getaddrinfo(host, port, *args, **kwargs):
        calls.append((host, port, args, kwargs))
        return [
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", port)),
            (socket.AF_INET6, socket.SOCK_STREAM, 6, "", ("2606:2800:220:1:248:1893:25c8:1946", port, 0, 0)),
        ]

    return getaddrinfo


@pytest.mark.parametrize("under_gevent", [True, False])
def test_the_system_resolver_returns_every_address_for_stream_sockets(monkeypatch, under_gevent):
    calls: list = []
    monkeypatch.setattr(socket, "getaddrinfo", fake_getaddrinfo(calls))
    if under_gevent:
        monkeypatch.setattr(net.monkey, "is_module_patched", lambda name: name == "socket")
    else:
        monkeypatch.setattr(net, "gevent", None)
    resolve = net.system_resolver(Deadline.start(5))
    assert resolve("images.example.com", 8443) == [
        ip_address("93.184.216.34"),
        ip_address("2606:2800:220:1:248:1893:25c8:1946"),
    ]
    assert calls == [("images.example.com", 8443, (), {"type": socket.SOCK_STREAM})]


def test_the_system_resolver_does_not_look_up_once_the_deadline_has_passed(monkeypatch):
    calls: list = []
    monkeypatch.setattr(socket, "getaddrinfo", fake_getaddrinfo(calls))
    clock = FakeClock()
    resolve = net.system_resolver(Deadline.start(5, clock=clock))
    clock.now += 5
    with pytest.raises(BudgetExceeded):
        resolve("images.example.com", 443)
    assert calls == []

"""Sockets for downloads: connect only to checked addresses, within one deadline.

httpcore (httpx's engine) asks a network backend for each TCP connection. The backends here
resolve the host once, run the SSRF check on those addresses and connect to one of them, so no
second lookup can hand the socket a different (internal) address. httpcore still performs TLS
with the URL's host name (SNI and certificate checks), so https keeps verifying the real site.
Every socket operation (connect, TLS handshake, each read and write) gets at most the time left
of one overall deadline: a server that trickles a byte a second cannot hold a session.
"""

from __future__ import annotations

import socket
import ssl
import time
from collections.abc import Callable, Iterable
from ipaddress import ip_address
from typing import Any

import httpcore

from models.vision_utils.download.url import IPAddress
from provider.deadline import Deadline

try:
    import gevent
    from gevent import monkey
except ImportError:  # pragma: no cover - gevent always comes with dify_plugin
    gevent = monkey = None


def system_resolver(deadline: Deadline) -> Callable[[str, int], list[IPAddress]]:
    """getaddrinfo, bounded by the deadline where gevent can interrupt it (always in the plugin,
    whose sockets and resolver gevent patches)."""

    def resolve(host: str, port: int) -> list[IPAddress]:
        seconds = deadline.left()
        if gevent is not None and monkey.is_module_patched("socket"):
            with gevent.Timeout(seconds, deadline.exceeded()):
                infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        else:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        return [ip_address(info[4][0]) for info in infos]

    return resolve


class DeadlineStream(httpcore.NetworkStream):
    def __init__(self, inner: httpcore.NetworkStream, deadline: Deadline) -> None:
        self._inner = inner
        self._deadline = deadline

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, self._deadline.clamp(timeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, self._deadline.clamp(timeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        upgraded = self._inner.start_tls(ssl_context, server_hostname, self._deadline.clamp(timeout))
        return DeadlineStream(upgraded, self._deadline)

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class CheckedBackend(httpcore.NetworkBackend):
    """`admit(host, port)` returns the checked addresses (or raises), and the socket goes to one
    of them, tried in order. Direct downloads admit with `ssrf.admit`; through a proxy, with
    `proxy_only`."""

    def __init__(
        self,
        admit: Callable[[str, int], list[IPAddress]],
        deadline: Deadline,
        sockets: httpcore.NetworkBackend | None = None,
    ) -> None:
        self._admit = admit
        self._deadline = deadline
        self._sockets = sockets or httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        failure: Exception = OSError(f"no address to connect to for {host}")
        for address in self._admit(host, port):
            try:
                stream = self._sockets.connect_tcp(
                    str(address), port, self._deadline.clamp(timeout), local_address, socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout, OSError) as error:
                failure = error
                continue
            return DeadlineStream(stream, self._deadline)
        raise failure

    def connect_unix_socket(self, *args: Any, **kwargs: Any) -> httpcore.NetworkStream:
        raise OSError("unix sockets are never used for downloads")

    def sleep(self, seconds: float) -> None:
        time.sleep(min(seconds, self._deadline.left()))


def proxy_only(
    proxy_host: str, proxy_port: int, resolve: Callable[[str, int], list[IPAddress]]
) -> Callable[[str, int], list[IPAddress]]:
    """An `admit` for connections through a proxy: only ever to the configured proxy, whose own
    address may be private (Dify's SSRF proxy usually is). The target was checked before the
    request; the proxy's name is configuration, not user input, so it is resolved normally."""

    def admit(host: str, port: int) -> list[IPAddress]:
        if (host, port) != (proxy_host, proxy_port):
            raise OSError(f"refusing to connect to {host}:{port}, which is not the proxy")
        return resolve(host, port)

    return admit

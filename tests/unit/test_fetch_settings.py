"""Download settings and what an administrator sees: the settings read from the plugin's own
environment (proxy variables included), the log line of a download that ran out of time, and a
proxy configured by its IPv6 address."""

from __future__ import annotations

import socket
from ipaddress import ip_address

import httpcore
import pytest

from models.vision_utils.download import fetch
from models.vision_utils.download.fetch import FetchSettings, download, fetch_image, settings_from_env
from provider.errors.tree import DownloadError
from provider.settings import settings
from testkit import fetch_servers as fs
from testkit.images import encode, photo

PNG = encode(photo(40, 30), "PNG")


@pytest.fixture
def fresh_settings():
    settings.cache_clear()  # the plugin reads its environment once per process
    yield
    settings.cache_clear()


def test_without_an_environment_given_the_process_environment_is_read(monkeypatch, fresh_settings):
    monkeypatch.setenv("ATLASCLOUD_FETCH_TIMEOUT_S", "7")
    monkeypatch.setenv("ATLASCLOUD_ALLOWED_FILE_HOSTS", "api:5001")
    monkeypatch.setenv("HTTPS_PROXY", "http://ssrf_proxy:3128")
    current = settings_from_env()
    assert current.timeout_s == 7
    assert {(entry.host, entry.port) for entry in current.allowlist} == {("api", 5001)}
    assert current.proxy_env["HTTPS_PROXY"] == "http://ssrf_proxy:3128", "the daemon's proxy is honoured"


def test_a_download_out_of_time_is_logged_with_its_limit_and_the_setting_to_raise(caplog):
    def resolver(deadline):
        def resolve(host: str, port: int):
            raise deadline.exceeded()  # what the system resolver raises when the deadline ends first

        return resolve

    with pytest.raises(DownloadError):
        fetch_image("http://images.example.com/cat.png", FetchSettings(timeout_s=20, resolver=resolver))
    assert [record.getMessage() for record in caplog.records if record.name == fetch.logger.name] == [
        "image download failed: http://images.example.com/cat.png: BudgetExceeded: The download did not finish "
        "within 20 s, the limit for one download, redirects included. An administrator can raise it with "
        "ATLASCLOUD_FETCH_TIMEOUT_S."
    ]


class LoopbackFor(httpcore.NetworkBackend):
    """Sockets where one address (here the proxy's IPv6 one) reaches a loopback server."""

    def __init__(self, address: str, port: int) -> None:
        self.address = address
        self.port = port
        self.asked: list[tuple[str, int]] = []

    def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        self.asked.append((host, port))
        if host != self.address:
            raise httpcore.ConnectError(f"{host} is unreachable in this test")
        return httpcore.SyncBackend().connect_tcp("127.0.0.1", self.port, timeout)


def test_a_proxy_given_by_its_ipv6_address_is_used(monkeypatch):
    proxy = fs.serving()
    proxy.default = fs.image(PNG)  # a forward proxy answering as if it had fetched the image

    def lookup(host, port, *args, **kwargs):  # the proxy's literal, resolved without a name server
        return [(socket.AF_INET6, socket.SOCK_STREAM, 6, "", (host, port, 0, 0))]

    monkeypatch.setattr(socket, "getaddrinfo", lookup)
    sockets = LoopbackFor("fd00::7", proxy.port)
    settings = FetchSettings(
        timeout_s=5.0,
        proxy_env={"HTTP_PROXY": "http://[fd00::7]:3128"},
        resolver=lambda deadline: lambda host, port: [ip_address("93.184.216.34")],
        sockets=sockets,
    )
    try:
        assert download("http://images.example.com/cat.png", settings) == PNG
    finally:
        proxy.stop()
    assert sockets.asked == [("fd00::7", 3128)]
    assert proxy.seen.request_lines == ["GET http://images.example.com/cat.png HTTP/1.1"]

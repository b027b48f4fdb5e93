"""https downloads connect to the checked IP address yet verify the URL's host name (SNI and
certificate), so pinning the address never weakens TLS."""

from __future__ import annotations

import shutil
import ssl
import subprocess
from collections.abc import Iterator
from ipaddress import ip_address
from pathlib import Path

import httpcore
import pytest

from models.vision_utils.download.fetch import FetchSettings, download
from provider.client import tls_context
from testkit import fetch_servers as fs
from tests.unit.test_fetch import PNG, PUBLIC, RelaySockets

NAME = "images.example.com"


def self_signed(folder: Path, common_name: str, alt_name: str) -> tuple[Path, Path]:
    """A self-signed certificate and its key, made with the openssl command line."""
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command is needed to make a test certificate")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", f"/CN={common_name}",
         "-addext", f"subjectAltName={alt_name}", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    return cert, key


@pytest.fixture(scope="module")
def certificate(tmp_path_factory) -> tuple[Path, Path]:
    """For NAME."""
    return self_signed(tmp_path_factory.mktemp("tls"), NAME, f"DNS:{NAME}")


@pytest.fixture
def tls_server(certificate) -> Iterator[fs.ScriptedServer]:
    cert, key = certificate
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server = fs.ScriptedServer(tls=context)
    server.routes["/cat.png"] = fs.image(PNG)
    yield server
    server.stop()


def settings_for(server: fs.ScriptedServer, trust: Path | None) -> tuple[FetchSettings, RelaySockets]:
    sockets = RelaySockets({PUBLIC: server.port})
    context = ssl.create_default_context(cafile=str(trust)) if trust else None
    dns = {NAME: PUBLIC, "other.example.com": PUBLIC}
    resolver = lambda deadline: lambda host, port: [ip_address(dns[host])]  # noqa: E731
    return FetchSettings(timeout_s=5.0, resolver=resolver, sockets=sockets, ssl_context=context), sockets


def test_https_reaches_the_checked_address_and_verifies_the_name(tls_server, certificate):
    settings, sockets = settings_for(tls_server, trust=certificate[0])
    assert download(f"https://{NAME}/cat.png", settings) == PNG
    assert sockets.asked == [PUBLIC]


def test_a_certificate_for_another_name_is_refused(tls_server, certificate):
    settings, _ = settings_for(tls_server, trust=certificate[0])
    with pytest.raises(httpcore.ConnectError, match=r"CERTIFICATE_VERIFY_FAILED.*Hostname mismatch"):
        download("https://other.example.com/cat.png", settings)


def test_an_untrusted_certificate_is_refused(tls_server):
    settings, _ = settings_for(tls_server, trust=None)
    with pytest.raises(httpcore.ConnectError, match=r"CERTIFICATE_VERIFY_FAILED.*self-signed"):
        download(f"https://{NAME}/cat.png", settings)
    assert tls_server.seen.request_lines == [], "no request was sent over the unverified connection"


@pytest.fixture(scope="module")
def loopback_certificate(tmp_path_factory) -> tuple[Path, Path]:
    """For the address 127.0.0.1 (an https proxy's)."""
    return self_signed(tmp_path_factory.mktemp("proxy-tls"), "127.0.0.1", "IP:127.0.0.1")


def test_an_https_proxy_is_reached_over_verified_tls(loopback_certificate, monkeypatch):
    cert, key = loopback_certificate
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    proxy = fs.ScriptedServer(tls=context)
    proxy.default = fs.image(PNG)  # answers the absolute-form request as if it had fetched it
    resolver = lambda deadline: lambda host, port: [ip_address(PUBLIC)]  # noqa: E731
    # The targets' trust (settings.ssl_context) is not the proxy's: the proxy is operator configuration.
    settings = FetchSettings(
        timeout_s=5.0,
        resolver=resolver,
        proxy_env={"HTTP_PROXY": f"https://127.0.0.1:{proxy.port}"},
        ssl_context=ssl.create_default_context(),
    )
    try:
        tls_context.cache_clear()
        monkeypatch.delenv("SSL_CERT_FILE", raising=False)
        with pytest.raises(httpcore.ConnectError):  # the proxy's certificate is not trusted yet
            download(f"http://{NAME}/cat.png", settings)
        assert proxy.seen.request_lines == []
        tls_context.cache_clear()
        monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # the operator's extra trust (README)
        assert download(f"http://{NAME}/cat.png", settings) == PNG
        assert proxy.seen.request_lines == [f"GET http://{NAME}/cat.png HTTP/1.1"]
    finally:
        tls_context.cache_clear()
        proxy.stop()

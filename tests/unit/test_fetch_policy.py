"""Pure parts of URL handling: which URLs are forwarded, which proxy applies, the deadline."""

from __future__ import annotations

import socket
import time

import pytest

from models.vision_utils.download import net as fetch_net
from models.vision_utils.download import url_policy as ssrf
from models.vision_utils.download.fetch import looks_like_image, settings_from_env
from models.vision_utils.download.proxy import Proxy, proxy_for
from models.vision_utils.image.part import is_forwardable_url
from provider.deadline import Deadline
from provider.errors.tree import BudgetExceeded
from provider.settings import settings

ALLOWLIST, _ = ssrf.parse_allowlist("files.example.com,api:5001")

FORWARDING_TABLE = [
    ("https://images.example.com/cat.jpg", True),
    ("https://images.example.com/cat.JPEG?size=large", True),
    ("https://images.example.com/a/b/cat.webp", True),
    ("https://images.example.com:443/cat.png", True),
    ("https://8.8.8.8/cat.png", True),
    ("https://[2606:4700:4700::1111]/cat.png", True),
    ("http://images.example.com/cat.jpg", False),  # plain http: the plugin downloads it
    ("https://images.example.com/cat.gif", False),  # a format to convert
    ("https://images.example.com/cat.jpg.html", False),
    ("https://images.example.com:8443/cat.jpg", False),  # port tricks
    ("https://user@images.example.com/cat.jpg", False),
    ("https://127.0.0.1/cat.png", False),
    ("https://2130706433/cat.png", False),
    ("https://[::ffff:127.0.0.1]/cat.png", False),
    ("https://10.0.0.1/cat.png", False),
    ("https://localhost/cat.png", False),
    ("https://api/cat.png", False),
    ("https://metadata.google.internal/cat.png", False),
    ("https://printer.local/cat.png", False),
    ("https://files.example.com/cat.png", False),  # allowlisted: Dify's internal file server
    ("https://[::1/cat.png", False),
    ("https://images.example.com\\@127.0.0.1/cat.png", False),
]


@pytest.mark.parametrize(("url", "forwarded"), FORWARDING_TABLE)
def test_only_public_https_image_urls_are_forwarded(url, forwarded):
    assert is_forwardable_url(url, ALLOWLIST) is forwarded


def test_forwarding_reads_the_allowlist_from_the_environment(monkeypatch):
    monkeypatch.setenv("ATLASCLOUD_ALLOWED_FILE_HOSTS", "dify.example.com")
    assert not is_forwardable_url("https://dify.example.com/files/cat.png")
    monkeypatch.delenv("ATLASCLOUD_ALLOWED_FILE_HOSTS")
    settings.cache_clear()  # the plugin reads its environment once per process
    assert is_forwardable_url("https://dify.example.com/files/cat.png")


PROXY_TABLE = [
    # (scheme, host, environment, proxy or None)
    ("http", "images.example.com", {}, None),
    (
        "http",
        "images.example.com",
        {"HTTP_PROXY": "http://ssrf_proxy:3128"},
        Proxy("http", "ssrf_proxy", 3128, None, None),
    ),
    ("https", "images.example.com", {"HTTP_PROXY": "http://ssrf_proxy:3128"}, None),
    ("https", "images.example.com", {"HTTPS_PROXY": "ssrf_proxy:3128"}, Proxy("http", "ssrf_proxy", 3128, None, None)),
    (
        "https",
        "x.example.com",
        {"https_proxy": "http://a:1", "HTTPS_PROXY": "http://b:2"},
        Proxy("http", "a", 1, None, None),
    ),
    ("https", "x.example.com", {"ALL_PROXY": "socks5h://s"}, Proxy("socks5h", "s", 1080, None, None)),
    ("http", "x.example.com", {"HTTP_PROXY": "http://u%40x:p%3Aw@p:8"}, Proxy("http", "p", 8, "u@x", "p:w")),
    ("http", "x.example.com", {"HTTP_PROXY": "http://p:8", "NO_PROXY": "*"}, None),
    ("http", "example.com", {"HTTP_PROXY": "http://p:8", "NO_PROXY": "example.com"}, None),
    ("http", "a.example.com", {"HTTP_PROXY": "http://p:8", "NO_PROXY": ".example.com"}, None),
    ("http", "a.example.com", {"HTTP_PROXY": "http://p:8", "no_proxy": "*.example.com"}, None),
    (
        "http",
        "badexample.com",
        {"HTTP_PROXY": "http://p:8", "NO_PROXY": "example.com"},
        Proxy("http", "p", 8, None, None),
    ),
    ("http", "api", {"HTTP_PROXY": "http://p:8", "NO_PROXY": "localhost, api:5001"}, None),
    ("http", "10.1.2.3", {"HTTP_PROXY": "http://p:8", "NO_PROXY": "10.0.0.0/8"}, None),
    ("http", "11.1.2.3", {"HTTP_PROXY": "http://p:8", "NO_PROXY": "10.0.0.0/8"}, Proxy("http", "p", 8, None, None)),
    ("http", "x.example.com", {"HTTP_PROXY": ""}, None),
]


@pytest.mark.parametrize(("scheme", "host", "env", "expected"), PROXY_TABLE)
def test_proxy_choice_follows_the_standard_variables(scheme, host, env, expected):
    assert proxy_for(scheme, host, env) == expected


def test_an_unusable_proxy_fails_instead_of_being_bypassed():
    with pytest.raises(ValueError):
        proxy_for("http", "x.example.com", {"HTTP_PROXY": "ftp://p:21"})


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_the_deadline_covers_the_whole_download_not_each_step():
    clock = FakeClock()
    deadline = Deadline.start(20, clock=clock)
    assert deadline.clamp(None) == 20 and deadline.clamp(5) == 5
    clock.now += 18
    assert deadline.clamp(5) == pytest.approx(2), "a later step gets only what is left"
    clock.now += 2
    with pytest.raises(BudgetExceeded):
        deadline.clamp(5)


def test_settings_come_from_the_environment():
    settings = settings_from_env({"ATLASCLOUD_ALLOWED_FILE_HOSTS": "api:5001", "ATLASCLOUD_FETCH_TIMEOUT_S": "2.5"})
    assert settings.allowlist == {ssrf.AllowedHost("api", 5001)} and settings.timeout_s == 2.5
    defaults = settings_from_env({"ATLASCLOUD_FETCH_TIMEOUT_S": "soon"})
    assert defaults.allowlist == frozenset() and defaults.timeout_s == 20 and defaults.max_redirects == 3
    assert defaults.max_bytes == 50 * 1024 * 1024
    proxied = settings_from_env({"HTTPS_PROXY": "http://proxy:3128", "NO_PROXY": "api"})
    assert dict(proxied.proxy_env) == {"HTTPS_PROXY": "http://proxy:3128", "NO_PROXY": "api"}, "the daemon's proxy"
    assert settings_from_env({"ATLASCLOUD_FETCH_TIMEOUT_S": "0.01"}).timeout_s == 0.1, "a floor, never zero"
    assert settings_from_env({"ATLASCLOUD_FETCH_TIMEOUT_S": "0.5"}).timeout_s == 0.5


@pytest.mark.parametrize(
    ("start", "image"),
    [
        (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01", True),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\r", True),
        (b"GIF89a\x01\x00\x01\x00\x00\x00", True),
        (b"RIFF\x10\x00\x00\x00WEBP", True),
        (b"\x00\x00\x00\x18ftypheic", True),
        (b"II*\x00\x08\x00\x00\x00\x00\x00\x00\x00", True),
        (b"<!DOCTYPE html>", False),
        (b'{"error": "no"}', False),
        (b"RIFF\x10\x00\x00\x00WAVE", False),
        (b"", False),
    ],
)
def test_the_body_must_start_like_an_image(start, image):
    assert looks_like_image(start) is image


def test_a_slow_dns_lookup_ends_at_the_deadline(monkeypatch):
    from gevent import monkey

    if not monkey.is_module_patched("socket"):
        pytest.skip("the plugin always runs under gevent; this process was not patched")
    calls = []

    def slow_lookup(*args, **kwargs):
        calls.append(args[0])
        time.sleep(30)  # gevent's cooperative sleep: a DNS server that never answers
        return []

    monkeypatch.setattr(socket, "getaddrinfo", slow_lookup)
    resolve = fetch_net.system_resolver(Deadline.start(0.3))
    with pytest.raises(BudgetExceeded):
        resolve("slow.example.com", 80)
    assert calls == ["slow.example.com"]


def test_an_allowlist_entry_with_port_443_also_keeps_its_host_from_being_forwarded():
    allowlist, _ = ssrf.parse_allowlist("files.example.com:443")
    assert not is_forwardable_url("https://files.example.com/cat.png", allowlist)
    assert not is_forwardable_url("https://files.example.com:443/cat.png", allowlist)
    assert is_forwardable_url("https://images.example.com/cat.png", allowlist)

"""Which proxy a download uses (download/proxy.py), read from the standard variables the Dify
daemon passes on: the URL forms an operator writes, default ports, credentials, and NO_PROXY
entries (names, subdomains, ports, IP addresses, CIDR blocks, IPv6, `*`)."""

from __future__ import annotations

import pytest

from models.vision_utils.download.proxy import Proxy, bypasses_proxy, parse_proxy, proxy_for

PARSED = [
    ("http://proxy:3128", Proxy("http", "proxy", 3128, None, None)),
    ("http://proxy", Proxy("http", "proxy", 80, None, None)),
    ("https://proxy", Proxy("https", "proxy", 443, None, None)),
    ("socks5://proxy", Proxy("socks5", "proxy", 1080, None, None)),
    ("socks5h://proxy:9050", Proxy("socks5h", "proxy", 9050, None, None)),
    ("HTTP://Proxy.Example.COM:8080", Proxy("http", "proxy.example.com", 8080, None, None)),
    ("proxy.internal", Proxy("http", "proxy.internal", 80, None, None)),
    ("http://[fd00::7]:3128", Proxy("http", "fd00::7", 3128, None, None)),
    ("http://user@proxy:8", Proxy("http", "proxy", 8, "user", None)),
    ("http://us%20er:p%40ss@proxy:8", Proxy("http", "proxy", 8, "us er", "p@ss")),
]


@pytest.mark.parametrize(("value", "proxy"), PARSED)
def test_proxy_urls_are_read_like_curl_reads_them(value, proxy):
    assert parse_proxy(value) == proxy


@pytest.mark.parametrize("value", ["ftp://proxy:21", "http://", "http://:3128", "file:///tmp/proxy"])
def test_a_proxy_url_that_cannot_be_used_is_an_error_naming_its_scheme(value):
    scheme = value.split("://")[0]
    with pytest.raises(ValueError, match=f"^unsupported proxy URL scheme '{scheme}'$"):
        parse_proxy(value)


BYPASS = [
    # (host, NO_PROXY, bypassed)
    ("images.example.com", "", False),
    ("images.example.com", " , ,", False),
    ("images.example.com", "*", True),
    ("images.example.com", "other.org,*", True),
    ("images.example.com", "other.org example.com", True),  # spaces separate entries too
    ("images.example.com", "other.org, example.com", True),
    ("images.example.com", " EXAMPLE.com ", True),
    ("example.com", "*.example.com", True),
    ("images.example.com", "*.example.com", True),
    ("images.example.com", ".example.com", True),
    ("images.example.com", "example.com:8080", True),  # the port of an entry is ignored
    ("badexample.com", "example.com", False),
    ("example.com", "images.example.com", False),
    ("10.1.2.3", "10.0.0.0/8", True),
    ("10.1.2.3", "10.1.2.3", True),
    ("11.1.2.3", "10.0.0.0/8", False),
    ("10.1.2.3", "10.1.2.3:8080", True),
    ("10.9.9.9", "10.1.2.3/8", True),  # a block written with host bits set, as curl accepts it
    ("fd00", "fd00::7", False),  # an IPv6 entry is not read as a name with a port
    ("fd00::7", "[fd00::7]", True),
    ("fd00::7", "fd00::/8", True),
    ("fe80::1", "fd00::/8", False),
    ("fd00::7", "[fd00::8]", False),
    ("fd00::7", "[fd00::7]:3128", True),  # a bracketed address with a port, as in a proxy URL
    ("fd00::7", "[fd00::8]:3128", False),
]


@pytest.mark.parametrize(("host", "no_proxy", "bypassed"), BYPASS)
def test_no_proxy_entries_match_names_subdomains_and_addresses(host, no_proxy, bypassed):
    assert bypasses_proxy(host, no_proxy) is bypassed


def test_each_scheme_has_its_own_variable_then_all_proxy():
    env = {"HTTP_PROXY": "http://plain:1", "HTTPS_PROXY": "http://secure:2", "ALL_PROXY": "http://any:3"}
    assert proxy_for("http", "x.example.com", env) == Proxy("http", "plain", 1, None, None)
    assert proxy_for("https", "x.example.com", env) == Proxy("http", "secure", 2, None, None)
    assert proxy_for("https", "x.example.com", {"all_proxy": " http://any:3 "}) == Proxy("http", "any", 3, None, None)


def test_lower_case_variables_win_and_a_blank_one_means_no_proxy():
    assert proxy_for("http", "x.example.com", {"http_proxy": "http://a:1", "HTTP_PROXY": "http://b:2"}).host == "a"
    assert proxy_for("http", "x.example.com", {"http_proxy": "", "HTTP_PROXY": "http://b:2"}).host == "b"
    assert proxy_for("http", "x.example.com", {"http_proxy": "   "}) is None


def test_no_proxy_is_read_in_either_case():
    env = {"HTTP_PROXY": "http://p:8"}
    assert proxy_for("http", "api", {**env, "no_proxy": "api"}) is None
    assert proxy_for("http", "api", {**env, "NO_PROXY": "api"}) is None
    assert proxy_for("http", "api", {**env, "no_proxy": "", "NO_PROXY": "api"}) is None
    assert proxy_for("http", "api", {**env, "NO_PROXY": "other"}) == Proxy("http", "p", 8, None, None)

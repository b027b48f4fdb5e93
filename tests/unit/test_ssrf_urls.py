"""parse_image_url: each refusal with the reason the plugin log gives, the numeric-host
boundaries of the WHATWG IPv4 parser, and the request target built from the one reading."""

from __future__ import annotations

import pytest

from models.vision_utils.download.url import MAX_URL_CHARS, canonical_host, parse_image_url
from provider.errors.tree import MalformedURL

REFUSED = [
    ("http://a b.com/", "the URL contains spaces, control characters or backslashes"),
    ("http://a.com\\@127.0.0.1/", "the URL contains spaces, control characters or backslashes"),
    ("http://[::1/", "Invalid IPv6 URL"),  # urlsplit's own words, passed on
    ("http://x.com:99999/", "Port out of range 0-65535"),
    ("ftp://x.com/a.png", "the scheme 'ftp' is not http or https"),
    ("//x.com/a.png", "the scheme '(none)' is not http or https"),
    ("http://user:pw@x.com/", "credentials in image URLs are not accepted"),
    ("http://x.com:0/", "port 0"),
    ("http://[::1]x/", "unexpected characters after the IPv6 address"),
    ("http://[::1]]:80/", "unexpected characters after the IPv6 address"),
    ("http://[fe80::1%25eth0]/", "IPv6 zone identifiers are not accepted"),
    ("http:///a.png", "the URL has no host"),
    ("http://" + "ä" * 70 + ".com/", "the international host name is not valid"),
    ("http://a..b/", "the host is not a valid name"),
    ("http://-a.com/", "the host is not a valid name"),
    ("http://1.2.3.4.5/", "the numeric host has more than four parts"),
    ("http://1.300.4/", "the numeric host is out of range"),
    ("http://1.2.3.256/", "the numeric host is out of range"),
    ("http://1.2.65536/", "the numeric host is out of range"),
    ("http://1.16777216/", "the numeric host is out of range"),
    ("http://4294967296/", "the numeric host is out of range"),
    ("http://09.1.1.1/", "the numeric host is not a valid IPv4 address"),
]


@pytest.mark.parametrize(("url", "reason"), REFUSED)
def test_each_refusal_names_its_reason(url, reason):
    with pytest.raises(MalformedURL) as refused:
        parse_image_url(url)
    assert str(refused.value) == reason


def test_an_ipv6_literal_that_is_not_one_is_refused():
    # urlsplit already refuses these in a URL; the allowlist reads hosts through the same function.
    with pytest.raises(MalformedURL, match=r"^the IPv6 address is not valid$"):
        canonical_host("zz::1::", bracketed=True)
    assert canonical_host("0:0::1", bracketed=True)[0] == "::1"


def test_the_length_limits_are_inclusive():
    head = "https://example.com/"
    assert len(str(parse_image_url(head + "a" * (MAX_URL_CHARS - len(head))))) == MAX_URL_CHARS
    with pytest.raises(MalformedURL, match=f"^the URL is longer than {MAX_URL_CHARS} characters$"):
        parse_image_url(head + "a" * (MAX_URL_CHARS - len(head) + 1))
    name = ".".join(["a" * 63] * 3 + ["a" * 61])  # 253 characters: the longest DNS name
    assert parse_image_url(f"http://{name}/").host == name
    with pytest.raises(MalformedURL, match=r"^the host is not a valid name$"):
        parse_image_url(f"http://{name}a/")


@pytest.mark.parametrize(
    ("host", "address"),
    [
        ("1.2.3.255", "1.2.3.255"),
        ("1.2.65535", "1.2.255.255"),
        ("1.16777215", "1.255.255.255"),
        ("4294967295", "255.255.255.255"),
        ("0x", "0.0.0.0"),
        ("0", "0.0.0.0"),
        ("0x7f.1", "127.0.0.1"),
        ("0177.0.0.01", "127.0.0.1"),
    ],
)
def test_numeric_hosts_at_their_limits_are_read_as_addresses(host, address):
    assert str(parse_image_url(f"http://{host}/").address) == address


def test_international_names_are_looked_up_in_their_ascii_form():
    assert parse_image_url("http://Exämple.COM./a.png").host == "xn--exmple-cua.com"


def test_the_request_target_keeps_safe_characters_and_encodes_the_rest():
    url = parse_image_url("https://x.com/a(b)@c:d;e=f,g+h$i!j*k'~/%41/ä.png?s=(1)&t=a?b/c@d")
    assert url.target == "/a(b)@c:d;e=f,g+h$i!j*k'~/%41/%C3%A4.png?s=(1)&t=a?b/c@d"
    assert parse_image_url("https://x.com").target == "/"


def test_the_log_form_drops_the_query_and_only_the_query():
    signed = parse_image_url("http://api:5001/files/1/file-preview?timestamp=1&sign=secret")
    assert signed.for_log() == "http://api:5001/files/1/file-preview?<query removed>"
    assert parse_image_url("https://x.com/a.png").for_log() == "https://x.com/a.png"

"""One strict reading of an image URL (pure; no network).

Parsers that disagree about a URL's host are a classic SSRF bypass (`http://a.com\\@127.0.0.1/`,
`http://127.0.0.1\\t.a.com/`), so the plugin reads each URL once, here, checks that reading and
builds its request from the same reading. Anything ambiguous is refused rather than guessed:
spaces, control characters and backslashes anywhere, credentials, zone ids, percent-encoded
host names, malformed ports. Numeric IPv4 spellings (`127.1`, `2130706433`, `0x7f000001`,
`0177.0.0.1`) are read the way browsers and `inet_aton` read them (the WHATWG URL standard's
IPv4 parser) and become ordinary addresses, so the address rule sees what a socket would reach.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv6Address
from urllib.parse import quote, urlsplit

from provider.errors.tree import MalformedURL

DEFAULT_PORTS = {"http": 80, "https": 443}
MAX_URL_CHARS = 8192
_MAX_NAME_CHARS = 253
# Letters, digits, hyphens; underscores too, since Docker service names (Dify's `api`, a
# `docker_api_1` container) may carry them.
_LABEL = re.compile(r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?")
_AMBIGUOUS = re.compile(r"[\x00-\x20\x7f\\]")
_DECIMAL = re.compile(r"[0-9]+")
_HEX = re.compile(r"0[xX][0-9a-fA-F]*")
_AFTER_BRACKET = re.compile(r"(:[0-9]*)?")
# RFC 3986 characters a request target may carry as they are; anything else is percent-encoded.
_SAFE_PATH = "/%:@!$&'()*+,;=-._~"

type IPAddress = IPv4Address | IPv6Address


@dataclass(frozen=True)
class ImageURL:
    scheme: str  # "http" or "https"
    host: str  # lower-case DNS name without a trailing dot, or a canonical IP address
    port: int  # the effective port
    explicit_port: bool
    target: str  # path and query as sent on the request line
    address: IPAddress | None  # the host, when it is an IP literal

    @property
    def authority(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == DEFAULT_PORTS[self.scheme] else f"{host}:{self.port}"

    @property
    def path(self) -> str:
        return self.target.partition("?")[0]

    def __str__(self) -> str:
        return f"{self.scheme}://{self.authority}{self.target}"

    def for_log(self) -> str:
        """Without the query: Dify's file URLs carry their signature there."""
        query = "?<query removed>" if "?" in self.target else ""
        return f"{self.scheme}://{self.authority}{self.path}{query}"


def parse_image_url(url: str) -> ImageURL:
    if len(url) > MAX_URL_CHARS:
        raise MalformedURL(f"the URL is longer than {MAX_URL_CHARS} characters")
    if _AMBIGUOUS.search(url):
        raise MalformedURL("the URL contains spaces, control characters or backslashes")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:  # "Invalid IPv6 URL", "Port out of range", a non-numeric port
        raise MalformedURL(str(error)) from None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise MalformedURL(f"the scheme {scheme or '(none)'!r} is not http or https")
    if "@" in parts.netloc:
        raise MalformedURL("credentials in image URLs are not accepted")
    if port == 0:
        raise MalformedURL("port 0")
    if parts.netloc.startswith("[") and not _AFTER_BRACKET.fullmatch(parts.netloc.partition("]")[2]):
        raise MalformedURL("unexpected characters after the IPv6 address")
    host, address = canonical_host(parts.hostname or "", bracketed=parts.netloc.startswith("["))
    target = quote(parts.path or "/", safe=_SAFE_PATH)
    if parts.query:
        target += "?" + quote(parts.query, safe=_SAFE_PATH + "?")
    return ImageURL(scheme, host, port or DEFAULT_PORTS[scheme], port is not None, target, address)


def canonical_host(raw: str, *, bracketed: bool) -> tuple[str, IPAddress | None]:
    """(host, address): IP literals in their canonical spelling, names lower-cased and checked."""
    if not raw:
        raise MalformedURL("the URL has no host")
    if bracketed:
        if "%" in raw:
            raise MalformedURL("IPv6 zone identifiers are not accepted")
        try:
            v6 = IPv6Address(raw)
        except ValueError:
            raise MalformedURL("the IPv6 address is not valid") from None
        return str(v6), v6
    name = raw.lower().removesuffix(".")
    if not name.isascii():
        try:
            name = name.encode("idna").decode("ascii")
        except UnicodeError:
            raise MalformedURL("the international host name is not valid") from None
    v4 = whatwg_ipv4(name)
    if v4 is not None:
        return str(v4), v4
    if len(name) > _MAX_NAME_CHARS or not all(_LABEL.fullmatch(label) for label in name.split(".")):
        raise MalformedURL("the host is not a valid name")
    return name, None


def whatwg_ipv4(name: str) -> IPv4Address | None:
    """The address a host whose last label is a number stands for (WHATWG URL standard, "IPv4
    parser": 1 to 4 parts, each decimal, octal with a leading 0 or hex with 0x; the last part
    fills the remaining bytes). None for a DNS name; MalformedURL when it cannot be an address."""
    labels = name.split(".")
    if not _is_number(labels[-1]):
        return None
    if len(labels) > 4:
        raise MalformedURL("the numeric host has more than four parts")
    numbers = [_ipv4_part(label) for label in labels]
    if any(number > 255 for number in numbers[:-1]) or numbers[-1] >= 256 ** (5 - len(numbers)):
        raise MalformedURL("the numeric host is out of range")
    value = numbers[-1] + sum(number << (8 * (3 - index)) for index, number in enumerate(numbers[:-1]))
    return IPv4Address(value)


def _is_number(label: str) -> bool:
    return bool(_DECIMAL.fullmatch(label) or _HEX.fullmatch(label))


def _ipv4_part(label: str) -> int:
    try:
        if _HEX.fullmatch(label):
            return int(label[2:] or "0", 16)
        if _DECIMAL.fullmatch(label):
            return int(label, 8) if len(label) > 1 and label.startswith("0") else int(label)
    except ValueError:  # 8 or 9 in an octal part
        pass
    raise MalformedURL("the numeric host is not a valid IPv4 address")

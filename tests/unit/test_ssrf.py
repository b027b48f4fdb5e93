"""The SSRF decision, table-driven, with no traffic: URL (+ allowlist, + a stub DNS) -> decision.

Ranges: IANA's IPv4 and IPv6 special-purpose registries (iana.org/assignments/
iana-ipv4-special-registry, iana-ipv6-special-registry); NAT64 per RFC 6052; numeric IPv4
spellings per the WHATWG URL standard's IPv4 parser (what browsers and inet_aton accept).
"""

from __future__ import annotations

import socket
from ipaddress import ip_address

import pytest

from models.vision_utils.download import url_policy as ssrf
from models.vision_utils.download.url import parse_image_url, whatwg_ipv4
from provider.errors.tree import MalformedURL, Refused

# The stub DNS: names the tests use, and what they resolve to. Anything else fails to resolve.
DNS = {
    "public.example.com": ["93.184.216.34"],
    "v6.example.com": ["2606:2800:220:1:248:1893:25c8:1946"],
    "nat64.example.com": ["64:ff9b::5db8:d822"],  # 93.184.216.34 through NAT64
    "rebind.example.com": ["93.184.216.34", "127.0.0.1"],  # one bad address is enough
    "mixed6.example.com": ["2606:4700::1111", "::1"],
    "intranet.example.com": ["10.0.0.5"],
    "docker.example.com": ["172.18.0.5"],
    "localtest.me": ["127.0.0.1"],  # a public name that points at loopback
    "metadata.google.internal": ["93.184.216.34"],  # refused by name whatever it resolves to
    "metadata.example.com": ["169.254.169.254"],
    "empty.example.com": [],
    "api": ["172.18.0.5"],  # Dify's API container on the Docker network
    "files.example.com": ["10.1.2.3"],
}


def stub_resolver(asked: list[str]) -> ssrf.Resolver:
    def resolve(host: str, port: int) -> list:
        asked.append(host)
        if host not in DNS:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [ip_address(a) for a in DNS[host]]

    return resolve


def decide(url: str, allowlist: str = "") -> str:
    try:
        target = parse_image_url(url)
    except MalformedURL:
        return "malformed"
    allowed, invalid = ssrf.parse_allowlist(allowlist)
    assert not invalid
    try:
        ssrf.admit(target.host, target.port, allowed, stub_resolver([]))
    except (Refused, OSError):
        return "refuse"
    return "allow"


IPV4_TABLE = [
    ("127.0.0.1", "refuse"),  # loopback
    ("127.255.255.254", "refuse"),
    ("10.0.0.1", "refuse"),  # private
    ("172.16.0.1", "refuse"),
    ("172.31.255.255", "refuse"),
    ("172.32.0.1", "allow"),  # just outside 172.16/12
    ("192.168.1.1", "refuse"),
    ("169.254.169.254", "refuse"),  # link-local: cloud metadata
    ("100.64.0.1", "refuse"),  # CGNAT
    ("100.100.100.200", "refuse"),  # Alibaba Cloud metadata, inside CGNAT
    ("100.128.0.1", "allow"),  # just outside 100.64/10
    ("0.0.0.0", "refuse"),  # unspecified: reaches the local host on Linux
    ("0.1.2.3", "refuse"),  # 0/8
    ("224.0.0.1", "refuse"),  # multicast
    ("239.255.255.250", "refuse"),
    ("240.0.0.1", "refuse"),  # reserved
    ("255.255.255.255", "refuse"),  # broadcast
    ("192.0.0.1", "refuse"),  # IETF protocol assignments
    ("192.0.2.1", "refuse"),  # documentation
    ("198.51.100.1", "refuse"),
    ("203.0.113.1", "refuse"),
    ("198.18.0.1", "refuse"),  # benchmarking
    ("198.19.255.255", "refuse"),
    ("192.88.99.1", "refuse"),  # 6to4 relay anycast
    ("8.8.8.8", "allow"),
    ("93.184.216.34", "allow"),
]

SPELLINGS_TABLE = [
    ("127.1", "refuse"),
    ("2130706433", "refuse"),
    ("0x7f000001", "refuse"),
    ("0177.0.0.1", "refuse"),
    ("0x7f.1", "refuse"),
    ("0x7F.0.0.0x1", "refuse"),
    ("127.0.0.1.", "refuse"),  # trailing dot
    ("0", "refuse"),  # 0.0.0.0
    ("0x0a.0.0.1", "refuse"),  # 10.0.0.1
    ("3232235777", "refuse"),  # 192.168.1.1
    ("0251.0376.0251.0376", "refuse"),  # 169.254.169.254 in octal
    ("0xa9fea9fe", "refuse"),  # 169.254.169.254 in hex
    ("134744072", "allow"),  # 8.8.8.8: spellings are read, not blanket-refused
    ("[::ffff:127.0.0.1]", "refuse"),  # IPv4-mapped
    ("[::ffff:7f00:1]", "refuse"),
    ("[::ffff:10.0.0.1]", "refuse"),
    ("[::ffff:169.254.169.254]", "refuse"),
    ("[::ffff:8.8.8.8]", "allow"),
]

IPV6_TABLE = [
    ("[::1]", "refuse"),  # loopback
    ("[::]", "refuse"),  # unspecified
    ("[fe80::1]", "refuse"),  # link-local
    ("[fc00::1]", "refuse"),  # unique-local
    ("[fd12:3456::1]", "refuse"),
    ("[fec0::1]", "refuse"),  # site-local (deprecated)
    ("[ff02::1]", "refuse"),  # multicast
    ("[ff0e::1]", "refuse"),
    ("[::127.0.0.1]", "refuse"),  # IPv4-compatible (deprecated)
    ("[::8.8.8.8]", "refuse"),
    ("[64:ff9b::127.0.0.1]", "refuse"),  # NAT64 of loopback
    ("[64:ff9b::a9fe:a9fe]", "refuse"),  # NAT64 of 169.254.169.254
    ("[64:ff9b::8.8.8.8]", "allow"),  # NAT64 of a public address (IPv6-only networks)
    ("[64:ff9b:1::a00:1]", "refuse"),  # local-use NAT64 prefix
    ("[2002:7f00:1::1]", "refuse"),  # 6to4 of 127.0.0.1
    ("[2002:808:808::1]", "refuse"),  # 6to4 at all
    ("[2001:0:4136:e378:8000:63bf:3fff:fdd2]", "refuse"),  # Teredo
    ("[2001:2::1]", "refuse"),  # benchmarking
    ("[2001:db8::1]", "refuse"),  # documentation
    ("[3fff::1]", "refuse"),  # documentation (RFC 9637)
    ("[100::1]", "refuse"),  # discard-only
    ("[5f00::1]", "refuse"),  # SRv6 SIDs, outside 2000::/3
    ("[2606:4700:4700::1111]", "allow"),
    ("[2001:4860:4860::8888]", "allow"),
]

NAMES_TABLE = [
    ("localhost", "refuse"),
    ("LOCALHOST.", "refuse"),
    ("foo.localhost", "refuse"),
    ("metadata.google.internal", "refuse"),
    ("metadata.goog", "refuse"),
    ("metadata", "refuse"),
    ("instance-data", "refuse"),
    ("metadata.example.com", "refuse"),  # resolves to 169.254.169.254
    ("printer.local", "refuse"),
    ("router.home.arpa", "refuse"),
    ("db.internal", "refuse"),
    ("api", "refuse"),  # single label: a Docker service
    ("localtest.me", "refuse"),
    ("intranet.example.com", "refuse"),
    ("docker.example.com", "refuse"),
    ("rebind.example.com", "refuse"),  # every address must be public
    ("mixed6.example.com", "refuse"),
    ("nxdomain.example.com", "refuse"),  # DNS failure
    ("empty.example.com", "refuse"),
    ("public.example.com", "allow"),
    ("PUBLIC.Example.COM.", "allow"),
    ("v6.example.com", "allow"),
    ("nat64.example.com", "allow"),
]


@pytest.mark.parametrize(("host", "expected"), IPV4_TABLE + SPELLINGS_TABLE + IPV6_TABLE + NAMES_TABLE)
def test_host_decision(host, expected):
    assert decide(f"http://{host}/image.png") == expected
    assert decide(f"https://{host}:8443/image.png") == expected


ALLOWLIST_TABLE = [
    # (url, ATLASCLOUD_ALLOWED_FILE_HOSTS, decision)
    ("http://api:5001/files/1/file-preview?sign=x", "api:5001", "allow"),
    ("http://API:5001/files/1/file-preview", "api:5001", "allow"),
    ("http://api:5002/files/1/file-preview", "api:5001", "refuse"),  # other port
    ("http://api/files/1", "api:5001", "refuse"),  # port 80
    ("http://api:8080/files/1", "api", "allow"),  # a bare host admits any port
    ("http://api.:5001/x", "API:5001", "allow"),
    ("http://apix:5001/x", "api:5001", "refuse"),  # exact, not a prefix
    ("http://evil.api:5001/x", "api:5001", "refuse"),  # nor a suffix
    ("https://files.example.com/x", "files.example.com", "allow"),  # internal address, allowlisted
    ("http://127.0.0.1:8000/x", "127.0.0.1:8000", "allow"),
    ("http://127.0.0.1:8001/x", "127.0.0.1:8000", "refuse"),
    ("http://2130706433:8000/x", "127.0.0.1:8000", "allow"),  # the same address, spelled otherwise
    ("http://localhost:8000/x", "127.0.0.1:8000", "refuse"),  # a name is not its address
    ("http://[::1]:8000/x", "[::1]:8000", "allow"),
    ("http://[::1]:8000/x", "::1", "allow"),
    ("http://169.254.169.254/latest/meta-data", "api:5001", "refuse"),
    ("http://metadata.google.internal/x", "api,files.example.com", "refuse"),
]


@pytest.mark.parametrize(("url", "allowlist", "expected"), ALLOWLIST_TABLE)
def test_allowlist_decision(url, allowlist, expected):
    assert decide(url, allowlist) == expected


MALFORMED = [
    "http://[::1/x.png",
    "http://user:pass@public.example.com/x.png",
    "http://user@public.example.com/x.png",
    "http://public.example.com\\@127.0.0.1/x.png",
    "http://127.0.0.1\t.public.example.com/x.png",
    "http://public.example.com /x.png",
    "ftp://public.example.com/x.png",
    "file:///etc/passwd",
    "gopher://127.0.0.1:6379/_INFO",
    "//public.example.com/x.png",
    "http:///x.png",
    "http://public.example.com:99999/x.png",
    "http://public.example.com:0/x.png",
    "http://public.example.com:80x/x.png",
    "http://[fe80::1%25eth0]/x.png",
    "http://[::1]x/x.png",
    "http://%31%32%37.0.0.1/x.png",
    "http://1.2.3.4.5/x.png",
    "http://256.0.0.1/x.png",
    "http://08.0.0.1/x.png",
    "http://exa_mple-.com/x.png",
    "http://" + "a" * 64 + ".com/x.png",
    "http://public.example.com/" + "a" * 9000,
    "",
]


@pytest.mark.parametrize("url", MALFORMED)
def test_malformed_urls_are_refused_before_any_lookup(url):
    assert decide(url) == "malformed"


def test_names_refused_by_name_are_never_looked_up():
    asked: list[str] = []
    for host in ("metadata.google.internal", "localhost", "api", "printer.local"):
        with pytest.raises(Refused):
            ssrf.admit(host, 80, frozenset(), stub_resolver(asked))
    assert asked == []


@pytest.mark.parametrize(
    "spelling", ["127.1", "2130706433", "0x7f000001", "0177.0.0.1", "0x7f.1", "0", "3232235777", "0xa9fea9fe"]
)
def test_the_system_resolver_reads_numeric_spellings_the_same_way(spelling):
    # AI_NUMERICHOST: libc's own numeric parsing, never a DNS query.
    [info, *_] = socket.getaddrinfo(spelling, 80, type=socket.SOCK_STREAM, flags=socket.AI_NUMERICHOST)
    assert ip_address(info[4][0]) == whatwg_ipv4(spelling)


def test_allowlist_parsing_canonicalises_and_reports_bad_entries():
    allowed, invalid = ssrf.parse_allowlist(" api:5001, FILES.example.com. ,[::1]:8080,::2, 0x7f.1:80, a/b, u@h, :80,")
    assert allowed == {
        ssrf.AllowedHost("api", 5001),
        ssrf.AllowedHost("files.example.com", None),
        ssrf.AllowedHost("::1", 8080),
        ssrf.AllowedHost("::2", None),
        ssrf.AllowedHost("127.0.0.1", 80),
    }
    assert invalid == ["a/b", "u@h", ":80"]


def test_through_a_proxy_visible_internal_targets_are_refused_and_unknown_names_left_to_the_proxy():
    asked: list[str] = []
    resolve = stub_resolver(asked)
    for host in ("127.0.0.1", "10.0.0.1", "::1", "localhost", "metadata.google.internal", "intranet.example.com"):
        with pytest.raises(Refused):
            ssrf.admit_via_proxy(host, 80, frozenset(), resolve)
    ssrf.admit_via_proxy("public.example.com", 80, frozenset(), resolve)
    ssrf.admit_via_proxy("only-the-proxy-resolves.example.com", 80, frozenset(), resolve)
    ssrf.admit_via_proxy("api", 5001, frozenset({ssrf.AllowedHost("api", 5001)}), resolve)


def test_allowlist_parsing_goes_past_empty_entries_and_refuses_queries_and_fragments():
    allowed, invalid = ssrf.parse_allowlist(",,api:5001,, files.example.com,api?x=1,api#f,api/")
    assert allowed == {ssrf.AllowedHost("api", 5001), ssrf.AllowedHost("files.example.com", None)}
    assert invalid == ["api?x=1", "api#f", "api/"]


def _recording_resolver(calls: list[tuple[str, int]]) -> ssrf.Resolver:
    resolve = stub_resolver([])

    def recording(host: str, port: int) -> list:
        calls.append((host, port))
        return resolve(host, port)

    return recording


def test_names_are_looked_up_with_the_port_that_will_be_used():
    # getaddrinfo is asked for the service too: the addresses it returns are for that port.
    calls: list[tuple[str, int]] = []
    resolve = _recording_resolver(calls)
    ssrf.admit("public.example.com", 8443, frozenset(), resolve)
    ssrf.admit("api", 5001, frozenset({ssrf.AllowedHost("api", 5001)}), resolve)
    ssrf.admit_via_proxy("public.example.com", 8080, frozenset(), resolve)
    assert calls == [("public.example.com", 8443), ("api", 5001), ("public.example.com", 8080)]


def test_through_a_proxy_an_allowlisted_host_is_not_looked_up_here():
    calls: list[tuple[str, int]] = []
    ssrf.admit_via_proxy("api", 5001, frozenset({ssrf.AllowedHost("api", 5001)}), _recording_resolver(calls))
    assert calls == [], "the proxy resolves it; a lookup here could only fail or leak the name"


@pytest.mark.parametrize(
    ("host", "reason"),
    [
        ("metadata.google.internal", "metadata.google.internal is a cloud metadata host name"),
        ("intranet", "intranet is a single-label (local network) host name"),
        ("printer.local", "printer.local is a name reserved for local networks"),
        ("empty.example.com", "empty.example.com has no address"),
        ("127.0.0.1", "127.0.0.1 is not a public address"),
        ("localtest.me", "localtest.me resolves to 127.0.0.1, which is not a public address"),
        ("rebind.example.com", "rebind.example.com resolves to 127.0.0.1, which is not a public address"),
    ],
)
def test_the_log_says_why_a_host_was_refused(host, reason):
    with pytest.raises(Refused) as refused:
        ssrf.admit(host, 443, frozenset(), stub_resolver([]))
    assert str(refused.value) == reason

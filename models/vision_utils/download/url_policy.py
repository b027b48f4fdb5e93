"""Which hosts and addresses the plugin may download images from (pure: the resolver is a
parameter, so every decision can be tested without traffic).

The plugin runs inside Dify's plugin daemon, shared by every workspace: an image URL a user
controls must not make it fetch from the internal network (cloud metadata, Dify's own
services, anything on the Docker network). The rule: a host is used only when EVERY address it
resolves to is globally routable, unless the operator allowlisted it (ATLASCLOUD_ALLOWED_FILE_HOSTS,
meant for Dify's own file server, which usually sits on an internal address).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv6Address, ip_address, ip_network
from urllib.parse import urlsplit

from models.vision_utils.download.url import IPAddress, canonical_host
from provider.errors.tree import MalformedURL, Refused

# Resolves (host, port) to addresses, or raises OSError.
type Resolver = Callable[[str, int], Sequence[IPAddress]]

# IANA's IPv4 special-purpose registry (iana.org/assignments/iana-ipv4-special-registry), with
# multicast and the reserved block: none of it is a public image host.
_BLOCKED_V4 = tuple(
    ip_network(block)
    for block in (
        "0.0.0.0/8",  # "this network": connecting to 0.0.0.0 reaches the local host on Linux
        "10.0.0.0/8",  # private
        "100.64.0.0/10",  # carrier-grade NAT (Alibaba Cloud's metadata service is 100.100.100.200)
        "127.0.0.0/8",  # loopback
        "169.254.0.0/16",  # link-local: cloud metadata at 169.254.169.254
        "172.16.0.0/12",  # private (Docker's default networks)
        "192.0.0.0/24",  # IETF protocol assignments
        "192.0.2.0/24",  # documentation (TEST-NET-1)
        "192.88.99.0/24",  # 6to4 relay anycast (deprecated)
        "192.168.0.0/16",  # private
        "198.18.0.0/15",  # benchmarking
        "198.51.100.0/24",  # documentation (TEST-NET-2)
        "203.0.113.0/24",  # documentation (TEST-NET-3)
        "224.0.0.0/4",  # multicast
        "240.0.0.0/4",  # reserved, with 255.255.255.255 (broadcast)
    )
)
# Only 2000::/3 is allocated as global unicast (iana.org/assignments/ipv6-address-space), which
# rules out ::/8 (loopback, unspecified, v4-compatible), fc00::/7, fe80::/10, fec0::/10, ff00::/8.
_GLOBAL_UNICAST_V6 = ip_network("2000::/3")
_BLOCKED_V6 = tuple(
    ip_network(block)
    for block in (
        "2001::/23",  # IETF protocol assignments: Teredo 2001::/32, benchmarking 2001:2::/48, ORCHID
        "2001:db8::/32",  # documentation
        "2002::/16",  # 6to4: an IPv4 address inside, reached through a relay
        "3fff::/20",  # documentation (RFC 9637)
    )
)
# NAT64's well-known prefix (RFC 6052): IPv6-only networks reach IPv4 host a.b.c.d at
# 64:ff9b::a.b.c.d, so it is judged by the IPv4 address inside.
_NAT64 = ip_network("64:ff9b::/96")

# Cloud metadata services by name; each also resolves to a link-local or private address that
# the address rule refuses. GCP: metadata.google.internal, metadata.goog
# (cloud.google.com/compute/docs/metadata/querying-metadata); AWS: instance-data
# (docs.aws.amazon.com, "Retrieve instance metadata"); Tencent Cloud: metadata.tencentyun.com.
METADATA_NAMES = frozenset(
    {
        "metadata.google.internal",
        "metadata.goog",
        "metadata",
        "instance-data",
        "instance-data.ec2.internal",
        "metadata.tencentyun.com",
    }
)
# Suffixes reserved for local names: .localhost (RFC 6761), .local (mDNS, RFC 6762), .home.arpa
# (RFC 8375), .internal (reserved by ICANN for private use, 2024; GCP and AWS use it).
LOCAL_SUFFIXES = (".localhost", ".local", ".home.arpa", ".internal")


@dataclass(frozen=True)
class AllowedHost:
    host: str  # canonical, as `canonical_host` spells it
    port: int | None  # None: any port


def parse_allowlist(text: str) -> tuple[frozenset[AllowedHost], list[str]]:
    """Comma-separated `host` or `host:port` entries (`[v6]:port` for IPv6); also the invalid
    entries, so the caller can log them."""
    allowed: set[AllowedHost] = set()
    invalid: list[str] = []
    for entry in (piece.strip() for piece in text.split(",")):
        if not entry:
            continue
        try:
            allowed.add(_allowed_host(entry))
        except (ValueError, MalformedURL):
            invalid.append(entry)
    return frozenset(allowed), invalid


def _allowed_host(entry: str) -> AllowedHost:
    if entry.count(":") > 1 and not entry.startswith("["):
        entry = f"[{entry}]"  # a bare IPv6 address
    parts = urlsplit(f"//{entry}")
    if parts.path or parts.query or parts.fragment or "@" in parts.netloc:
        raise ValueError(entry)
    host, _ = canonical_host(parts.hostname or "", bracketed=entry.startswith("["))
    return AllowedHost(host, parts.port)


def is_allowlisted(host: str, port: int, allowlist: Iterable[AllowedHost]) -> bool:
    """Exact match on the canonical host (case-insensitive, any spelling of an IP address)."""
    return any(entry.host == host and entry.port in (None, port) for entry in allowlist)


def is_public_address(address: IPAddress) -> bool:
    """Globally routable unicast: not loopback, private, link-local, CGNAT, multicast, reserved,
    documentation, benchmarking, nor an IPv6 form of any of those."""
    if isinstance(address, IPv6Address):
        embedded = embedded_ipv4(address)
        if embedded is not None:
            return is_public_address(embedded)
        return (
            address in _GLOBAL_UNICAST_V6 and not any(address in block for block in _BLOCKED_V6) and address.is_global
        )
    return not any(address in block for block in _BLOCKED_V4) and address.is_global


def embedded_ipv4(address: IPv6Address) -> IPv4Address | None:
    """The IPv4 host an IPv4-mapped (::ffff:a.b.c.d) or NAT64 (64:ff9b::a.b.c.d) address reaches."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address in _NAT64:
        return IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def refused_name(host: str) -> str | None:
    """Why a host NAME is refused before any lookup; None when its addresses decide."""
    if host in METADATA_NAMES:
        return "a cloud metadata host name"
    if "." not in host:
        return "a single-label (local network) host name"
    if f".{host}".endswith(LOCAL_SUFFIXES):
        return "a name reserved for local networks"
    return None


def admit(host: str, port: int, allowlist: Iterable[AllowedHost], resolve: Resolver) -> list[IPAddress]:
    """The addresses a direct connection may use; raises Refused. The caller connects to exactly
    these (never looks the name up again), so DNS rebinding has no window."""
    if is_allowlisted(host, port, allowlist):
        return list(_addresses(host, port, resolve))
    reason = None if _literal(host) else refused_name(host)
    if reason:
        raise Refused(f"{host} is {reason}")
    addresses = _addresses(host, port, resolve)
    if not addresses:
        raise Refused(f"{host} has no address")
    for address in addresses:
        if not is_public_address(address):
            via = "" if str(address) == host else f" resolves to {address}, which"
            raise Refused(f"{host}{via} is not a public address")
    return addresses


def admit_via_proxy(host: str, port: int, allowlist: Iterable[AllowedHost], resolve: Resolver) -> None:
    """Best effort when a proxy makes the connection: the proxy resolves the name itself, so the
    plugin cannot pin the address. It still refuses what it can see is internal (IP literals,
    local names, names that resolve to internal addresses here, where internal names such as
    Docker services resolve). A name that does not resolve here is left to the proxy: egress
    proxies are often the only component with outside DNS, and Dify's own SSRF proxy applies its
    own ACL to what it fetches."""
    if is_allowlisted(host, port, allowlist):
        return
    try:
        admit(host, port, allowlist, resolve)
    except OSError:
        return


def _addresses(host: str, port: int, resolve: Resolver) -> list[IPAddress]:
    literal = _literal(host)
    if literal is not None:
        return [literal]
    return list(dict.fromkeys(resolve(host, port)))


def _literal(host: str) -> IPAddress | None:
    try:
        return ip_address(host)
    except ValueError:
        return None

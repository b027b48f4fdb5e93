"""Which proxy the standard environment variables choose for a download (pure).

Dify's plugin daemon passes HTTP_PROXY, HTTPS_PROXY and NO_PROXY to the plugins it starts
(dify-plugin-daemon, internal/core/local_runtime/subprocess.go); Dify's SSRF proxy is often the
one configured. Read like curl and httpx do: `<scheme>_proxy`, then `all_proxy`, lower case
before upper case; NO_PROXY entries are host names (matching the name and its subdomains), IP
addresses or CIDR blocks, or `*` for everything.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from ipaddress import ip_address, ip_network
from urllib.parse import unquote, urlsplit

PROXY_SCHEMES = ("http", "https", "socks5", "socks5h")


@dataclass(frozen=True)
class Proxy:
    scheme: str
    host: str
    port: int
    username: str | None
    password: str | None


def proxy_for(scheme: str, host: str, env: Mapping[str, str]) -> Proxy | None:
    """The proxy for a request to `scheme://host`, or None to connect directly. Raises
    ValueError for a proxy URL that cannot be used (so the download fails instead of silently
    bypassing the operator's proxy)."""
    value = _variable(env, f"{scheme}_proxy") or _variable(env, "all_proxy")
    if not value or bypasses_proxy(host, _variable(env, "no_proxy")):
        return None
    return parse_proxy(value)


def parse_proxy(value: str) -> Proxy:
    parts = urlsplit(value if "://" in value else f"http://{value}")
    scheme = parts.scheme.lower()
    if scheme not in PROXY_SCHEMES or not parts.hostname:
        raise ValueError(f"unsupported proxy URL scheme {scheme!r}")
    port = parts.port or {"http": 80, "https": 443}.get(scheme, 1080)
    username = unquote(parts.username) if parts.username else None
    password = unquote(parts.password) if parts.password else None
    return Proxy(scheme, parts.hostname, port, username, password)


def bypasses_proxy(host: str, no_proxy: str) -> bool:
    for entry in (piece.strip().lower() for piece in no_proxy.replace(" ", ",").split(",")):
        if not entry:
            continue
        if entry == "*":
            return True
        if _matches_address(host, entry):
            return True
        name = entry.removeprefix("*").removeprefix(".").rsplit(":", 1)[0]
        if host == name or host.endswith(f".{name}"):
            return True
    return False


def _matches_address(host: str, entry: str) -> bool:
    if entry.startswith("[") and "]" in entry:  # "[fd00::7]" or "[fd00::7]:3128"
        entry = entry[1 : entry.index("]")]
    try:
        return ip_address(host) in ip_network(entry, strict=False)
    except ValueError:
        return False


def _variable(env: Mapping[str, str], name: str) -> str:
    return (env.get(name.lower()) or env.get(name.upper()) or "").strip()

"""Download a file the plugin must convert itself (an image, a document), without becoming an SSRF tool.

- One strict reading of every URL (url.py): http/https only, no credentials.
- The address rule (url_policy.py): every address the host resolves to must be public, unless the
  operator allowlisted the host (ATLASCLOUD_ALLOWED_FILE_HOSTS, for Dify's own file server).
- The socket goes to an address that passed that check (net.py), never to a second
  lookup's answer; each redirect hop (at most 3) is read and checked again.
- HTTP(S)_PROXY / ALL_PROXY / NO_PROXY are honoured; through a proxy the target is checked as
  far as the plugin can see it (url_policy.admit_via_proxy).
- One deadline for all of it (20 s by default, ATLASCLOUD_FETCH_TIMEOUT_S): DNS, connects, TLS,
  redirects and every read. A byte cap (MAX_DOWNLOAD_BYTES) on Content-Length and while
  streaming. The body must start like an image (or, for a document, like a document: BodyKind).
- Every failure reads the same to the user, so error texts cannot be used to map internal
  hosts and ports; the reason goes to the plugin log, without the query string (Dify's file
  URLs carry their signature there).
"""

from __future__ import annotations

import functools
import io
import logging
import os
import ssl
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from urllib.parse import urljoin

import httpcore

from models.vision_utils.download import net as fetch_net
from models.vision_utils.download import url_policy as ssrf
from models.vision_utils.download.proxy import Proxy, proxy_for
from models.vision_utils.download.url import ImageURL, parse_image_url
from provider.client import tls_context
from provider.connection import USER_AGENT_NAME
from provider.deadline import Deadline
from provider.errors.tree import DownloadError, FetchFailed, MalformedURL, Refused
from provider.settings import Settings, read_settings, settings

UNIFORM_ERROR = "the image could not be downloaded from its URL"
DOCUMENT_UNIFORM_ERROR = "the document could not be downloaded from its URL"
ALLOWLIST_ENV = "ATLASCLOUD_ALLOWED_FILE_HOSTS"
# AtlasCloud refuses request bodies over 50 MB: nothing larger could be sent on.
MAX_DOWNLOAD_BYTES = 50 * 1024 * 1024
MAX_REDIRECTS = 3
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
DOWNLOAD_USER_AGENT = f"{USER_AGENT_NAME} (image download)"

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class FetchSettings:
    allowlist: frozenset[ssrf.AllowedHost] = frozenset()
    timeout_s: float = Settings.fetch_timeout_s
    max_bytes: int = MAX_DOWNLOAD_BYTES
    max_redirects: int = MAX_REDIRECTS
    proxy_env: Mapping[str, str] = field(default_factory=dict)
    # Tests replace DNS and sockets; by default getaddrinfo (bounded by the deadline) and real sockets.
    resolver: Callable[[Deadline], ssrf.Resolver] = fetch_net.system_resolver
    sockets: httpcore.NetworkBackend | None = None
    ssl_context: ssl.SSLContext | None = None  # default: the process's (provider/client.py)


def settings_from_env(env: Mapping[str, str] | None = None) -> FetchSettings:
    """The download settings of this process (or of `env`), with the proxy variables the daemon passes on."""
    env = os.environ if env is None else env
    plugin = settings() if env is os.environ else read_settings(env)
    return FetchSettings(
        allowlist=_parsed_allowlist(plugin.allowed_file_hosts), timeout_s=plugin.fetch_timeout_s, proxy_env=dict(env)
    )


def allowed_file_hosts() -> frozenset[ssrf.AllowedHost]:
    return _parsed_allowlist(settings().allowed_file_hosts)


@functools.lru_cache(maxsize=4)
def _parsed_allowlist(text: str) -> frozenset[ssrf.AllowedHost]:
    allowlist, invalid = ssrf.parse_allowlist(text)
    if invalid:  # logged once per distinct setting
        logger.warning("%s: ignoring entries that are not host or host:port: %s", ALLOWLIST_ENV, ", ".join(invalid))
    return allowlist


@dataclass(frozen=True)
class BodyKind:
    """What a download must be: its name in messages, the Accept header, and the test its first bytes pass."""

    noun: str
    accept: bytes
    looks_right: Callable[[bytes], bool]
    uniform_error: str


def fetch_image(url: str, options: FetchSettings | None = None) -> bytes:
    """The image's bytes; any failure is DownloadError(UNIFORM_ERROR)."""
    return fetch(url, IMAGE_BODY, options)


def fetch_document(url: str, options: FetchSettings | None = None) -> bytes:
    """A document's bytes, under the same policy as images; any failure is DownloadError(DOCUMENT_UNIFORM_ERROR)."""
    return fetch(url, DOCUMENT_BODY, options)


def fetch(url: str, kind: BodyKind, options: FetchSettings | None = None) -> bytes:
    options = options or settings_from_env()
    try:
        return download(url, options, kind)
    except Exception as error:  # whatever went wrong, the user sees the same sentence (module doc)
        logger.info("%s download failed: %s: %s", kind.noun, _loggable(url), _reason(error))
        raise DownloadError(kind.uniform_error) from None


def download(url: str, settings: FetchSettings, kind: BodyKind | None = None) -> bytes:
    kind = kind or IMAGE_BODY
    deadline = Deadline.start(
        settings.timeout_s,
        what="the download",
        limit="the limit for one download, redirects included",
        advice="An administrator can raise it with ATLASCLOUD_FETCH_TIMEOUT_S.",
    )
    resolve = settings.resolver(deadline)
    current = parse_image_url(url)
    for _ in range(settings.max_redirects + 1):
        outcome = _get(current, settings, deadline, resolve, kind)
        if isinstance(outcome, bytes):
            return outcome
        current = parse_image_url(urljoin(str(current), outcome))
    raise FetchFailed(f"more than {settings.max_redirects} redirects")


def _get(
    url: ImageURL, settings: FetchSettings, deadline: Deadline, resolve: ssrf.Resolver, kind: BodyKind
) -> bytes | str:
    """One request: the body of a 200, or the Location of a redirect."""
    proxy = proxy_for(url.scheme, url.host, settings.proxy_env)
    if proxy:
        ssrf.admit_via_proxy(url.host, url.port, settings.allowlist, resolve)
    # Direct, httpcore hands this host to the checking backend. Through a proxy it only goes on
    # the request line or in CONNECT, where an IPv6 address needs its brackets.
    host = f"[{url.host}]" if proxy and ":" in url.host else url.host
    port = url.port if url.explicit_port else None
    request_url = httpcore.URL(scheme=url.scheme, host=host, port=port, target=url.target)
    headers = [
        (b"Host", url.authority.encode("ascii")),
        (b"User-Agent", DOWNLOAD_USER_AGENT.encode("ascii")),
        (b"Accept", kind.accept),
        (b"Accept-Encoding", b"identity"),
        (b"Connection", b"close"),
    ]
    # No per-operation timeouts: the backend bounds every connect, read and write by what is left
    # of the one deadline (fetch_net.CheckedBackend).
    with (
        _pool(proxy, settings, deadline, resolve) as pool,
        pool.stream("GET", request_url, headers=headers) as response,
    ):
        if response.status in REDIRECT_STATUSES:
            location = _header(response, b"location")
            if not location:
                raise FetchFailed(f"HTTP {response.status} without a Location")
            return location
        if response.status != 200:
            raise FetchFailed(f"HTTP {response.status}")
        return _read_body(response, settings.max_bytes, kind)


def _pool(
    proxy: Proxy | None, settings: FetchSettings, deadline: Deadline, resolve: ssrf.Resolver
) -> httpcore.ConnectionPool:
    options = {"ssl_context": settings.ssl_context or tls_context(), "retries": 0, "max_connections": 1}
    if proxy is None:
        admit = functools.partial(ssrf.admit, allowlist=settings.allowlist, resolve=resolve)
        return httpcore.ConnectionPool(
            network_backend=fetch_net.CheckedBackend(admit, deadline, settings.sockets), **options
        )
    backend = fetch_net.CheckedBackend(
        fetch_net.proxy_only(proxy.host, proxy.port, fetch_net.system_resolver(deadline)), deadline, settings.sockets
    )
    auth = (proxy.username, proxy.password or "") if proxy.username else None
    host = f"[{proxy.host}]" if ":" in proxy.host else proxy.host
    proxy_url = f"{proxy.scheme}://{host}:{proxy.port}/"
    if proxy.scheme.startswith("socks5"):
        return httpcore.SOCKSProxy(proxy_url=proxy_url, proxy_auth=auth, network_backend=backend, **options)
    proxy_tls = tls_context() if proxy.scheme == "https" else None
    return httpcore.HTTPProxy(
        proxy_url=proxy_url, proxy_auth=auth, proxy_ssl_context=proxy_tls, network_backend=backend, **options
    )


def _read_image(response: httpcore.Response, max_bytes: int) -> bytes:
    return _read_body(response, max_bytes, IMAGE_BODY)


def _read_body(response: httpcore.Response, max_bytes: int, kind: BodyKind) -> bytes:
    declared = _header(response, b"content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > max_bytes):
        raise FetchFailed(f"Content-Length {declared[:20]} is over the {max_bytes}-byte cap")
    body = io.BytesIO()
    head = b""
    for chunk in response.iter_stream():
        body.write(chunk)
        if body.tell() > max_bytes:
            raise FetchFailed(f"the body is over the {max_bytes}-byte cap")
        if len(head) < SNIFF_BYTES:
            # Judge the format as soon as the first bytes are in: a web page stops here.
            head += chunk[: SNIFF_BYTES - len(head)]
            if len(head) == SNIFF_BYTES:
                _require(head, kind)
    if len(head) < SNIFF_BYTES:
        _require(head, kind)
    return body.getvalue()


# Enough of the start of a file to recognise every format the converter accepts.
SNIFF_BYTES = 12
_SIGNATURES = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"GIF87a", b"GIF89a", b"BM", b"II*\x00", b"MM\x00*")


def looks_like_image(start: bytes) -> bool:
    """JPEG, PNG, GIF, BMP, TIFF by magic number; WEBP (RIFF....WEBP); HEIF/AVIF (....ftyp)."""
    if start.startswith(_SIGNATURES):
        return True
    return (start[:4] == b"RIFF" and start[8:12] == b"WEBP") or start[4:8] == b"ftyp"


# Documents the converter reads or names (PDF, ZIP-based Office, old Office) and text (no NUL
# among the first bytes, so a video or an archive stops here); the converter sniffs the rest.
_DOCUMENT_SIGNATURES = (b"%PDF-", b"PK\x03\x04", b"\xd0\xcf\x11\xe0", b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")


def looks_like_document(start: bytes) -> bool:
    return start.startswith(_DOCUMENT_SIGNATURES) or (bool(start) and b"\x00" not in start)


IMAGE_BODY = BodyKind("image", b"image/*", looks_like_image, UNIFORM_ERROR)
DOCUMENT_BODY = BodyKind("document", b"*/*", looks_like_document, DOCUMENT_UNIFORM_ERROR)


def _require(start: bytes, kind: BodyKind) -> None:
    if not kind.looks_right(start):
        raise FetchFailed(f"the body is not {'an' if kind.noun[0] in 'aeiou' else 'a'} {kind.noun}")


def _header(response: httpcore.Response, name: bytes) -> str | None:
    for key, value in response.headers:
        if key.lower() == name:
            return value.decode("latin-1").strip()
    return None


def _loggable(url: str) -> str:
    try:
        return parse_image_url(url).for_log()
    except MalformedURL:
        return "a malformed URL"


def _reason(error: Exception) -> str:
    text = str(error)[:200]
    if isinstance(error, Refused) and "not a public address" in text:
        text += f" (allow an internal file server with {ALLOWLIST_ENV})"
    return f"{type(error).__name__}: {text}" if text else type(error).__name__

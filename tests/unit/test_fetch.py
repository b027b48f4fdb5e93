"""Downloads against scripted loopback servers, in process: the deadline, the caps, redirects,
connecting to the checked address, proxies, and one error text for every failure."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from ipaddress import ip_address

import httpcore
import pytest

from models.vision_utils.download import fetch
from models.vision_utils.download import url_policy as ssrf
from models.vision_utils.download.fetch import FetchSettings, download, fetch_image
from provider.errors.tree import BudgetExceeded, DownloadError, FetchFailed, MalformedURL, Refused
from testkit import fetch_servers as fs
from testkit.images import encode, photo

PNG = encode(photo(60, 40), "PNG")
PUBLIC = "93.184.216.34"  # stands for a public web server; the relay below serves it locally


@pytest.fixture
def server() -> Iterator[fs.ScriptedServer]:
    running = fs.serving(("/cat.png", fs.image(PNG)))
    yield running
    running.stop()


def allowing(*servers: fs.ScriptedServer, **overrides) -> FetchSettings:
    allowlist, _ = ssrf.parse_allowlist(",".join(f"127.0.0.1:{s.port}" for s in servers))
    return FetchSettings(allowlist=allowlist, **{"timeout_s": 5.0, **overrides})


def failure(url: str, settings: FetchSettings) -> Exception:
    with pytest.raises(Exception) as caught:  # the caller checks which
        download(url, settings)
    return caught.value


class RelaySockets(httpcore.NetworkBackend):
    """The network as the test sees it: listed addresses are relayed to loopback servers;
    every address asked for is recorded; anything else is unreachable."""

    def __init__(self, relays: dict[str, int]) -> None:
        self.relays = relays
        self.asked: list[str] = []

    def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        self.asked.append(host)
        if host not in self.relays:
            raise httpcore.ConnectError(f"{host} is unreachable in this test")
        return httpcore.SyncBackend().connect_tcp("127.0.0.1", self.relays[host], timeout)


def rebinding_dns(calls: list[str]):
    """Public on the first lookup, loopback afterwards: a DNS-rebinding attacker's name server."""

    def factory(deadline):
        def resolve(host: str, port: int):
            calls.append(host)
            return [ip_address(PUBLIC if len(calls) == 1 else "127.0.0.1")]

        return resolve

    return factory


def test_the_socket_goes_to_the_address_that_was_checked(server):
    calls: list[str] = []
    sockets = RelaySockets({PUBLIC: server.port})
    settings = FetchSettings(resolver=rebinding_dns(calls), sockets=sockets)
    assert download("http://images.example.com/cat.png", settings) == PNG
    assert calls == ["images.example.com"], "one lookup per connection: no second answer to trust"
    assert sockets.asked == [PUBLIC], "connected to the checked address, not to the name"


def test_a_redirect_to_a_rebound_name_is_looked_up_and_refused(server):
    calls: list[str] = []
    sockets = RelaySockets({PUBLIC: server.port, "127.0.0.1": server.port})
    server.routes["/hop"] = fs.redirect("http://images.example.com/cat.png")
    settings = FetchSettings(resolver=rebinding_dns(calls), sockets=sockets)
    assert isinstance(failure("http://images.example.com/hop", settings), Refused)
    assert calls == ["images.example.com", "images.example.com"]
    assert sockets.asked == [PUBLIC], "the second answer (loopback) was checked and never connected to"


def test_a_trickling_server_is_cut_at_the_overall_deadline():
    # A byte every 50 ms never trips a per-read timeout; only a deadline for the whole download does.
    slow = fs.serving(("/slow.png", fs.trickle(PNG[:300], 0.05)))
    try:
        error = failure(slow.url("/slow.png"), allowing(slow, timeout_s=1.0))
        assert isinstance(error, BudgetExceeded | httpcore.ReadTimeout)
        assert slow.seen.finished_bodies == 0 and slow.seen.body_bytes_sent < 300
    finally:
        slow.stop()


def test_three_redirects_are_followed_and_a_fourth_is_refused(server):
    for hop in range(1, 6):
        server.routes[f"/hop{hop}"] = fs.redirect(f"/hop{hop - 1}" if hop > 1 else "/cat.png")
    settings = allowing(server)
    assert download(server.url("/hop3"), settings) == PNG
    error = failure(server.url("/hop4"), settings)
    assert isinstance(error, FetchFailed) and "redirects" in str(error)


def test_every_redirect_hop_is_checked_again(server):
    victim = fs.serving(("/cat.png", fs.image(PNG)))
    server.routes["/away"] = fs.redirect(victim.url("/cat.png"))
    server.routes["/scheme"] = fs.redirect("file:///etc/passwd")
    server.routes["/metadata"] = fs.redirect("http://169.254.169.254/latest/meta-data/")
    try:
        for path in ("/away", "/scheme", "/metadata"):
            error = failure(server.url(path), allowing(server))
            assert isinstance(error, Refused | MalformedURL), path
        assert victim.seen.connections == 0
    finally:
        victim.stop()


def test_the_size_cap_applies_to_the_declared_length_and_to_the_stream():
    cap = 100_000
    big = fs.serving(
        ("/declared.png", fs.declared(cap + 1)),
        ("/streamed.png", fs.chunked(fs.PNG_SIGNATURE, 500 * cap, chunk=16_384)),
        ("/exact.png", fs.image(fs.PNG_SIGNATURE + bytes(cap - 8))),
    )
    settings = allowing(big, max_bytes=cap)
    try:
        assert "Content-Length" in str(failure(big.url("/declared.png"), settings))
        finished = big.seen.finished_bodies
        assert "over the" in str(failure(big.url("/streamed.png"), settings))
        assert big.seen.finished_bodies == finished, "the 50 MB stream was abandoned at the cap"
        assert len(download(big.url("/exact.png"), settings)) == cap
    finally:
        big.stop()


def test_every_failure_reads_the_same_to_the_user(server, caplog):
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    closed_port = closed.getsockname()[1]
    closed.close()
    server.routes["/page.png"] = fs.image(b"<!DOCTYPE html><html>sign in</html>", "text/html")
    server.routes["/loop"] = fs.redirect("/loop")
    allowlist, _ = ssrf.parse_allowlist(f"127.0.0.1:{server.port},127.0.0.1:{closed_port}")
    settings = FetchSettings(allowlist=allowlist, timeout_s=5.0, resolver=lambda deadline: _no_dns)
    urls = [
        server.url("/missing.png?sign=SECRET-SIGNATURE"),  # 404
        server.url("/page.png"),  # not an image
        server.url("/loop"),  # too many redirects
        f"http://127.0.0.1:{closed_port}/cat.png",  # closed port
        "http://nxdomain.example.com/cat.png",  # DNS failure
        "http://10.0.0.1/cat.png",  # refused address
        "http://[::1/cat.png",  # malformed
    ]
    messages = set()
    for url in urls:
        with pytest.raises(DownloadError) as caught:
            fetch_image(url, settings)
        assert caught.value.__cause__ is None and caught.value.__suppress_context__
        messages.add(str(caught.value))
    assert messages == {fetch.UNIFORM_ERROR}
    # The operator's log says why, without the query (Dify's signature lives there).
    assert "HTTP 404" in caplog.text and "not a public address" in caplog.text and "Connection refused" in caplog.text
    assert "SECRET-SIGNATURE" not in caplog.text and "?<query removed>" in caplog.text
    assert fetch_image(server.url("/cat.png"), settings) == PNG, "and a good URL still works"


def _no_dns(host: str, port: int):
    raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")


class ForwardProxy(fs.ScriptedServer):
    """An HTTP proxy that answers absolute-form requests itself, as if it had fetched them."""

    def __init__(self) -> None:
        super().__init__()
        self.default = fs.image(PNG)


def test_proxies_are_used_and_visible_internal_targets_still_refused():
    proxy = ForwardProxy()
    dns = {"images.example.com": PUBLIC, "intranet.example.com": "10.0.0.5"}

    def resolver(deadline):
        def resolve(host, port):
            if host not in dns:
                raise socket.gaierror(socket.EAI_NONAME, "unknown here")
            return [ip_address(dns[host])]

        return resolve

    env = {"HTTP_PROXY": f"http://127.0.0.1:{proxy.port}", "NO_PROXY": "direct.example.com"}
    settings = FetchSettings(timeout_s=5.0, proxy_env=env, resolver=resolver)
    try:
        # The proxy's own loopback address is fine: it is configuration, not user input.
        assert download("http://images.example.com/cat.png", settings) == PNG
        assert proxy.seen.request_lines == ["GET http://images.example.com/cat.png HTTP/1.1"]
        # A name only the proxy can resolve is left to the proxy (documented best effort).
        assert download("http://outside.example.com/cat.png", settings) == PNG
        for url in ("http://127.0.0.1/cat.png", "http://intranet.example.com/x.png", "http://metadata/x"):
            assert isinstance(failure(url, settings), Refused), url
        assert proxy.seen.connections == 2, "refused targets never reach the proxy"
        dns["direct.example.com"] = "127.0.0.1"  # NO_PROXY: a direct connection, fully checked
        assert isinstance(failure("http://direct.example.com/cat.png", settings), Refused)
        assert proxy.seen.connections == 2
    finally:
        proxy.stop()


def _public_dns(asked: list[tuple[str, int]]):
    def factory(deadline):
        def resolve(host: str, port: int):
            asked.append((host, port))
            return [ip_address(PUBLIC)]

        return resolve

    return factory


HEADERS = ["User-Agent: dify-plugin-atlascloud (image download)", "Accept: image/*", "Accept-Encoding: identity"]


def test_a_download_sends_exactly_these_headers(server):
    asked: list[tuple[str, int]] = []
    settings = FetchSettings(resolver=_public_dns(asked), sockets=RelaySockets({PUBLIC: server.port}))
    assert download("http://images.example.com:8080/cat.png", settings) == PNG
    assert download("http://Images.Example.com/cat.png", settings) == PNG
    assert server.seen.header_lines == [
        ["Host: images.example.com:8080", *HEADERS, "Connection: close"],
        ["Host: images.example.com", *HEADERS, "Connection: close"],
    ]
    assert asked == [("images.example.com", 8080), ("images.example.com", 80)], "looked up for the port used"


@pytest.mark.parametrize(
    ("credentials", "authorization"),
    [
        ("user:s%3Acret@", "Basic dXNlcjpzOmNyZXQ="),  # user:s:cret (percent-decoded, as curl does)
        ("user@", "Basic dXNlcjo="),  # user: (no password)
        ("", None),
    ],
)
def test_through_a_proxy_the_request_is_absolute_and_carries_the_proxy_credentials(credentials, authorization):
    proxy = ForwardProxy()
    asked: list[tuple[str, int]] = []
    env = {"HTTP_PROXY": f"http://{credentials}127.0.0.1:{proxy.port}"}
    settings = FetchSettings(timeout_s=5.0, proxy_env=env, resolver=_public_dns(asked))
    v6 = "2606:2800:220:1:248:1893:25c8:1946"
    try:
        assert download("http://images.example.com:8080/cat.png", settings) == PNG
        assert download(f"http://[{v6}]/cat.png", settings) == PNG
    finally:
        proxy.stop()
    assert proxy.seen.request_lines == [
        "GET http://images.example.com:8080/cat.png HTTP/1.1",
        f"GET http://[{v6}]/cat.png HTTP/1.1",
    ]
    proxy_lines = [[h for h in lines if h.startswith("Proxy-Authorization")] for lines in proxy.seen.header_lines]
    expected = [f"Proxy-Authorization: {authorization}"] if authorization else []
    assert proxy_lines == [expected, expected]
    assert "Host: images.example.com:8080" in proxy.seen.header_lines[0]
    assert f"Host: [{v6}]" in proxy.seen.header_lines[1]
    assert asked == [("images.example.com", 8080)], "checked here for its port; an address literal needs no lookup"


def test_the_log_names_the_reason_and_the_allowlist_only_for_internal_addresses(server, caplog):
    settings = FetchSettings(timeout_s=5.0, resolver=lambda deadline: _no_dns)
    for url in ("http://10.0.0.1/cat.png", "http://[::1/cat.png", "ftp://x.com/a.png"):
        with pytest.raises(DownloadError):
            fetch_image(url, settings)
    allowlist, _ = ssrf.parse_allowlist(f"127.0.0.1:{server.port}")
    with pytest.raises(DownloadError):
        fetch_image(server.url("/missing.png"), FetchSettings(allowlist=allowlist, timeout_s=5.0))
    assert [record.getMessage() for record in caplog.records if record.name == fetch.logger.name] == [
        "image download failed: http://10.0.0.1/cat.png: Refused: 10.0.0.1 is not a public address"
        f" (allow an internal file server with {fetch.ALLOWLIST_ENV})",
        "image download failed: a malformed URL: MalformedURL: Invalid IPv6 URL",
        "image download failed: a malformed URL: MalformedURL: the scheme 'ftp' is not http or https",
        f"image download failed: {server.url('/missing.png')}: FetchFailed: HTTP 404",
    ]


@pytest.mark.parametrize("chunk", [1, 5, 11, 12, 13, 4096])
def test_the_format_is_judged_on_the_first_twelve_bytes_however_they_arrive(chunk):
    webp = b"RIFF\x10\x00\x00\x00WEBPVP8 " + b"\x00" * 40
    text = b"RIFF\x10\x00\x00\x00WEBX" + b"\x00" * 40

    class Response:
        def __init__(self, body: bytes) -> None:
            self.headers = [(b"Content-Type", b"image/webp")]
            self.body = body

        def iter_stream(self):
            for offset in range(0, len(self.body), chunk):
                yield self.body[offset : offset + chunk]

    assert fetch._read_image(Response(webp), 1000) == webp
    with pytest.raises(FetchFailed, match=r"^the body is not an image$"):
        fetch._read_image(Response(text), 1000)
    with pytest.raises(FetchFailed, match=r"^the body is not an image$"):
        fetch._read_image(Response(b"RIFF"), 1000)  # too short to be anything


@pytest.mark.parametrize(
    ("scheme", "credentials", "expected"),
    [("socks5h", "user:s%3Acret@", ("user", "s:cret")), ("socks5", "user@", ("user", "")), ("socks5h", "", None)],
)
def test_a_socks5_proxy_is_asked_for_the_checked_target_with_its_credentials(server, scheme, credentials, expected):
    proxy = fs.Socks5Proxy(server.port)
    asked: list[tuple[str, int]] = []
    settings = FetchSettings(
        timeout_s=5.0,
        proxy_env={"ALL_PROXY": f"{scheme}://{credentials}127.0.0.1:{proxy.port}"},
        resolver=_public_dns(asked),
    )
    try:
        assert download("http://images.example.com:8080/cat.png", settings) == PNG
        assert isinstance(failure("http://10.0.0.1/cat.png", settings), Refused)
    finally:
        proxy.stop()
    assert proxy.requests == [("images.example.com", 8080)], "the name goes to the proxy; refused targets never do"
    assert proxy.credentials == [expected]
    assert server.seen.request_lines == ["GET /cat.png HTTP/1.1"], "through the tunnel, an origin-form request"
    assert asked == [("images.example.com", 8080)]


@pytest.mark.parametrize("kind", ["http", "socks5h"])
def test_the_deadline_also_covers_downloads_through_a_proxy(kind):
    slow = fs.serving(("/slow.png", fs.trickle(PNG[:300], 0.05)))
    proxy = ForwardProxy() if kind == "http" else fs.Socks5Proxy(slow.port)
    if kind == "http":
        proxy.default = fs.trickle(PNG[:300], 0.05)
    settings = FetchSettings(
        timeout_s=1.0, proxy_env={"ALL_PROXY": f"{kind}://127.0.0.1:{proxy.port}"}, resolver=_public_dns([])
    )
    try:
        error = failure("http://images.example.com/slow.png", settings)
        assert isinstance(error, BudgetExceeded | httpcore.ReadTimeout), repr(error)
        trickled = proxy.seen if kind == "http" else slow.seen
        assert trickled.finished_bodies == 0 and trickled.body_bytes_sent < 300
    finally:
        proxy.stop()
        slow.stop()


def test_an_unreachable_address_is_tried_once():
    sockets = RelaySockets({})
    settings = FetchSettings(timeout_s=5.0, resolver=_public_dns([]), sockets=sockets)
    assert isinstance(failure("http://images.example.com/cat.png", settings), httpcore.ConnectError)
    assert sockets.asked == [PUBLIC], "no retry: the deadline is for one attempt per hop"


def test_the_resolver_is_bounded_by_the_download_deadline():
    given = []

    def factory(deadline):
        given.append(deadline)
        return _public_dns([])(deadline)

    failure(
        "http://images.example.com/cat.png", FetchSettings(timeout_s=5.0, resolver=factory, sockets=RelaySockets({}))
    )
    assert len(given) == 1 and isinstance(given[0], fetch.fetch_net.Deadline)
    assert 4.0 < given[0].remaining() <= 5.0


def test_reasons_for_the_log_are_short_and_name_the_error():
    assert fetch._reason(TimeoutError()) == "TimeoutError"
    assert fetch._reason(FetchFailed("x" * 300)) == "FetchFailed: " + "x" * 200
    assert fetch._reason(FetchFailed("not a public address")) == "FetchFailed: not a public address"


def test_a_redirect_without_a_location_and_a_huge_length_are_named(server):
    server.routes["/moved"] = fs.status(302)
    server.routes["/huge"] = fs.declared(10**12)
    settings = allowing(server)
    assert str(failure(server.url("/moved"), settings)) == "HTTP 302 without a Location"
    assert str(failure(server.url("/huge"), settings)) == (
        f"Content-Length 1000000000000 is over the {settings.max_bytes}-byte cap"
    )


def test_the_format_check_reads_only_the_first_twelve_bytes_of_any_start():
    assert fetch.looks_like_image(b"RIFF\x10\x00\x00\x00WEBPVP8 \x00\x00")
    assert fetch.looks_like_image(b"\x00\x00\x00\x18ftypavif\x00\x00\x00\x00")

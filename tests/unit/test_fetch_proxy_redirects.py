"""Through an HTTP proxy, redirect hops are judged like the first URL (the proxy resolves names
itself, so a hop to an internal name would otherwise reach the internal network)."""

from __future__ import annotations

from ipaddress import ip_address

import pytest

from models.vision_utils.download.fetch import FetchSettings, download
from provider.errors.tree import Refused
from testkit import fetch_servers as fs
from testkit.images import encode, photo

PNG = encode(photo(60, 40), "PNG")
PUBLIC = "93.184.216.34"  # stands for a public web server


class ForwardProxy(fs.ScriptedServer):
    """An HTTP proxy that answers absolute-form requests itself, as if it had fetched them."""


def failure(url: str, settings: FetchSettings) -> Exception:
    with pytest.raises(Exception) as caught:  # the caller checks which
        download(url, settings)
    return caught.value


@pytest.mark.parametrize(
    "hop",
    ["http://intranet.example.com/x.png", "http://10.0.0.7/x.png", "http://metadata.google.internal/x", "/../x"],
)
def test_through_a_proxy_every_redirect_hop_is_judged_again(hop):
    """The proxy follows nothing itself: the plugin reads each 3xx and judges the next URL as it
    judged the first, so a public page cannot bounce the download to an internal name that the
    proxy would resolve."""
    proxy = ForwardProxy()
    proxy.routes["http://images.example.com/cat.png"] = fs.redirect(hop)
    proxy.routes["http://images.example.com/x"] = fs.image(PNG)  # where the relative hop lands
    dns = {"images.example.com": PUBLIC, "intranet.example.com": "10.0.0.5", "metadata.google.internal": PUBLIC}

    def resolver(deadline):
        return lambda host, port: [ip_address(dns[host])]

    settings = FetchSettings(
        timeout_s=5.0, proxy_env={"HTTP_PROXY": f"http://127.0.0.1:{proxy.port}"}, resolver=resolver
    )
    try:
        if hop.startswith("/"):  # a hop that stays on the public host is followed through the proxy
            assert download("http://images.example.com/cat.png", settings) == PNG
            assert proxy.seen.request_lines[-1] == "GET http://images.example.com/x HTTP/1.1"
        else:
            assert isinstance(failure("http://images.example.com/cat.png", settings), Refused)
            assert proxy.seen.request_lines == ["GET http://images.example.com/cat.png HTTP/1.1"], "never asked for"
    finally:
        proxy.stop()

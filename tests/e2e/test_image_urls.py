"""Image URLs through the real plugin process (MULTIMODAL_SEND_FORMAT=url): the SSRF policy,
the allowlist for Dify's file server, the 3-redirect and 50 MB limits, the overall deadline and
one error text for every failure. Traffic only to 127.0.0.0/8: the "internal network" here is
loopback, where scripted servers count every connection they get."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from testkit import fetch_servers as fs
from testkit.images import encode, image_part, photo, transparent_png
from testkit.plugin_driver import PluginProcess, llm_request
from testkit.simulator.inspect import inspect_images

VISION = "qwen/qwen3.5-27b"
UNIFORM = "Image 'upload.png' cannot be sent: the image could not be downloaded from its URL."
FETCH_TIMEOUT_S = 3
HUGE = 60_000_000  # over the 50 MiB cap
NO_PROXY_ENV = {
    name: "" for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy")
}


class Servers:
    def __init__(self) -> None:
        bmp = encode(photo(500, 400), "BMP")
        self.files = fs.serving(  # Dify's file server, allowlisted
            ("/photo.bmp", fs.image(bmp, "image/bmp")),
            ("/page.png", fs.image(b"<!DOCTYPE html><title>Sign in</title>", "text/html")),
            ("/scheme.png", fs.redirect("file:///etc/passwd")),
            *((f"/hop{n}", fs.redirect(f"/hop{n - 1}" if n > 1 else "/photo.bmp")) for n in range(1, 6)),
        )
        self.victim = fs.serving(("/secret.png", fs.image(transparent_png())))  # internal, not allowlisted
        self.files.routes["/to-victim"] = fs.redirect(self.victim.url("/secret.png"))
        self.files.routes["/to-localhost"] = fs.redirect(f"http://localhost:{self.files.port}/photo.bmp")
        self.slow = fs.serving(("/slow.png", fs.trickle(fs.PNG_SIGNATURE + bytes(400), 0.1)))
        self.declared = fs.serving(("/huge.png", fs.declared(HUGE)))
        self.streamed = fs.serving(("/huge.png", fs.chunked(fs.PNG_SIGNATURE, HUGE)))
        with socket.socket() as probe:  # a port with nothing listening
            probe.bind(("127.0.0.1", 0))
            self.closed_port = probe.getsockname()[1]

    @property
    def allowed(self) -> list[fs.ScriptedServer]:
        return [self.files, self.slow, self.declared, self.streamed]

    def stop(self) -> None:
        for server in [*self.allowed, self.victim]:
            server.stop()


@pytest.fixture(scope="module")
def servers() -> Iterator[Servers]:
    running = Servers()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def plugin(servers) -> Iterator[PluginProcess]:
    allowed = ",".join([*(f"127.0.0.1:{s.port}" for s in servers.allowed), f"127.0.0.1:{servers.closed_port}"])
    env = {**NO_PROXY_ENV, "ATLASCLOUD_ALLOWED_FILE_HOSTS": allowed, "ATLASCLOUD_FETCH_TIMEOUT_S": str(FETCH_TIMEOUT_S)}
    process = PluginProcess("local", extra_env=env)
    yield process
    process.stop()


def send_url(plugin, creds, url):
    part = {**image_part(b"", "image/png", filename="upload.png"), "base64_data": "", "url": url}
    content = [{"type": "text", "data": "Describe."}, part]
    return plugin.request(
        llm_request(VISION, creds, [{"role": "user", "content": content}], parameters={"thinking": False})
    )


def assert_uniform_failure(plugin, sim, creds, url):
    result = send_url(plugin, creds, url)
    assert result.error_type == "InvokeBadRequestError", result.error
    assert result.message == UNIFORM
    assert sim.requests("/v1/chat/completions") == [], "nothing was sent to AtlasCloud"
    still = plugin.request(
        llm_request(VISION, creds, [{"role": "user", "content": [image_part(transparent_png(), "image/png")]}])
    )
    assert still.ok, "the plugin keeps serving"
    sim.reset()


def test_the_allowlisted_file_server_is_downloaded_and_converted(plugin, sim, creds, servers):
    result = send_url(plugin, creds, servers.files.url("/photo.bmp"))
    assert result.ok, result.error
    [image] = inspect_images(sim.last_body())
    assert image["format"] in ("PNG", "JPEG") and (image["width"], image["height"]) == (500, 400)


LOOPBACK_SPELLINGS = [
    "127.0.0.1",
    "127.1",
    "2130706433",
    "0x7f000001",
    "0177.0.0.1",
    "0x7f.1",
    "127.0.0.1.",
    "localhost",
    "LOCALHOST",
    "[::ffff:127.0.0.1]",
    "[::ffff:7f00:1]",
    "[::1]",
    "0.0.0.0",
    "0",
    "[::]",
]


@pytest.mark.parametrize("host", LOOPBACK_SPELLINGS)
def test_loopback_in_every_spelling_is_refused_before_any_connection(plugin, sim, creds, servers, host):
    assert_uniform_failure(plugin, sim, creds, f"http://{host}:{servers.victim.port}/secret.png")
    assert servers.victim.seen.connections == 0


@pytest.mark.parametrize("path", ["/to-victim", "/to-localhost", "/scheme.png"])
def test_a_redirect_off_the_allowlist_is_refused(plugin, sim, creds, servers, path):
    before = len(servers.files.seen.request_lines)
    assert_uniform_failure(plugin, sim, creds, servers.files.url(path))
    assert servers.files.seen.request_lines[before:] == [f"GET {path} HTTP/1.1"], "the redirect was not followed"
    assert servers.victim.seen.connections == 0


def test_three_redirects_are_followed_and_four_are_refused(plugin, sim, creds, servers):
    assert send_url(plugin, creds, servers.files.url("/hop3")).ok
    sim.reset()
    assert_uniform_failure(plugin, sim, creds, servers.files.url("/hop4"))


def test_a_trickling_server_is_cut_at_the_overall_deadline(plugin, sim, creds, servers):
    # A byte every 100 ms never trips a per-read timeout; 400 bytes take 40 s without a deadline.
    assert_uniform_failure(plugin, sim, creds, servers.slow.url("/slow.png"))
    assert servers.slow.seen.finished_bodies == 0
    assert 0 < servers.slow.seen.body_bytes_sent < 408


def test_a_declared_length_over_50_mb_is_refused_without_reading(plugin, sim, creds, servers):
    assert_uniform_failure(plugin, sim, creds, servers.declared.url("/huge.png"))
    # Refused from the header: what left the server is only what socket buffers took, far from
    # the 50 MB the plugin would have read before the streaming cap stopped it.
    assert servers.declared.seen.finished_bodies == 0
    assert servers.declared.seen.body_bytes_sent < 20_000_000


def test_a_stream_over_50_mb_is_cut_at_the_cap(plugin, sim, creds, servers):
    assert_uniform_failure(plugin, sim, creds, servers.streamed.url("/huge.png"))
    assert servers.streamed.seen.finished_bodies == 0
    assert servers.streamed.seen.body_bytes_sent < HUGE


def test_every_failure_reads_the_same(plugin, sim, creds, servers):
    for url in [
        "http://[::1/x.png",  # malformed: once an "Unexpected failure"
        "http://user:secret@example.com/x.png",
        f"http://127.0.0.1:{servers.closed_port}/x.png",  # closed port (allowlisted)
        servers.files.url("/missing.png"),  # 404
        servers.files.url("/page.png"),  # not an image
        "http://169.254.169.254/latest/meta-data/x.png",  # refused address
        "ftp://127.0.0.1/x.png",
    ]:
        assert_uniform_failure(plugin, sim, creds, url)


def test_the_log_says_why_without_the_signature(plugin, sim, creds, servers):
    assert_uniform_failure(plugin, sim, creds, servers.files.url("/missing.png?timestamp=1&sign=SIGNATURE-XYZ"))
    assert_uniform_failure(plugin, sim, creds, f"http://127.1:{servers.victim.port}/secret.png?sign=SIGNATURE-XYZ")
    logs = "\n".join(plugin.stdout_lines + plugin.stderr_lines)
    assert "HTTP 404" in logs and "not a public address" in logs and "ATLASCLOUD_ALLOWED_FILE_HOSTS" in logs
    assert "SIGNATURE-XYZ" not in logs

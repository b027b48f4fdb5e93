"""The HTTP client every model type uses to reach AtlasCloud (or the gateway the admin configured).

It sends JSON and hands back the raw response: the plugin reads every reply itself (chat in
models/llm/sse.py and dialect.py, embeddings, rerank), leniently, because AtlasCloud's backends
each speak their own dialect. The client is httpx, which the Dify SDK has already loaded before
the plugin's first heartbeat, so the first request after start-up pays no import. (The openai
client used to send requests: importing it and building the first client took ~0.7 s, paid by
that first request, for nothing the plugin still used but its error classes;
bench/bench_startup.py.) An HTTP error status becomes `StatusError`, with the body read.
"""

from __future__ import annotations

import json
import os
import ssl
from functools import cache
from typing import Any

import certifi
import httpx

from provider.errors.bodies import body_of
from provider.errors.tree import ReplyError, StatusError

# Streams of many users share one pooled client per key; as many as openai's client allowed.
LIMITS = httpx.Limits(max_connections=1000, max_keepalive_connections=100)


@cache
def tls_context() -> ssl.SSLContext:
    """The one TLS context of the process, for AtlasCloud and for downloads: certifi's roots plus
    the operator's SSL_CERT_FILE / SSL_CERT_DIR (the daemon passes them on). Loading the roots
    takes tens of milliseconds; once per process is enough."""
    context = ssl.create_default_context(cafile=certifi.where())
    extra_file, extra_dir = os.environ.get("SSL_CERT_FILE"), os.environ.get("SSL_CERT_DIR")
    if extra_file and os.path.isfile(extra_file):
        context.load_verify_locations(cafile=extra_file)
    if extra_dir and os.path.isdir(extra_dir):
        context.load_verify_locations(capath=extra_dir)
    return context


def read_and_close(response: httpx.Response) -> bytes:
    try:
        return response.read()
    finally:
        response.close()


class Client:
    """One endpoint and key: paths are relative to the base URL (absolute URLs are used as given)."""

    def __init__(self, base_url: str, headers: dict[str, str], transport: httpx.BaseTransport | None = None) -> None:
        self._http = httpx.Client(
            base_url=base_url,
            headers=headers,
            limits=LIMITS,
            transport=transport,
            verify=tls_context(),
            follow_redirects=True,  # as the openai client did: a gateway moving http to https
        )

    def open(
        self,
        path: str,
        body: dict[str, Any] | None,
        timeout: httpx.Timeout,
        method: str = "POST",
        files: dict[str, Any] | None = None,
    ) -> httpx.Response:
        """Send one request; return the response with its body unread (the caller closes it).
        `files` sends a multipart form instead of JSON; file objects are streamed, not read whole."""
        request = self._http.build_request(method, path, json=body, files=files, timeout=timeout)
        response = self._http.send(request, stream=True)
        if response.status_code >= 400:
            reply = body_of(read_and_close(response))
            raise StatusError(response.status_code, reply, response.headers, response.reason_phrase)
        return response

    def call(
        self,
        path: str,
        body: dict[str, Any] | None,
        timeout: httpx.Timeout,
        method: str = "POST",
        files: dict[str, Any] | None = None,
    ) -> Any:
        """Send one request and return its JSON reply; ReplyError when the reply is not JSON."""
        response = self.open(path, body, timeout, method, files)
        content = read_and_close(response)
        try:
            return json.loads(content)
        except ValueError:
            raise ReplyError(f"its reply is not JSON (HTTP {response.status_code})") from None

"""The asynchronous media client (provider/media.py) against an in-memory AtlasCloud.

A submit is billed and cannot be cancelled: it is sent again only when it provably never left
the plugin. Polls are free and retried. A failed job is final in any HTTP status. Waits back off
within the deadline. Results are downloaded without the key, and an expired URL is asked for
again (never the job).
"""

from __future__ import annotations

import io
import json

import httpx
import pytest
from dify_plugin.errors.model import InvokeBadRequestError, InvokeRateLimitError, InvokeServerUnavailableError

from provider.client import Client
from provider.connection import Connection
from provider.deadline import Deadline
from provider.errors.mapping import to_invoke_error
from provider.errors.tree import (
    JobTimeout,
    JobUnconfirmed,
    PredictionFailed,
    ReplyError,
    ResultUnavailable,
    StatusError,
)
from provider.media import MediaClient, PollPolicy, media_base_url
from provider.media_reply import Prediction
from tests.unit.fakes import Clock

KEY = "apikey-unit-0123456789abcdef"
CONNECTION = Connection("https://api.atlascloud.ai/v1", KEY)
SUBMIT = "https://api.atlascloud.ai/api/v1/model/generateAudio"
POLL = "https://api.atlascloud.ai/api/v1/model/prediction/job-1"


class Upstream:
    """Answers by (method, url) from queues of callables or responses; records every request."""

    def __init__(self, routes: dict[tuple[str, str], list]) -> None:
        self.routes = routes
        self.seen: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(request)
        queue = self.routes[(request.method, str(request.url))]
        answer = queue.pop(0) if len(queue) > 1 else queue[0]
        return answer(request) if callable(answer) else answer

    def count(self, method: str, url: str) -> int:
        return sum(1 for r in self.seen if r.method == method and str(r.url) == url)


def media(upstream: Upstream, clock: Clock, budget: float = 570.0) -> MediaClient:
    headers = {"Authorization": f"Bearer {KEY}"}
    return MediaClient(
        CONNECTION,
        Deadline(clock.now + budget, budget, clock=clock.monotonic),
        what="speech",
        client=Client("https://api.atlascloud.ai/v1", headers, transport=httpx.MockTransport(upstream)),
        downloader=Client("", {"User-Agent": "t"}, transport=httpx.MockTransport(upstream)),
        poll=PollPolicy(1.0, ceiling_s=5.0),
        sleep=clock.sleep,
    )


def ok(payload: dict, code: object = 200, status: int = 200) -> httpx.Response:
    return httpx.Response(status, json={"code": code, "message": "", "data": payload})


def raising(error: type[Exception]):
    def answer(request: httpx.Request) -> httpx.Response:
        raise error("simulated", request=request)

    return answer


def test_the_media_api_lives_beside_v1_for_atlascloud_gateways_and_the_simulator():
    assert media_base_url(CONNECTION) == "https://api.atlascloud.ai/api/v1"
    assert media_base_url(Connection("http://127.0.0.1:8123/v1", KEY)) == "http://127.0.0.1:8123/api/v1"
    assert media_base_url(Connection("https://gw.example/openai/v1", KEY)) == "https://gw.example/openai/api/v1"


@pytest.mark.parametrize("code", [200, "200", 0, None])
def test_a_submit_accepts_every_success_code_spelling(code):
    reply = {"data": {"id": "job-1", "status": "created"}} | ({"code": code} if code is not None else {})
    upstream = Upstream({("POST", SUBMIT): [httpx.Response(200, json=reply)]})
    assert media(upstream, Clock()).submit("generateAudio", {"model": "m", "text": "hi"}) == "job-1"
    assert json.loads(upstream.seen[0].content) == {"model": "m", "text": "hi"}


def test_an_error_inside_an_http_200_submit_reply_is_an_error_with_its_code():
    upstream = Upstream({("POST", SUBMIT): [httpx.Response(200, json={"code": 402, "msg": "Insufficient balance"})]})
    with pytest.raises(Exception) as caught:
        media(upstream, Clock()).submit("generateAudio", {"model": "m"})
    mapped = to_invoke_error(caught.value, CONNECTION)
    assert isinstance(mapped, InvokeRateLimitError)  # never the class the SDK strips of its text
    assert "top up at https://www.atlascloud.ai/console/billing" in mapped.description


@pytest.mark.parametrize("lost", [httpx.ReadTimeout, httpx.RemoteProtocolError, httpx.ReadError])
def test_a_submit_whose_answer_is_lost_is_never_sent_again(lost):
    upstream = Upstream({("POST", SUBMIT): [raising(lost), ok({"id": "job-2"})]})
    with pytest.raises(JobUnconfirmed, match="may have been created and billed"):
        media(upstream, Clock()).submit("generateAudio", {"model": "m"})
    assert upstream.count("POST", SUBMIT) == 1


@pytest.mark.parametrize("status", [429, 500, 502, 503])
def test_a_submit_refused_with_a_status_is_not_sent_again(status):
    upstream = Upstream({("POST", SUBMIT): [httpx.Response(status, json={"code": status, "msg": "busy"})]})
    with pytest.raises(StatusError):
        media(upstream, Clock()).submit("generateAudio", {"model": "m"})
    assert upstream.count("POST", SUBMIT) == 1


@pytest.mark.parametrize("never_connected", [httpx.ConnectError, httpx.ConnectTimeout])
def test_a_submit_that_never_connected_is_sent_again(never_connected):
    upstream = Upstream({("POST", SUBMIT): [raising(never_connected), ok({"id": "job-3"})]})
    assert media(upstream, Clock()).submit("generateAudio", {"model": "m"}) == "job-3"
    assert upstream.count("POST", SUBMIT) == 2


def test_polls_back_off_and_read_every_status_until_done():
    statuses = ["created", "pending", "processing", "processing", "completed"]
    answers = [
        ok({"id": "job-1", "status": s, "outputs": ["https://cdn/x.mp3"] * (s == "completed")}) for s in statuses
    ]
    clock = Clock()
    prediction = media(Upstream({("GET", POLL): answers}), clock).wait("job-1")
    assert prediction.succeeded and prediction.outputs == ("https://cdn/x.mp3",)
    assert clock.slept == [1.0, 1.5, 2.25, 3.375, 5.0]


def test_a_flat_poll_reply_and_succeeded_status_are_read():
    flat = httpx.Response(200, json={"id": "job-1", "status": "succeeded", "output": "https://cdn/y.mp3"})
    prediction = media(Upstream({("GET", POLL): [flat]}), Clock()).wait("job-1")
    assert prediction.outputs == ("https://cdn/y.mp3",)


@pytest.mark.parametrize("status", [200, 500])
def test_a_failed_job_is_final_in_any_http_status_with_atlascloud_reason(status):
    failed = ok({"id": "job-1", "status": "failed", "error": {"message": "audio could not be decoded"}}, status=status)
    upstream = Upstream({("GET", POLL): [failed]})
    with pytest.raises(PredictionFailed) as caught:
        media(upstream, Clock()).wait("job-1")
    assert upstream.count("GET", POLL) == 1  # a 5xx that carries a finished job is not retried
    mapped = to_invoke_error(caught.value, CONNECTION)
    assert isinstance(mapped, InvokeBadRequestError)
    assert "job job-1 failed: audio could not be decoded" in mapped.description


def test_a_passing_server_error_about_a_running_job_is_polled_again():
    busy = httpx.Response(500, json={"code": 500, "msg": "busy", "data": {"status": "processing"}})
    done = ok({"id": "job-1", "status": "completed", "outputs": ["https://cdn/z.mp3"]})
    upstream = Upstream({("GET", POLL): [busy, done]})
    assert media(upstream, Clock()).wait("job-1").outputs == ("https://cdn/z.mp3",)
    assert upstream.count("GET", POLL) == 2


def test_a_failed_job_without_its_own_reason_takes_the_envelopes_words():
    reply = httpx.Response(500, json={"code": 500, "message": "model overloaded", "data": {"status": "failed"}})
    with pytest.raises(PredictionFailed, match="model overloaded"):
        media(Upstream({("GET", POLL): [reply]}), Clock()).wait("job-1")


def test_reasons_decide_the_dify_error():
    assert isinstance(to_invoke_error(PredictionFailed(None, "Insufficient balance")), InvokeRateLimitError)
    timeout = PredictionFailed(None, "took too long", job_status="timeout")
    assert isinstance(to_invoke_error(timeout), InvokeServerUnavailableError)


def test_a_transient_poll_failure_is_retried_and_an_unreadable_one_looked_past():
    done = ok({"id": "job-1", "status": "completed", "outputs": ["https://cdn/z.mp3"]})
    answers = [httpx.Response(503, text="busy"), raising(httpx.ReadTimeout), httpx.Response(200, text="<html>"), done]
    upstream = Upstream({("GET", POLL): answers})
    assert media(upstream, Clock()).wait("job-1").succeeded
    assert upstream.count("GET", POLL) == 4


def test_three_unreadable_polls_in_a_row_end_the_wait():
    upstream = Upstream({("GET", POLL): [httpx.Response(200, text="<html>")]})
    with pytest.raises(ReplyError):
        media(upstream, Clock()).wait("job-1")
    assert upstream.count("GET", POLL) == 3


def test_a_job_still_running_when_the_budget_ends_is_reported_not_resubmitted():
    upstream = Upstream({("POST", SUBMIT): [ok({"id": "job-1"})], ("GET", POLL): [ok({"status": "processing"})]})
    clock = Clock()
    with pytest.raises(JobTimeout, match=r"job-1 was still running.*not submitted again"):
        media(upstream, clock, budget=30.0).run("generateAudio", {"model": "m"})
    assert upstream.count("POST", SUBMIT) == 1
    assert clock.now - 1000.0 <= 30.0


def test_results_are_downloaded_without_the_key_and_an_expired_url_is_asked_for_again():
    expired = "https://cdn.example/old.mp3"
    fresh = "https://cdn.example/new.mp3"
    upstream = Upstream(
        {
            ("GET", expired): [httpx.Response(403, text="<Error>AccessDenied</Error>")],
            ("GET", POLL): [ok({"id": "job-1", "status": "completed", "outputs": [fresh]})],
            ("GET", fresh): [httpx.Response(200, content=b"ID3audio")],
        }
    )
    client = media(upstream, Clock())
    assert client.fetch_output(Prediction("job-1", "completed", (expired,))) == b"ID3audio"
    downloads = [r for r in upstream.seen if r.url.host == "cdn.example"]
    assert downloads and all("authorization" not in r.headers for r in downloads)
    assert upstream.count("POST", SUBMIT) == 0


def test_a_result_over_the_cap_or_missing_is_unavailable():
    upstream = Upstream({("GET", "https://cdn/big"): [httpx.Response(200, content=b"x" * 2048)]})
    client = media(upstream, Clock())
    with pytest.raises(ResultUnavailable, match="cap"):
        client.download("https://cdn/big", max_bytes=1024)
    with pytest.raises(ResultUnavailable, match="without a result file"):
        client.fetch_output(Prediction("job-8", "completed"))


def test_a_completed_job_withheld_by_content_safety_is_a_failure():
    blocked = Prediction("job-9", "completed", (), payload={"has_nsfw_contents": [True]})
    with pytest.raises(PredictionFailed, match="content safety"):
        media(Upstream({}), Clock()).fetch_output(blocked)


def test_an_upload_streams_the_file_with_its_name_and_type_and_returns_the_url():
    url = "https://api.atlascloud.ai/api/v1/model/uploadMedia"
    answer = ok({"download_url": "https://atlas-img.example/media/a.wav", "filename": "audio.wav", "size": 5})
    upstream = Upstream({("POST", url): [answer]})
    stored = media(upstream, Clock()).upload(io.BytesIO(b"RIFFx"), "audio.wav", "audio/wav")
    assert stored == "https://atlas-img.example/media/a.wav"
    sent = upstream.seen[0]
    assert sent.headers["content-type"].startswith("multipart/form-data; boundary=")
    body = sent.read()
    assert b'name="file"; filename="audio.wav"' in body and b"Content-Type: audio/wav" in body and b"RIFFx" in body

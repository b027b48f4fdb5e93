"""The media client's jobs in detail (provider/media.py), against the in-memory AtlasCloud of
test_media_client.py: the exact words of every failure a user reads, the deadline bounding every
request and every wait (also the last look before the budget ends), retries that wait on the
invocation's clock, and a client built from the connection and the administrator's poll interval
alone. Downloads, uploads and schema checks: test_media_client_files.py."""

from __future__ import annotations

import json

import httpx
import pytest

from provider import media
from provider.client import Client
from provider.connection import Connection, request_headers
from provider.deadline import Deadline
from provider.errors.tree import (
    JobTimeout,
    JobUnconfirmed,
    PredictionFailed,
    ResultUnavailable,
)
from provider.media import MediaClient, PollPolicy
from provider.settings import Settings
from tests.unit.fakes import Clock
from tests.unit.test_media_client import CONNECTION, KEY, POLL, SUBMIT, Upstream, ok, raising
from tests.unit.test_media_client import media as speech_client

BASE = "https://api.atlascloud.ai/api/v1"
LATE = "when this call's 30 s budget ran out (ATLASCLOUD_TOTAL_TIMEOUT_S; Dify's daemon stops every call at 600 s). "


def timeouts_within(request: httpx.Request, budget: float) -> bool:
    timeout = request.extensions["timeout"]
    return all(timeout[kind] is not None and 0 < timeout[kind] <= budget for kind in ("connect", "read", "pool"))


def advancing(clock: Clock, seconds: float, then: object):
    """An answer that takes `seconds` of the clock, then raises `then` (an exception class) or returns it."""

    def answer(request: httpx.Request) -> httpx.Response:
        clock.now += seconds
        if isinstance(then, type):
            raise then("simulated", request=request)
        return then  # type: ignore[return-value]

    return answer


# --- a client from the connection alone --------------------------------------------------------


def test_the_poll_policy_follows_the_administrators_interval(monkeypatch):
    monkeypatch.setattr(media, "settings", lambda: Settings(poll_interval_s=2.0))
    waits = PollPolicy.from_settings().waits()
    assert [next(waits) for _ in range(7)] == [2.0, 3.0, 4.5, 6.75, 10.0, 10.0, 10.0]


def test_a_client_from_the_connection_alone_uses_its_key_its_interval_and_plain_words(monkeypatch):
    upstream = Upstream(
        {("GET", POLL): [ok({"status": "processing"}), ok({"status": "failed", "error": "voice not found"})]}
    )

    def open_client(connection: Connection) -> Client:
        return Client(connection.base_url, request_headers(connection), transport=httpx.MockTransport(upstream))

    monkeypatch.setattr(media, "open_client", open_client)
    monkeypatch.setattr(media, "settings", lambda: Settings(poll_interval_s=0.5))
    clock = Clock()
    client = MediaClient(CONNECTION, Deadline(clock.now + 30, 30, clock=clock.monotonic), sleep=clock.sleep)
    with pytest.raises(PredictionFailed) as caught:
        client.wait("job-1")
    assert str(caught.value) == "the media job job-1 failed: voice not found"
    assert clock.slept == [0.5, 0.75]
    assert all(r.headers["authorization"] == f"Bearer {KEY}" for r in upstream.seen)


def test_a_given_poll_policy_is_used_instead_of_the_setting():
    upstream = Upstream({("GET", POLL): [ok({"status": "queued"}), ok({"status": "completed"})]})
    clock = Clock()
    client = MediaClient(
        CONNECTION,
        Deadline(clock.now + 30, 30, clock=clock.monotonic),
        "speech",
        client=Client("", {}, transport=httpx.MockTransport(upstream)),
        poll=PollPolicy(0.25, ceiling_s=0.25),
        sleep=clock.sleep,
    )
    assert client.wait("job-1").succeeded
    assert clock.slept == [0.25, 0.25]


# --- submit ------------------------------------------------------------------------------------


def test_run_submits_the_body_as_given_and_waits_for_the_job():
    upstream = Upstream(
        {
            ("POST", SUBMIT): [ok({"id": "job-1"})],
            ("GET", POLL): [ok({"status": "completed", "outputs": ["https://cdn/a.mp3"]})],
        }
    )
    body = {"model": "m", "text": "hello", "voice": "eve"}
    prediction = speech_client(upstream, Clock(), budget=30.0).run("generateAudio", body)
    assert prediction.id == "job-1" and prediction.outputs == ("https://cdn/a.mp3",)
    assert json.loads(upstream.seen[0].content) == body
    assert all(timeouts_within(request, 30.0) for request in upstream.seen)


def test_a_lost_submit_answer_says_the_job_may_be_billed_and_was_not_sent_again():
    upstream = Upstream({("POST", SUBMIT): [raising(httpx.ReadTimeout)]})
    with pytest.raises(JobUnconfirmed) as caught:
        speech_client(upstream, Clock()).submit("generateAudio", {"model": "m"})
    assert str(caught.value) == (
        "AtlasCloud did not confirm the speech job (its answer was lost or unreadable: ReadTimeout). The job may "
        "have been created and billed; the plugin did not send it again. Check the request history in the "
        "AtlasCloud console before retrying."
    )


def test_a_submit_that_never_connects_is_retried_on_the_invocations_clock_then_raised_as_is():
    upstream = Upstream({("POST", SUBMIT): [raising(httpx.ConnectError)]})
    clock = Clock()
    with pytest.raises(httpx.ConnectError):
        speech_client(upstream, clock).submit("generateAudio", {"model": "m"})
    assert upstream.count("POST", SUBMIT) == 3
    assert len(clock.slept) == 2 and all(0.5 <= pause <= 1.5 for pause in clock.slept)


def test_a_submit_still_unsent_when_the_budget_ends_could_not_be_submitted_in_time():
    clock = Clock()
    upstream = Upstream({("POST", SUBMIT): [advancing(clock, 40.0, httpx.ConnectTimeout)]})
    with pytest.raises(JobTimeout) as caught:
        speech_client(upstream, clock, budget=30.0).submit("generateAudio", {"model": "m"})
    assert (
        str(caught.value) == f"The speech job could not be submitted in time {LATE}Send shorter input, or retry later."
    )


# --- waiting and polling -----------------------------------------------------------------------


def test_a_job_still_running_when_the_budget_ends_says_it_may_still_be_billed():
    clock = Clock()
    upstream = Upstream({("GET", POLL): [advancing(clock, 28.5, ok({"status": "processing"}))]})
    with pytest.raises(JobTimeout) as caught:
        speech_client(upstream, clock, budget=30.0).wait("job-1")
    assert str(caught.value) == (
        f"The speech job job-1 was still running {LATE}It may still finish and be billed; it was not submitted "
        "again. Send shorter input, or retry later."
    )
    assert upstream.count("GET", POLL) == 1


def test_the_last_look_comes_early_enough_to_leave_a_poll_its_time():
    clock = Clock()
    upstream = Upstream({("GET", POLL): [ok({"status": "processing"})]})
    with pytest.raises(JobTimeout):
        speech_client(upstream, clock, budget=4.0).wait("job-1")
    assert clock.slept == [1.0, 1.0], "the second wait is cut to leave 2 s for its poll"
    assert upstream.count("GET", POLL) == 2


def test_a_poll_is_still_made_with_exactly_the_minimum_attempt_time_left():
    upstream = Upstream({("GET", POLL): [ok({"status": "processing"}), ok({"status": "succeeded"})]})
    clock = Clock()
    assert speech_client(upstream, clock, budget=3.0).wait("job-1").succeeded
    assert clock.slept == [1.0, 0.0]


def test_unreadable_polls_are_counted_in_a_row_only():
    html = httpx.Response(200, text="<html>proxy error</html>")
    answers = [html, html, ok({"status": "processing"}), html, html, ok({"status": "completed"})]
    upstream = Upstream({("GET", POLL): answers})
    assert speech_client(upstream, Clock()).wait("job-1").succeeded
    assert upstream.count("GET", POLL) == 6


def test_a_failed_job_names_the_job_and_what_it_was_for():
    failed = httpx.Response(500, json={"code": 500, "data": {"status": "failed", "error": "no speech found"}})
    with pytest.raises(PredictionFailed) as caught:
        speech_client(Upstream({("GET", POLL): [failed]}), Clock()).wait("job-1")
    assert str(caught.value) == "the speech job job-1 failed: no speech found"


def test_a_poll_reply_without_an_id_is_the_asked_job_and_each_poll_is_bounded():
    upstream = Upstream({("GET", POLL): [ok({"status": "completed", "outputs": ["https://cdn/a.mp3"]})]})
    prediction = speech_client(upstream, Clock(), budget=30.0).poll("job-1")
    assert prediction.id == "job-1"
    assert timeouts_within(upstream.seen[0], 30.0)


def test_a_job_id_is_one_path_segment():
    url = f"{BASE}/model/prediction/org%2Fjob%201"
    upstream = Upstream({("GET", url): [ok({"status": "completed"})]})
    assert speech_client(upstream, Clock()).poll("org/job 1").id == "org/job 1"


def test_a_transient_poll_failure_is_retried_on_the_invocations_clock():
    upstream = Upstream({("GET", POLL): [httpx.Response(503, text="busy"), ok({"status": "processing"})]})
    clock = Clock()
    assert speech_client(upstream, clock).poll("job-1").status == "processing"
    assert len(clock.slept) == 1 and 0.5 <= clock.slept[0] <= 0.75


def test_a_job_the_api_does_not_know_is_unavailable_in_plain_words():
    upstream = Upstream({("GET", POLL): [httpx.Response(404, json={"code": 404, "msg": "not found"})]})
    with pytest.raises(ResultUnavailable) as caught:
        speech_client(upstream, Clock()).poll("job-1")
    assert str(caught.value) == "AtlasCloud does not know the speech job job-1 (HTTP 404)"


def test_a_poll_out_of_time_reports_the_job_still_running():
    clock = Clock()
    upstream = Upstream({("GET", POLL): [advancing(clock, 40.0, httpx.ReadTimeout)]})
    with pytest.raises(JobTimeout, match=r"^The speech job job-1 was still running when"):
        speech_client(upstream, clock, budget=30.0).poll("job-1")

"""provider/media_reply.py: reading every variant of the media API's replies (docs/research/speech-api.md
§1-2): envelope or flat, success codes, job ids, statuses, outputs, failure reasons and the
temporary URL of an upload, and the Dify error each failure becomes."""

from __future__ import annotations

import pytest
from dify_plugin.errors.model import InvokeBadRequestError, InvokeRateLimitError, InvokeServerUnavailableError

from provider.errors.mapping import to_invoke_error
from provider.errors.tree import PredictionFailed, ReplyError, UpstreamError
from provider.media_reply import (
    Prediction,
    failure,
    job_id_of,
    outputs_of,
    payload_of,
    prediction_of,
    reason_of,
    refusal_in,
    terminal_in_error_body,
    uploaded_url,
)


def test_a_reply_that_is_not_an_object_is_unreadable():
    with pytest.raises(ReplyError) as caught:
        payload_of([{"id": "job-1"}])
    assert str(caught.value) == "its reply is not a JSON object"


def test_an_envelope_refusal_keeps_its_code_words_and_request_id():
    refusal = refusal_in({"code": 429, "msg": "Too many requests", "request_id": "r-42"})
    assert isinstance(refusal, UpstreamError)
    assert (refusal.code, refusal.message, refusal.request_id) == (429, "Too many requests", "r-42")
    assert "(request id: r-42)" in to_invoke_error(refusal).description


def test_an_envelope_refusal_without_words_or_a_text_request_id():
    refusal = refusal_in({"code": "500", "request_id": 7})
    assert refusal is not None
    assert (refusal.message, refusal.request_id) == ("no details", None)
    assert refusal_in({"code": 0, "msg": "ok"}) is None and refusal_in("text") is None


@pytest.mark.parametrize(("reply", "job_id"), [({"data": {"id": " job-1 "}}, "job-1"), ({"id": 42}, "42")])
def test_a_submit_reply_gives_its_job_id(reply, job_id):
    assert job_id_of(reply) == job_id


@pytest.mark.parametrize("job", [None, True, "  ", 1.5, ["job-1"]])
def test_a_submit_reply_without_a_usable_job_id_is_unreadable(job):
    with pytest.raises(ReplyError) as caught:
        job_id_of({"code": 200, "data": {"id": job}})
    assert str(caught.value) == "it accepted the job but sent no job id"


def test_a_submit_refused_in_its_envelope_raises_the_refusal():
    with pytest.raises(UpstreamError, match="Insufficient balance"):
        job_id_of({"code": 402, "msg": "Insufficient balance", "data": {"id": "job-1"}})


def test_a_poll_reply_keeps_its_id_status_error_code_and_payload():
    payload = {"id": "job-7", "status": " Failed ", "error_code": "E42", "error": "bad input"}
    prediction = prediction_of({"code": 200, "data": payload}, "asked")
    assert (prediction.id, prediction.status, prediction.error_code, prediction.reason) == (
        "job-7",
        "failed",
        "E42",
        "bad input",
    )
    assert prediction.payload == payload and prediction.failed and prediction.finished


def test_a_poll_reply_without_id_or_status_is_the_asked_job_still_running():
    prediction = prediction_of({"code": 200, "data": {}}, "job-1")
    assert (prediction.id, prediction.status, prediction.finished) == ("job-1", "processing", False)


def test_a_poll_reply_refused_in_its_envelope_raises_unless_the_job_is_finished():
    with pytest.raises(UpstreamError, match="overloaded"):
        prediction_of({"code": 503, "msg": "overloaded", "data": {"status": "processing"}}, "job-1")
    finished = prediction_of({"code": 500, "msg": "overloaded", "data": {"status": "failed"}}, "job-1")
    assert finished.failed and finished.reason == "overloaded"


def test_only_a_finished_job_in_an_error_body_is_final():
    assert terminal_in_error_body({"data": {"status": "processing"}}, "job-1") is None
    assert terminal_in_error_body({"code": 500, "msg": "busy"}, "job-1") is None
    assert terminal_in_error_body({"code": 500, "msg": "busy", "data": {"status": "processing"}}, "job-1") is None
    finished = terminal_in_error_body({"code": 500, "data": {"status": "timeout"}}, "job-1")
    assert finished is not None and (finished.id, finished.status) == ("job-1", "timeout")


def test_outputs_are_urls_as_text_or_in_objects_under_any_of_their_keys():
    payload = {
        "outputs": [
            "https://cdn/a.mp3",
            {"url": "https://cdn/b.mp3"},
            {"download_url": "", "audio_url": "https://cdn/c.mp3"},
            {"audio_url": 5},
            7,
        ]
    }
    assert outputs_of(payload) == ("https://cdn/a.mp3", "https://cdn/b.mp3", "https://cdn/c.mp3")
    assert outputs_of({"output": "https://cdn/d.mp3"}) == ("https://cdn/d.mp3",)
    assert outputs_of({"status": "completed"}) == ()


def test_the_reason_is_the_error_text_or_object_else_the_envelopes_words():
    assert reason_of({"error": "  audio   too\nlong "}, {}) == "audio too long"
    assert reason_of({"error": {"message": "  ", "msg": 5, "detail": "no speech found"}}, {}) == "no speech found"
    envelope = {"code": 500, "message": "model overloaded", "data": {"status": "failed"}}
    assert reason_of(envelope["data"], envelope) == "model overloaded"


def test_a_flat_reply_has_no_envelope_to_take_a_reason_from():
    flat = {"id": "job-1", "status": "failed", "message": "success"}
    assert reason_of(flat, flat) == ""


def test_a_failure_says_which_job_failed_and_why_or_that_no_reason_was_given():
    error = failure(Prediction("job-3", "failed", reason="voice not found"), "speech")
    assert str(error) == "the speech job job-3 failed: voice not found"
    silent = failure(prediction_of({"data": {"id": "job-4", "status": "cancelled"}}, "job-4"), "speech")
    assert str(silent) == "the speech job job-4 failed: it ended with status 'cancelled' and gave no reason"


def test_a_failures_code_and_final_status_decide_the_dify_error():
    assert isinstance(
        to_invoke_error(failure(Prediction("j", "failed", error_code=429), "speech")), InvokeRateLimitError
    )
    assert isinstance(to_invoke_error(failure(Prediction("j", "timeout"), "speech")), InvokeServerUnavailableError)
    assert isinstance(to_invoke_error(failure(Prediction("j", "failed"), "speech")), InvokeBadRequestError)
    error = failure(Prediction("j", "canceled", error_code="E1"), "speech")
    assert isinstance(error, PredictionFailed) and (error.code, error.job_status) == ("E1", "canceled")


@pytest.mark.parametrize(
    ("reply", "url"),
    [
        ({"code": 200, "data": {"download_url": "https://atlas/a.wav", "url": "https://other"}}, "https://atlas/a.wav"),
        ({"code": 200, "data": {"url": "http://127.0.0.1:8123/files/b.wav"}}, "http://127.0.0.1:8123/files/b.wav"),
        ({"code": 200, "data": {"download_url": 5}, "url": "https://atlas/c.wav"}, "https://atlas/c.wav"),
        ({"download_url": "https://atlas/d.wav", "data": {"size": 5}}, "https://atlas/d.wav"),
    ],
)
def test_an_upload_reply_gives_the_files_temporary_url(reply, url):
    assert uploaded_url(reply) == url


def test_an_upload_reply_without_a_url_or_refused_raises():
    with pytest.raises(ReplyError) as caught:
        uploaded_url({"code": 200, "data": {"download_url": "ftp://x", "filename": "a.wav"}})
    assert str(caught.value) == "it stored the file but sent no URL for it"
    with pytest.raises(UpstreamError, match="file too large"):
        uploaded_url({"code": 413, "msg": "file too large", "data": {"download_url": "https://atlas/x.wav"}})

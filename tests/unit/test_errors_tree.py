"""The exception tree's own behaviour: what each error keeps, and the status it stands for."""

from __future__ import annotations

import pytest
from dify_plugin.errors.model import InvokeBadRequestError, InvokeServerUnavailableError

from provider.connection import Connection
from provider.errors.mapping import to_invoke_error
from provider.errors.tree import PredictionFailed, ResultUnavailable, StatusError, status_of_code

GATEWAY = Connection("https://gw.example.com/v1", "gw.Key!42")


def test_a_status_error_says_its_status_and_keeps_what_it_was_given():
    error = StatusError(502, {"msg": "bad gateway"})
    assert str(error) == "HTTP 502" and error.reason == "" and error.headers == {}
    with_headers = StatusError(429, "slow down", {"x-request-id": "req-1"}, "Too Many Requests")
    assert (with_headers.request_id, with_headers.reason) == ("req-1", "Too Many Requests")


@pytest.mark.parametrize(("code", "status"), [(None, 500), ("", 500), (429, 429), (" 404 ", 404), ("xxxx", 500)])
def test_a_missing_or_unknown_code_stands_for_500(code, status):
    assert status_of_code(code) == status


def test_a_failed_job_keeps_atlascloud_code_reason_and_request_id():
    error = PredictionFailed(1039, "input rejected by content moderation", "req-9")
    assert (error.code, error.message, error.request_id, error.job_status) == (
        1039, "input rejected by content moderation", "req-9", "failed",
    )  # fmt: skip
    assert error.status == 400, "refused for what was asked: the same request would fail again"
    mapped = to_invoke_error(error, GATEWAY)
    assert isinstance(mapped, InvokeBadRequestError) and "(code 1039)" in mapped.description
    assert "req-9" in mapped.description


def test_a_job_atlascloud_gave_up_on_stands_for_503_and_a_coded_one_for_its_code():
    assert PredictionFailed(None, "took too long", job_status="timeout").status == 503
    assert PredictionFailed(None, "no reason").status == 400
    assert PredictionFailed("429", "busy").status == 429


def test_a_result_that_cannot_be_fetched_is_the_servers_fault():
    error = ResultUnavailable("no audio in the outputs")
    assert error.expired is False and str(error) == "no audio in the outputs"
    assert ResultUnavailable("gone", expired=True).expired is True
    assert isinstance(to_invoke_error(error, GATEWAY), InvokeServerUnavailableError)


def test_a_damaged_install_says_so_and_is_logged(caplog):
    from provider.errors.tree import EncodingFileError

    error = EncodingFileError("cl100k_base.tiktoken does not match its published SHA-256; reinstall the plugin.")
    mapped = to_invoke_error(error, GATEWAY)
    assert isinstance(mapped, InvokeServerUnavailableError)
    assert mapped.description == "cl100k_base.tiktoken does not match its published SHA-256; reinstall the plugin."
    assert [(r.levelname, r.getMessage()) for r in caplog.records] == [
        ("ERROR", f"the plugin's install is damaged: {error}")
    ]


def test_error_bodies_that_are_not_utf8_are_still_read():
    from provider.errors.bodies import body_of, readable

    assert body_of(b"\xffbad gateway\xfe") == "\ufffdbad gateway\ufffd"
    assert readable(b"\xffbad gateway") == "\ufffdbad gateway"
    assert readable({"error": 42}) is None, "an error field that is neither text nor an object says nothing"


def test_an_error_inside_a_reply_names_atlascloud_unless_told_another_label():
    from provider.errors.mapping import error_in_reply
    from provider.errors.tree import UpstreamError

    assert error_in_reply(UpstreamError(429, "slow down")).description.startswith("AtlasCloud reported an error")


def test_a_call_without_a_budget_of_its_own_gets_the_configured_one(monkeypatch):
    from provider.deadline import Deadline
    from provider.settings import settings

    monkeypatch.setenv("ATLASCLOUD_TOTAL_TIMEOUT_S", "123")
    settings.cache_clear()
    assert Deadline.start().budget_s == 123.0
    assert Deadline.start(7).budget_s == 7

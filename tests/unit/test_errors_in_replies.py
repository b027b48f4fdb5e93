"""Error objects servers put inside a 200 reply (or a stream): which payloads are errors, with which
code, message and request id, and which are not."""

from __future__ import annotations

import pytest

from provider.errors.bodies import error_of_payload
from provider.errors.mapping import is_not_found
from provider.errors.tree import UpstreamError
from tests.unit.fakes import status_error


def fields(payload) -> tuple | None:
    error = error_of_payload(payload)
    return None if error is None else (error.code, error.message, error.request_id)


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        # OpenAI's shape; OpenRouter sends it inside a chunk that still has choices.
        ({"error": {"message": "Rate limit", "code": 429, "type": "t"}, "request_id": "r1"}, (429, "Rate limit", "r1")),
        ({"error": {"message": "bad", "code": 400}, "choices": [{"delta": {}}]}, (400, "bad", None)),
        ({"error": {"message": "long", "code": "", "type": "invalid_request"}}, ("invalid_request", "long", None)),
        ({"error": {"message": "x", "code": None, "type": "server_error"}}, ("server_error", "x", None)),
        ({"error": {"code": 500}}, (500, "no details", None)),
        ({"error": "plain words", "code": 400, "request_id": "r2"}, (400, "plain words", "r2")),
        # AtlasCloud's own envelope.
        ({"code": 402, "msg": "Balance too low", "request_id": "r3", "data": None}, (402, "Balance too low", "r3")),
        ({"code": None, "msg": "bad", "type": "server_error"}, ("server_error", "bad", None)),
        ({"code": 503, "msg": ""}, (503, "no details", None)),
        # vLLM's.
        ({"object": "error", "message": "no model", "type": "NotFoundError", "code": 404}, (404, "no model", None)),
        ({"object": "error", "message": "m", "type": "BadRequestError"}, ("BadRequestError", "m", None)),
        ({"object": "error"}, (None, "no details", None)),
    ],
)  # fmt: skip
def test_every_error_shape_keeps_its_code_message_and_request_id(payload, expected):
    assert fields(payload) == expected


def test_a_long_plain_error_is_clipped():
    code, message, _ = fields({"error": "e " * 1000})
    assert code is None and len(message) == 400 and message.endswith("...")


@pytest.mark.parametrize(
    "payload",
    [
        None,
        "error",
        ["error"],
        {},
        {"choices": [{"delta": {"content": "x"}}]},
        {"error": {}},
        {"error": "   "},
        {"error": None},
        {"code": 0, "msg": "success", "data": {}},  # AtlasCloud's success envelope
        {"code": "200", "msg": "ok"},
        {"code": 200, "msg": "ok"},
        {"msg": "no code, not an envelope"},
        {"code": 500},  # a code alone is not an envelope
        {"choices": [{"delta": {}}], "code": 1, "msg": "chunks that carry choices are not errors"},
    ],
)
def test_payloads_that_are_not_errors(payload):
    assert error_of_payload(payload) is None


def test_the_message_is_the_errors_text():
    assert str(UpstreamError(429, "slow down", "r")) == "slow down"


@pytest.mark.parametrize(
    ("error", "not_found"),
    [
        (UpstreamError(404, "no such model"), True),
        (UpstreamError("model_not_found", "no such model"), True),
        (UpstreamError(400, "bad"), False),
        (UpstreamError(None, "boom"), False),
        (ValueError("404"), False),
    ],
)
def test_not_found_means_the_server_said_404_in_any_form(error, not_found):
    assert is_not_found(error) is not_found


def test_an_http_404_is_not_found_and_other_statuses_are_not():
    assert is_not_found(status_error(404, {"msg": "no route"})) is True
    assert is_not_found(status_error(400, {"msg": "bad"})) is False

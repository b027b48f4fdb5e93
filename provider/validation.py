"""Prove that an AtlasCloud API key works, preferably without a billed completion.

`GET /v1/models` answers without a key, so it proves nothing. The billing API's
`GET /public/v1/balance` needs the key and costs nothing: 200 proves the key, 401 refutes it.
Any other answer (403 for keys without billing permission, 404 on gateways without that
route, an unreadable body) is inconclusive, and a 16-token completion decides instead.

A refusal of that completion proves the key only when the reply shows that authentication
passed: AtlasCloud's own `{code, msg}` envelope refusing the probe *model* (AtlasCloud
authenticates before it routes). Gateways such as LiteLLM answer 400 to every call with a
bad key, so any other refusal fails validation with the server's words.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import httpx
from dify_plugin.errors.model import CredentialsValidateFailedError

from provider.client import Client
from provider.connection import Connection, open_client
from provider.deadline import VALIDATION_BUDGET_S, Deadline, with_retries
from provider.errors.mapping import validation_failed
from provider.errors.tree import ReplyError, StatusError
from provider.errors.wording import capitalised

_MODEL_REFUSALS = {400, 404, 422}


def verify_api_key(connection: Connection, preferred_models: Sequence[str]) -> None:
    """Raise CredentialsValidateFailedError with an actionable message if the key is unusable."""
    deadline = Deadline.start(VALIDATION_BUDGET_S)
    client = open_client(connection)
    prefix = f"{capitalised(connection.label)} credentials check failed"
    try:
        balance_url = connection.balance_url
        if balance_url:
            try:
                with_retries(deadline, lambda t: client.call(balance_url, None, t, method="GET"))
                return
            except StatusError as error:
                if error.status == 401:
                    raise
            except ReplyError:
                pass  # a body we cannot read: inconclusive
        _verify_with_completion(client, deadline, preferred_models)
    except CredentialsValidateFailedError:
        raise
    except Exception as error:
        raise validation_failed(error, connection, prefix) from None


def probe_request(model: str) -> dict[str, Any]:
    """The smallest billed completion: proves a key, or that a model answers."""
    return {"model": model, "messages": [{"role": "user", "content": "ping"}], "max_tokens": 16, "stream": False}


def _verify_with_completion(client: Client, deadline: Deadline, preferred: Sequence[str]) -> None:
    model = pick_probe_model(client, deadline, preferred)
    try:
        with_retries(deadline, lambda t: client.call("/chat/completions", probe_request(model), t))
    except StatusError as error:
        if not refuses_only_the_model(error.status, error.body, model):
            raise


def refuses_only_the_model(status: int, body: Any, model: str) -> bool:
    """True for AtlasCloud's envelope refusing the probe model itself, which happens after authentication."""
    if status not in _MODEL_REFUSALS or not isinstance(body, dict):
        return False
    message = body.get("msg")
    if "code" not in body or not isinstance(message, str):
        return False
    return model.lower() in message.lower() or "model" in message.lower()


def pick_probe_model(client: Client, deadline: Deadline, preferred: Sequence[str]) -> str:
    """The first preferred model the endpoint lists as ready, else any listed one, else the first preferred."""
    try:
        listed = client.call("/models", None, deadline.timeout(), method="GET")
    except (StatusError, ReplyError, httpx.TransportError):
        listed = None
    entries = listed.get("data") if isinstance(listed, dict) else None
    ready = [
        entry["id"]
        for entry in (entries if isinstance(entries, list) else [])
        if isinstance(entry, dict) and isinstance(entry.get("id"), str) and entry.get("is_ready") is not False
    ]
    for model in preferred:
        if model in ready:
            return model
    return ready[0] if ready else preferred[0]

"""Prove that an AtlasCloud API key works, preferably without a billed completion.

`GET /v1/models` answers without a key, so it proves nothing. The billing API's
`GET /public/v1/balance` needs the key and costs nothing: 200 proves the key, 401 refutes it.
Keys without billing permission (403) and gateways without that route (404) fall back to a
one-token completion on a model the endpoint lists right now, never a hard-coded one.
"""

from __future__ import annotations

from collections.abc import Sequence

import openai
from dify_plugin.errors.model import CredentialsValidateFailedError, InvokeError

from provider.connection import Connection, open_client
from provider.errors import to_invoke_error

# Statuses of the balance call that say nothing about the key itself.
_INCONCLUSIVE = {403, 404, 405, 501}


def verify_api_key(connection: Connection, preferred_models: Sequence[str]) -> None:
    """Raise CredentialsValidateFailedError with an actionable message if the key is unusable."""
    client = open_client(connection, max_retries=1)
    try:
        client.get(connection.balance_url, cast_to=object)
        return
    except openai.APIStatusError as error:
        if error.status_code not in _INCONCLUSIVE:
            raise _failed(error, connection) from error
    except openai.APIConnectionError as error:
        raise _failed(error, connection) from error
    _verify_with_completion(client, connection, preferred_models)


def _verify_with_completion(client: openai.OpenAI, connection: Connection, preferred: Sequence[str]) -> None:
    try:
        model = pick_probe_model(client, preferred)
        client.chat.completions.create(
            model=model, messages=[{"role": "user", "content": "ping"}], max_tokens=16, stream=False
        )
    except (openai.APIError, LookupError) as error:
        raise _failed(error, connection) from error


def pick_probe_model(client: openai.OpenAI, preferred: Sequence[str]) -> str:
    """The first preferred model the endpoint lists as ready, else any listed model."""
    listed = client.get("/models", cast_to=object)
    entries = listed.get("data") if isinstance(listed, dict) else None
    ready = [
        entry["id"]
        for entry in entries or []
        if isinstance(entry, dict) and isinstance(entry.get("id"), str) and entry.get("is_ready") is not False
    ]
    for model in preferred:
        if model in ready:
            return model
    if not ready:
        raise LookupError("the endpoint lists no ready chat model to test the key with")
    return ready[0]


def _failed(error: Exception, connection: Connection) -> CredentialsValidateFailedError:
    mapped: InvokeError | Exception = (
        error if isinstance(error, LookupError) else to_invoke_error(error, connection.api_key)
    )
    return CredentialsValidateFailedError(f"AtlasCloud credentials check failed: {mapped}")

"""Prove that an AtlasCloud API key works, preferably without a billed completion.

`GET /v1/models` answers without a key, so it proves nothing. The billing API's
`GET /public/v1/balance` needs the key and costs nothing: 200 proves the key, 401 refutes it.
Any other answer (403 for keys without billing permission, 404 on gateways without that
route, an unreadable body) is inconclusive, and a one-token completion decides instead.

AtlasCloud authenticates before it routes, so that completion proves the key even when the
probe model has left the catalog: 401/403 refute the key, while 400/404/422 mean the key was
accepted and only the probe request was refused.
"""

from __future__ import annotations

from collections.abc import Sequence

import openai
from dify_plugin.errors.model import CredentialsValidateFailedError

from provider.connection import Connection, open_client
from provider.errors import to_invoke_error

# Answers to the probe completion that can only come after the key was accepted.
_AUTHENTICATED_REFUSALS = {400, 404, 422}


def verify_api_key(connection: Connection, preferred_models: Sequence[str]) -> None:
    """Raise CredentialsValidateFailedError with an actionable message if the key is unusable."""
    client = open_client(connection, max_retries=1)
    try:
        client.get(connection.balance_url, cast_to=object)
        return
    except openai.APIStatusError as error:
        if error.status_code == 401:
            raise _failed(error, connection) from error
    except openai.APIConnectionError as error:
        raise _failed(error, connection) from error
    except (ValueError, TypeError):
        pass  # a body we cannot read: inconclusive
    _verify_with_completion(client, connection, preferred_models)


def _verify_with_completion(client: openai.OpenAI, connection: Connection, preferred: Sequence[str]) -> None:
    try:
        client.chat.completions.create(
            model=pick_probe_model(client, preferred),
            messages=[{"role": "user", "content": "ping"}],
            max_tokens=16,
            stream=False,
        )
    except openai.APIStatusError as error:
        if error.status_code not in _AUTHENTICATED_REFUSALS:
            raise _failed(error, connection) from error
    except openai.APIError as error:
        raise _failed(error, connection) from error


def pick_probe_model(client: openai.OpenAI, preferred: Sequence[str]) -> str:
    """The first preferred model the endpoint lists as ready, else any listed one, else the first preferred."""
    try:
        listed = client.get("/models", cast_to=object)
    except (openai.APIError, ValueError, TypeError):
        listed = None
    entries = listed.get("data") if isinstance(listed, dict) else None
    ready = [
        entry["id"]
        for entry in entries or []
        if isinstance(entry, dict) and isinstance(entry.get("id"), str) and entry.get("is_ready") is not False
    ]
    for model in preferred:
        if model in ready:
            return model
    return ready[0] if ready else preferred[0]


def _failed(error: Exception, connection: Connection) -> CredentialsValidateFailedError:
    return CredentialsValidateFailedError(
        f"AtlasCloud credentials check failed: {to_invoke_error(error, connection.api_key)}"
    )

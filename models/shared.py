"""What every AtlasCloud model type shares: the error table and the user-added-model hook.

Mixed in before the SDK base class (`class X(AtlasCloudModel, LargeLanguageModel)`), so all
model types report failures through provider/errors.py the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from dify_plugin.entities.model import AIModelEntity
from dify_plugin.errors.model import CredentialsValidateFailedError, InvokeError

from provider.connection import EndpointError
from provider.errors import INVOKE_ERROR_MAPPING, to_invoke_error
from provider.forms import FormError


def validation_failure(error: Exception, credentials: Mapping, prefix: str) -> CredentialsValidateFailedError:
    """Why a user-added model's credentials failed: the form's own words, else the mapped error."""
    if isinstance(error, FormError | EndpointError):
        return CredentialsValidateFailedError(str(error))
    secret = str(credentials.get("api_key") or "") or None
    return CredentialsValidateFailedError(f"{prefix}: {to_invoke_error(error, secret)}")


class AtlasCloudModel:
    # The builder of this model type's user-added schema, from its credential form.
    customizable_schema: Callable[[str, Mapping], AIModelEntity]

    def get_customizable_model_schema(self, model: str, credentials: Mapping) -> AIModelEntity | None:
        try:
            return type(self).customizable_schema(model, credentials)
        except FormError:
            return None  # Dify then reports the model as unavailable; validation explains why

    @property
    def _invoke_error_mapping(self) -> dict[type[InvokeError], list[type[Exception]]]:
        return INVOKE_ERROR_MAPPING

    def _transform_invoke_error(self, error: Exception) -> InvokeError:
        return to_invoke_error(error)

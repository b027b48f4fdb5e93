"""What the model types on AtlasCloud's asynchronous media API share (speech-to-text, text-to-speech)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dify_plugin.errors.model import CredentialsValidateFailedError

from models.common.catalog import predefined_model_ids
from models.common.model import AtlasCloudModel, validation_failure
from provider.connection import connection_from_credentials
from provider.deadline import VALIDATION_BUDGET_S, Deadline
from provider.media import MediaClient
from provider.validation import verify_api_key

AUDIO_KIND = "Audio"  # AtlasCloud's model list: `type` of speech, music and sound models


class AtlasCloudMediaModel(AtlasCloudModel):
    # How error messages name this model type ("Speech-to-text model").
    kind_label: str
    # AtlasCloud's model list `type` every model of this model type has.
    media_kind: str = AUDIO_KIND

    def _settings(self, model: str, credentials: Mapping) -> Any:
        """The model's settings; raises a FormError for a form the plugin cannot use."""
        raise NotImplementedError

    def validate_credentials(self, model: str, credentials: Mapping) -> None:
        """The key (free: provider/validation.py), the form, and that AtlasCloud lists the model as
        a model of this kind (public list); no job is submitted, so nothing is billed."""
        try:
            connection = connection_from_credentials(credentials)
            self._settings(model, credentials)
            verify_api_key(connection, predefined_model_ids())
            MediaClient(connection, Deadline.start(VALIDATION_BUDGET_S)).require(model, self.media_kind)
        except CredentialsValidateFailedError:
            raise
        except Exception as error:
            raise validation_failure(error, credentials, f"{self.kind_label} '{model}'") from None

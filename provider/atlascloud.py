"""The Dify ModelProvider for AtlasCloud: provider-level credential validation only."""

from __future__ import annotations

from collections.abc import Mapping

from dify_plugin import ModelProvider

from models.common.catalog import predefined_model_ids
from provider.connection import connection_from_credentials
from provider.errors.mapping import refused_form
from provider.errors.tree import EndpointError
from provider.validation import verify_api_key


class AtlasCloudProvider(ModelProvider):
    def validate_provider_credentials(self, credentials: Mapping) -> None:
        try:
            connection = connection_from_credentials(credentials)
        except EndpointError as error:
            raise refused_form(error) from None
        verify_api_key(connection, predefined_model_ids())

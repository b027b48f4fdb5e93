"""What every AtlasCloud model type shares: the error choke point and the user-added-model hook.

Mixed in before the SDK base class (`class X(AtlasCloudModel, LargeLanguageModel)`), so all
model types report failures through provider/errors/mapping.py the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from dify_plugin.entities import I18nObject
from dify_plugin.entities.model import AIModelEntity, FetchFrom, ModelFeature, ModelType, ParameterRule, PriceConfig
from dify_plugin.errors.model import CredentialsValidateFailedError, InvokeError

from models.common.labels import same_in_every_language
from provider.connection import Connection, connection_from_credentials
from provider.errors.mapping import to_invoke_error, validation_failed
from provider.errors.tree import FormError, UserInputError
from provider.forms import price


def validation_failure(error: Exception, credentials: Mapping, prefix: str) -> CredentialsValidateFailedError:
    """Why a user-added model's credentials failed: the form's own words, else the mapped error."""
    connection: Connection | None = None
    if not isinstance(error, UserInputError):
        try:
            connection = connection_from_credentials(credentials)
        except UserInputError:
            connection = None
    return validation_failed(error, connection, prefix)


def user_added_model(
    model: str,
    model_type: ModelType,
    credentials: Mapping,
    properties: Mapping[Any, Any],
    features: list[ModelFeature] | None = None,
    rules: list[ParameterRule] | None = None,
    priced_output: bool = True,
    prices: tuple[Decimal | None, Decimal | None] | None = None,
) -> AIModelEntity:
    """The schema of a model added with Dify's "Add Model" form: the model id is its label and
    the form's prices (USD per 1M tokens) its pricing; `prices` (input, output) when the caller
    has resolved them already (an LLM's from AtlasCloud's model list), None meaning no price."""
    input_price, output_price = prices or (price(credentials, "input_price"), price(credentials, "output_price"))
    return AIModelEntity(
        model=model,
        label=I18nObject(**same_in_every_language(model)),
        model_type=model_type,
        fetch_from=FetchFrom.CUSTOMIZABLE_MODEL,
        features=features or [],
        model_properties=dict(properties),
        parameter_rules=rules or [],
        pricing=PriceConfig(
            input=input_price if input_price is not None else Decimal(0),
            output=(output_price if output_price is not None else Decimal(0)) if priced_output else None,
            unit=Decimal("0.000001"),
            currency="USD",
        ),
    )


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
        # Unused: `_transform_invoke_error` below maps every error itself; the SDK requires the property.
        return {InvokeError: [Exception]}

    def _transform_invoke_error(self, error: Exception) -> InvokeError:
        return to_invoke_error(error)

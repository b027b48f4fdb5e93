"""What every model type shares (models/common/model.py): the schema of a user-added model (its
label in every language, its prices from the form), a form the plugin cannot use reported as "no
schema", and failures mapped to Dify's errors without the key."""

from __future__ import annotations

from decimal import Decimal

from dify_plugin.entities.model import FetchFrom, ModelFeature, ModelPropertyKey, ModelType
from dify_plugin.errors.model import CredentialsValidateFailedError, InvokeAuthorizationError, InvokeBadRequestError

from models.common.model import AtlasCloudModel, user_added_model, validation_failure
from models.text_embedding.text_embedding import AtlasCloudTextEmbeddingModel
from provider.errors.tree import FormError
from tests.unit.fakes import status_error

KEY = "plain-secret-k3y-42"  # not key-shaped: only the configured key redacts it


def test_a_user_added_model_is_labelled_by_its_id_and_priced_from_its_form():
    schema = user_added_model(
        "acme/m",
        ModelType.LLM,
        {"input_price": "0.5", "output_price": "1.5"},
        {ModelPropertyKey.CONTEXT_SIZE: 1000},
        [ModelFeature.VISION],
    )
    assert schema.model == "acme/m" and schema.model_type == ModelType.LLM
    assert (schema.label.en_us, schema.label.zh_hans, schema.label.ja_jp) == ("acme/m", "acme/m", "acme/m")
    assert schema.fetch_from == FetchFrom.CUSTOMIZABLE_MODEL
    assert schema.features == [ModelFeature.VISION]
    assert schema.model_properties == {ModelPropertyKey.CONTEXT_SIZE: 1000}
    assert schema.parameter_rules == []
    pricing = schema.pricing
    assert (pricing.input, pricing.output, pricing.unit, pricing.currency) == (
        Decimal("0.5"),
        Decimal("1.5"),
        Decimal("0.000001"),
        "USD",
    )


def test_resolved_prices_win_over_the_form_and_a_missing_price_is_zero():
    schema = user_added_model("acme/m", ModelType.LLM, {"input_price": "9"}, {}, prices=(None, Decimal("2")))
    assert (schema.pricing.input, schema.pricing.output) == (Decimal(0), Decimal(2))
    assert schema.features == []
    assert user_added_model("acme/m", ModelType.LLM, {}, {}, prices=(Decimal("1"), None)).pricing.output == 0


def test_a_model_without_output_tokens_has_no_output_price():
    schema = user_added_model("acme/e", ModelType.TEXT_EMBEDDING, {"input_price": "0.02"}, {}, priced_output=False)
    assert (schema.pricing.input, schema.pricing.output) == (Decimal("0.02"), None)


def test_a_form_the_plugin_cannot_use_gives_no_schema():
    class Strict(AtlasCloudModel):
        @staticmethod
        def customizable_schema(model, credentials):
            raise FormError("'dimensions' must be a whole number")

    assert Strict().get_customizable_model_schema("acme/m", {}) is None
    embedding = AtlasCloudTextEmbeddingModel([])
    assert embedding.get_customizable_model_schema("acme/e", {"api_key": "k"}).model == "acme/e"


def test_an_error_reaching_the_sdk_is_mapped_to_difys_class():
    mapped = AtlasCloudTextEmbeddingModel([])._transform_invoke_error(status_error(401, json={"msg": "bad key"}))
    assert isinstance(mapped, InvokeAuthorizationError)
    assert isinstance(AtlasCloudTextEmbeddingModel([])._transform_invoke_error(FormError("bad")), InvokeBadRequestError)


def test_a_validation_failure_is_redacted_with_the_key_of_its_credentials():
    error = status_error(500, json={"msg": f"trouble with {KEY}"})
    failed = validation_failure(error, {"api_key": KEY}, "Model 'acme/m'")
    assert isinstance(failed, CredentialsValidateFailedError)
    assert str(failed).startswith("Model 'acme/m': ") and KEY not in str(failed)


def test_a_validation_failure_of_the_form_is_said_in_the_forms_words():
    failed = validation_failure(FormError("'context_size' must be a whole number"), {"api_key": KEY}, "Model 'x'")
    assert str(failed) == "'context_size' must be a whole number"
    unusable = {"api_key": KEY, "endpoint_url": "ftp://nowhere"}
    refused = validation_failure(status_error(403, json={"msg": "no"}), unusable, "Model 'x'")
    assert str(refused).startswith("Model 'x': ")

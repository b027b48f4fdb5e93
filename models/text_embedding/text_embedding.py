"""The Dify TextEmbeddingModel for AtlasCloud's OpenAI-protocol `/v1/embeddings`.

AtlasCloud serves no embedding model today; this type is customizable only, so it works the
day AtlasCloud (or the gateway in `endpoint_url`) serves one, and until then fails with a
message that says so.
"""

from __future__ import annotations

import time
from collections.abc import Mapping

from dify_plugin import TextEmbeddingModel
from dify_plugin.entities.model import EmbeddingInputType, PriceType
from dify_plugin.entities.model.text_embedding import EmbeddingUsage, TextEmbeddingResult
from dify_plugin.errors.model import InvokeError

from models.common.model import AtlasCloudModel, validation_failure
from models.text_embedding.batching import (
    MAX_TOKENS_PER_REQUEST,
    SAFETY_MARGIN,
    Piece,
    merge_windows,
    plan_batches,
    split_into_pieces,
)
from models.text_embedding.embed import embed_all
from models.text_embedding.reply import check_reply_fits, compact
from models.text_embedding.settings import customizable_embedding_schema, embedding_settings
from models.vision_utils.tokens.text import count_text
from provider.connection import connection_from_credentials, open_client
from provider.deadline import VALIDATION_BUDGET_S, Deadline
from provider.errors.mapping import is_not_found, to_invoke_error
from provider.errors.tree import NotServed


def not_served(model: str, error: InvokeError) -> str:
    return (
        f"AtlasCloud (or the configured endpoint) does not serve embeddings for model '{model}': "
        f"{str(error).rstrip('.')}. "
        "AtlasCloud lists no embedding models today; use an endpoint_url that serves /v1/embeddings."
    )


class AtlasCloudTextEmbeddingModel(AtlasCloudModel, TextEmbeddingModel):
    customizable_schema = staticmethod(customizable_embedding_schema)

    def _invoke(
        self,
        model: str,
        credentials: dict,
        texts: list[str],
        user: str | None = None,
        input_type: EmbeddingInputType = EmbeddingInputType.DOCUMENT,
    ) -> TextEmbeddingResult:
        settings = embedding_settings(credentials)
        connection = connection_from_credentials(credentials)
        if not texts:
            return TextEmbeddingResult(model=model, embeddings=[], usage=self._usage(model, credentials, 0))
        prefix = settings.prefix(input_type)
        pieces = split_into_pieces([prefix + text for text in texts], settings.window_tokens)
        batches = plan_batches(pieces, settings.max_inputs, int(MAX_TOKENS_PER_REQUEST * SAFETY_MARGIN))
        deadline = Deadline.start(what=connection.label)
        try:
            vectors, tokens = embed_all(open_client(connection), model, batches, settings.dimensions, deadline)
            embeddings = merge_windows(pieces, vectors, len(texts))
            check_reply_fits(embeddings)
            embeddings = [compact(vector) for vector in embeddings]
        except Exception as error:
            if is_not_found(error):
                error = NotServed(not_served(model, to_invoke_error(error, connection)))
            raise to_invoke_error(error, connection) from None
        return TextEmbeddingResult(model=model, embeddings=embeddings, usage=self._usage(model, credentials, tokens))

    def get_num_tokens(self, model: str, credentials: dict, texts: list[str]) -> list[int]:
        prefix = embedding_settings(credentials).document_prefix
        return [count_text(prefix + text) for text in texts]

    def validate_credentials(self, model: str, credentials: Mapping) -> None:
        try:
            settings = embedding_settings(credentials)
            connection = connection_from_credentials(credentials)
            deadline = Deadline.start(VALIDATION_BUDGET_S, connection.label)
            # The very request and checks of every call, the form's dimensions included.
            embed_all(open_client(connection), model, [[Piece(0, "ping", 1)]], settings.dimensions, deadline)
        except Exception as error:
            if is_not_found(error):
                error = NotServed(not_served(model, to_invoke_error(error, connection)))
            raise validation_failure(error, credentials, f"Embedding model '{model}'") from None

    def _usage(self, model: str, credentials: dict, tokens: int) -> EmbeddingUsage:
        price = self.get_price(model=model, credentials=credentials, price_type=PriceType.INPUT, tokens=tokens)
        return EmbeddingUsage(
            tokens=tokens,
            total_tokens=tokens,
            unit_price=price.unit_price,
            price_unit=price.unit,
            total_price=price.total_amount,
            currency=price.currency,
            latency=time.perf_counter() - self.started_at,
        )

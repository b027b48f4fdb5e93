"""A user-added embedding model: its form values and the schema Dify shows for it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from dify_plugin.entities.model import (
    AIModelEntity,
    EmbeddingInputType,
    ModelPropertyKey,
    ModelType,
)

from models.common.model import user_added_model
from models.text_embedding.batching import MAX_INPUTS_PER_REQUEST, MAX_TOKENS_PER_INPUT, SAFETY_MARGIN
from models.text_embedding.reply import ASSUMED_DIMENSIONS, texts_that_fit
from provider.errors.tree import FormError
from provider.forms import positive_int


@dataclass(frozen=True)
class EmbeddingSettings:
    context_size: int
    max_inputs: int
    dimensions: int | None
    query_prefix: str
    document_prefix: str

    @property
    def window_tokens(self) -> int:
        """Largest piece we send, below the model's context with a margin for tokenizer drift."""
        return max(16, int(min(self.context_size, MAX_TOKENS_PER_INPUT) * SAFETY_MARGIN))

    @property
    def max_chunks(self) -> int:
        """Texts per Dify call: the form's value, lowered so that one reply of that many vectors
        fits the daemon's line (reply.py), at the form's dimensions or, unset, a wide model's."""
        return min(self.max_inputs, texts_that_fit(self.dimensions or ASSUMED_DIMENSIONS))

    def prefix(self, input_type: EmbeddingInputType) -> str:
        return self.query_prefix if input_type == EmbeddingInputType.QUERY else self.document_prefix


def embedding_settings(credentials: Mapping) -> EmbeddingSettings:
    return EmbeddingSettings(
        context_size=positive_int(credentials, "context_size", MAX_TOKENS_PER_INPUT),
        max_inputs=min(positive_int(credentials, "max_chunks", 256), MAX_INPUTS_PER_REQUEST),
        dimensions=positive_int(credentials, "dimensions", 0) or None,  # empty: the model's own width
        query_prefix=str(credentials.get("query_prefix") or ""),
        document_prefix=str(credentials.get("document_prefix") or ""),
    )


def customizable_embedding_schema(model: str, credentials: Mapping) -> AIModelEntity:
    settings = embedding_settings(credentials)
    return user_added_model(
        model,
        ModelType.TEXT_EMBEDDING,
        credentials,
        {
            ModelPropertyKey.CONTEXT_SIZE: settings.context_size,
            # Dify sends this many texts per call and gets their vectors back in one reply line.
            ModelPropertyKey.MAX_CHUNKS: settings.max_chunks,
        },
        priced_output=False,
    )


__all__ = ["EmbeddingSettings", "FormError", "customizable_embedding_schema", "embedding_settings"]

"""The Dify RerankModel for AtlasCloud: an LLM ranker on AtlasCloud chat models, or native /rerank.

AtlasCloud serves no rerank endpoint; its chat models grade documents instead (ranker.py).
User-added rerank models may pick the native protocol for an endpoint that serves `/rerank`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence

from dify_plugin import RerankModel
from dify_plugin.entities.model import ModelPropertyKey, PriceType
from dify_plugin.entities.model.message import ImagePromptMessageContent
from dify_plugin.entities.model.rerank import MultiModalRerankResult, RerankDocument, RerankResult
from dify_plugin.entities.model.text_embedding import MultiModalContent, MultiModalContentType
from dify_plugin.errors.model import CredentialsValidateFailedError

from models.common.catalog import plugin_settings
from models.common.model import AtlasCloudModel, validation_failure
from models.rerank.line_cap import fit_in_line, serialised_size
from models.rerank.native import rank_native
from models.rerank.prompt import RankItem
from models.rerank.ranker import Ranker, RankOutcome, rank_with_llm
from models.rerank.settings import RerankSettings, customizable_rerank_schema, settings_from_form, settings_from_yaml
from models.vision_utils.image.part import to_openai_image
from models.vision_utils.image.policy import ImagePolicy
from provider.connection import connection_from_credentials, open_client
from provider.daemon import LINE_CAP_BYTES
from provider.deadline import Deadline
from provider.errors.mapping import to_invoke_error
from provider.errors.tree import ReplyTooLargeError, UserInputError

logger = logging.getLogger(__name__)


def select(
    scores: Sequence[float | None], texts: Sequence[str], threshold: float | None, top_n: int | None
) -> list[RerankDocument]:
    """Sorted by score (ties keep input order), threshold applied with >=, then top_n."""
    ranked = sorted(
        (RerankDocument(index=i, text=texts[i], score=s) for i, s in enumerate(scores) if s is not None),
        key=lambda doc: (-doc.score, doc.index),
    )
    if threshold is not None:
        ranked = [doc for doc in ranked if doc.score >= threshold]
    return ranked[:top_n] if top_n else ranked


class AtlasCloudRerankModel(AtlasCloudModel, RerankModel):
    customizable_schema = staticmethod(customizable_rerank_schema)

    def _invoke(
        self,
        model: str,
        credentials: dict,
        query: str,
        docs: list[str],
        score_threshold: float | None = None,
        top_n: int | None = None,
        user: str | None = None,
    ) -> RerankResult:
        scores = self._scores(model, credentials, RankItem(text=query), [RankItem(text=d) for d in docs], top_n)
        return RerankResult(model=model, docs=fit_result(model, select(scores, docs, score_threshold, top_n)))

    def _invoke_multimodal(
        self,
        model: str,
        credentials: dict,
        query: MultiModalContent,
        docs: Sequence[MultiModalContent],
        score_threshold: float | None = None,
        top_n: int | None = None,
        user: str | None = None,
    ) -> MultiModalRerankResult:
        settings = self._settings(model, credentials)
        if not settings.vision or settings.protocol != "llm":
            raise UserInputError(f"Rerank model '{model}' cannot read images; pick a vision ranker.")
        images = sum(item.content_type == MultiModalContentType.IMAGE for item in [query, *docs])
        items = [_rank_item(item, images) for item in [query, *docs]]
        scores = self._scores(model, credentials, items[0], items[1:], top_n)
        ranked = select(scores, [_result_text(d) for d in docs], score_threshold, top_n)
        return MultiModalRerankResult(model=model, docs=fit_result(model, ranked))

    def _scores(
        self, model: str, credentials: dict, query: RankItem, docs: list[RankItem], top_n: int | None
    ) -> list[float | None]:
        if not docs:
            return []
        settings = self._settings(model, credentials)
        connection = connection_from_credentials(credentials)
        client = open_client(connection)
        deadline = Deadline.start(what=connection.label)
        try:
            if settings.protocol == "native":
                scores = rank_native(client, model, settings, query.text, [d.text for d in docs], top_n, deadline)
                return [None if s is None else min(max(s, 0.0), 1.0) for s in scores]
            outcome = rank_with_llm(Ranker(client, model, settings, deadline), query, docs)
        except Exception as error:
            raise to_invoke_error(error, connection) from None
        self._report_usage(model, credentials, len(docs), outcome)
        return list(outcome.scores)

    def _report_usage(self, model: str, credentials: dict, count: int, outcome: RankOutcome) -> None:
        """Dify's rerank result has no usage field, so the ranker's cost goes to the plugin log."""
        cost = sum(
            self.get_price(model=model, credentials=credentials, price_type=kind, tokens=tokens).total_amount
            for kind, tokens in (
                (PriceType.INPUT, outcome.prompt_tokens),
                (PriceType.OUTPUT, outcome.completion_tokens),
            )
        )
        logger.info(
            "rerank usage: model=%s documents=%d prompt_tokens=%d completion_tokens=%d cost_usd=%s",
            model, count, outcome.prompt_tokens, outcome.completion_tokens, cost,
        )  # fmt: skip

    def _settings(self, model: str, credentials: Mapping) -> RerankSettings:
        block = plugin_settings(model, "rerank")
        if block:
            schema = self.get_model_schema(model, credentials)
            context = (
                int((schema.model_properties or {}).get(ModelPropertyKey.CONTEXT_SIZE, 131072)) if schema else 131072
            )
            return settings_from_yaml(block.get("ranker") or {}, list(schema.features or []) if schema else [], context)
        return settings_from_form(credentials)

    def validate_credentials(self, model: str, credentials: Mapping) -> None:
        try:
            result = self._invoke(model, dict(credentials), "What is AtlasCloud?", ["AtlasCloud serves AI models."])
        except Exception as error:
            raise validation_failure(error, credentials, f"Rerank model '{model}'") from None
        if not result.docs:
            raise CredentialsValidateFailedError(f"Rerank model '{model}' returned no score for a test document.")


def fit_result(model: str, ranked: list[RerankDocument]) -> list[RerankDocument]:
    """The ranked documents that fit the daemon's line cap (line_cap.py); a clear error when not
    even the best one does, rather than an empty result that would read as "nothing relevant"."""
    kept = fit_in_line(ranked, model)
    if len(kept) < len(ranked):
        if not kept:
            size = serialised_size(ranked[0]) / 1e6
            raise ReplyTooLargeError(
                f"The best-ranked document alone takes {size:.1f} MB in the result; Dify's plugin daemon cannot "
                f"carry a rerank result over {LINE_CAP_BYTES // 2**20} MiB. Split the document into smaller chunks."
            )
        logger.warning(
            "rerank result: left out the %d lowest-ranked of %d documents to stay under the plugin daemon's "
            "%d MiB line limit", len(ranked) - len(kept), len(ranked), LINE_CAP_BYTES // 2**20,
        )  # fmt: skip
    return kept


def _result_text(item: MultiModalContent) -> str:
    """What a multimodal result echoes as `text`. Never an image's base64: that would make a
    line of megabytes (over the daemon's cap) and become the chunk's page content. Dify finds an
    image document by the result's `index` (its metadata, then the segment attachment by
    `doc_id`), not by this text: api/core/rag/rerank/rerank_model.py (RerankModelRunner.run,
    fetch_multimodal_rerank) and api/core/rag/datasource/retrieval_service.py
    (format_retrieval_documents, DocType.IMAGE) in langgenius/dify."""
    return "" if item.content_type == MultiModalContentType.IMAGE else item.content


def _rank_item(item: MultiModalContent, images_in_request: int) -> RankItem:
    if item.content_type != MultiModalContentType.IMAGE:
        return RankItem(text=item.content)
    part = _image_part(item.content)
    # Low detail: enough to judge relevance, at a fraction of the tokens.
    return RankItem(image=to_openai_image(part, ImagePolicy(), images_in_request))


def _image_part(content: str) -> ImagePromptMessageContent:
    """Dify sends image documents as base64 (or a data URI / URL); the shared converter validates
    the data and sniffs the format."""
    if content.startswith(("http://", "https://", "data:")):
        return ImagePromptMessageContent(format="", mime_type="image/*", url=content, detail="low")
    return ImagePromptMessageContent(format="", mime_type="image/*", base64_data=content, detail="low")

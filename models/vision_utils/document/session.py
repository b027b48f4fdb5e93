"""The documents of one request: read, planned together, then converted (to send) or counted.

All document parts of a request are read first (each once per content: extract.py) and planned
against the request's budgets, the latest message first: when the budgets run short, the
document the user attached last is the one kept whole. A file attached again later in the same
conversation is sent once, where it was attached last. The token budget is what the
administrator allows for documents, and never more than the model's context leaves once the
rest of the prompt and the answer's `max_tokens` are counted (limits.CONTEXT_SHARE of it).

Sending fails with a DocumentError (InvokeBadRequestError, before anything is billed) for a
document that cannot be read; counting counts a one-line note instead, so a count never fails
on a document the request will refuse with a clear message.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from dify_plugin.entities.model import AIModelEntity, ModelPropertyKey
from dify_plugin.entities.model.message import (
    DocumentPromptMessageContent,
    ImagePromptMessageContent,
    PromptMessage,
    PromptMessageTool,
    UserPromptMessage,
)

from models.vision_utils.document.compose import compose, reference, refused
from models.vision_utils.document.extract import Extraction, extract
from models.vision_utils.document.limits import CONTEXT_SHARE, DocumentLimits
from models.vision_utils.document.pages import page_images
from models.vision_utils.document.plan import Budget, DocumentPlan, plan_document
from models.vision_utils.document.protocol import ReaderError
from models.vision_utils.document.sniff import SUPPORTED, NotReadable, sniff
from models.vision_utils.document.source import display_name, document_bytes
from models.vision_utils.image.policy import ImagePolicy
from models.vision_utils.tokens.document import counted_parts
from models.vision_utils.tokens.image import estimate_image_tokens
from models.vision_utils.tokens.prompt import count_prompt_tokens
from provider.errors.tree import DocumentError, DownloadError, ImageError

logger = logging.getLogger(__name__)
# The answer's reserve when neither the request nor the model names one (the catalog's default).
DEFAULT_RESERVE = 8192


@dataclass
class _Document:
    part: DocumentPromptMessageContent
    name: str
    raw: bytes = b""
    extraction: Extraction | None = None
    plan: DocumentPlan | None = None
    problem: str = ""  # why it cannot be read (counting only; sending raises)
    repeated: bool = False  # the same content is sent where it was attached later


def document_parts(messages: Sequence[PromptMessage]) -> list[DocumentPromptMessageContent]:
    return [
        part
        for message in messages
        if isinstance(message, UserPromptMessage) and isinstance(message.content, list)
        for part in message.content
        if isinstance(part, DocumentPromptMessageContent)
    ]


def _images(messages: Sequence[PromptMessage]) -> int:
    return sum(
        isinstance(part, ImagePromptMessageContent)
        for message in messages
        if isinstance(message.content, list)
        for part in message.content
    )


def context_and_reserve(schema: AIModelEntity | None, parameters: Mapping[str, Any] | None) -> tuple[int, int]:
    """(the model's context size, 0 if unknown; the tokens kept for the answer)."""
    properties = schema.model_properties if schema else {}
    context = properties.get(ModelPropertyKey.CONTEXT_SIZE) or 0  # pydantic keys a "context_size" by the enum
    asked = (parameters or {}).get("max_tokens")
    if isinstance(asked, int) and asked > 0:
        return int(context), asked
    for rule in schema.parameter_rules if schema else []:
        if rule.name == "max_tokens" and isinstance(rule.default, int | float) and rule.default > 0:
            return int(context), int(rule.default)
    return int(context), DEFAULT_RESERVE


def failure(name: str, reason: str, supported: bool = False) -> DocumentError:
    tail = f" The plugin reads {SUPPORTED}." if supported else ""
    return DocumentError(f"Document '{name}' cannot be read: {reason}.{tail}")


class RequestDocuments:
    """Made by `request_documents`; `convert` and `counted` are the document converters for
    content.user_content and tokens/prompt.count_prompt_tokens."""

    def __init__(
        self, documents: list[_Document], policy: ImagePolicy | None, other_images: int, limits: DocumentLimits
    ) -> None:
        self._by_part = {id(document.part): document for document in documents}
        self._policy = policy
        self._limits = limits
        self.page_images = sum(document.plan.page_images for document in documents if document.plan)
        self.images_in_request = other_images + self.page_images

    def convert(self, part: DocumentPromptMessageContent) -> list[dict[str, Any]]:
        document = self._by_part[id(part)]
        if document.repeated:
            return [reference(document.name)]
        assert document.plan is not None  # sending raised for any document without one
        images: dict[int, dict[str, Any]] = {}
        if document.plan.page_images and self._policy is not None:
            try:
                images = page_images(
                    document.raw, document.plan, self._policy, self.images_in_request, self._limits.reader
                )
            except ReaderError as error:
                raise failure(document.name, f"a page image could not be made: {error.message}") from None
            except ImageError as error:
                raise failure(document.name, f"a page image cannot be sent: {error}") from None
        return compose(document.plan, lambda _plan, page, _image: images[page.number])

    def counted(self, part: DocumentPromptMessageContent) -> list[dict[str, Any]]:
        document = self._by_part[id(part)]
        if document.repeated:
            return [reference(document.name)]
        if document.plan is None:
            return [refused(document.problem)]
        return counted_parts(document.plan)


def _read(document: _Document, limits: DocumentLimits, sending: bool) -> None:
    """Fill in the document's bytes and extraction; a problem raises (sending) or is noted (counting)."""
    try:
        try:
            document.raw = document_bytes(document.part, limits.max_bytes)
            sniffed = sniff(document.raw, document.part.mime_type, document.part.filename, document.part.format)
            document.extraction = extract(document.raw, sniffed, limits)
        except NotReadable as error:
            raise failure(document.name, str(error), supported=True) from None
        except ReaderError as error:
            raise failure(document.name, error.message, supported=error.kind == "format") from None
        except DownloadError as error:
            raise failure(document.name, str(error)) from None
    except DocumentError as error:
        logger.info("document '%s' not sent: %s", document.name, error)
        if sending:
            raise
        document.problem = str(error)


def request_documents(
    messages: Sequence[PromptMessage],
    tools: Sequence[PromptMessageTool] | None,
    policy: ImagePolicy | None,
    schema: AIModelEntity | None,
    parameters: Mapping[str, Any] | None = None,
    *,
    sending: bool,
    limits: DocumentLimits | None = None,
) -> RequestDocuments:
    """Read and plan every document of the request (`policy` None: the model has no vision)."""
    limits = limits or DocumentLimits.from_settings()
    parts = document_parts(messages)
    documents = [_Document(part, display_name(part)) for part in parts]
    if not documents:
        return RequestDocuments([], policy, _images(messages), limits)
    for document in documents:
        _read(document, limits, sending)
    count_image = partial(estimate_image_tokens, policy=policy) if policy else None
    others = count_prompt_tokens(messages, tools, count_image, lambda _part: [])
    context, reserve = context_and_reserve(schema, parameters)
    room = int((context - reserve - others) * CONTEXT_SHARE) if context else limits.request_max_tokens
    if room < limits.request_max_tokens:
        tokens_by = f"room left in the model's {context:,}-token context"
    else:
        tokens_by = "tokens of documents per request"
    budget = Budget(
        chars=limits.request_max_chars,
        tokens=max(min(room, limits.request_max_tokens), 0),
        images=limits.page_images if policy else 0,
        tokens_by=tokens_by,
    )
    planned: set[str] = set()
    for document in reversed(documents):  # the latest attachment first
        if document.extraction is None:
            continue
        if document.extraction.digest in planned:
            document.repeated = True
            continue
        planned.add(document.extraction.digest)
        document.plan = plan_document(document.extraction, document.name, limits, budget, policy)
        for note in document.plan.notes:
            logger.info("document '%s' (%s…): %s", document.name, document.extraction.digest[:12], note)
        if not document.plan.page_images:
            document.raw = b""  # only a PDF with page images to render needs its bytes again
    return RequestDocuments(documents, policy, _images(messages), limits)

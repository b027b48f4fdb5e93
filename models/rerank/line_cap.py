"""Keep a rerank result inside the one stdout line the plugin daemon can read.

The SDK writes the whole result as ONE JSON line; dify-plugin-daemon reads lines with a 5 MiB
buffer (PLUGIN_RUNTIME_MAX_BUFFER_SIZE) and kills the plugin process on a longer one, taking
every other session with it (shared/reference/dify-plugin-runtime.md, section 9).

Dify uses each result's `text` as the retrieved chunk's page content
(langgenius/dify api/core/rag/rerank/rerank_model.py, RerankModelRunner.run:
`Document(page_content=result.text, metadata=unique_documents[result.index].metadata)`), so
text documents must be echoed in full. When the ranked documents do not all fit, the
highest-scoring ones that fit are kept, in rank order, and the rest are left out: they are the
least relevant, Dify keeps only its top-k of the result anyway, and no kept text is cut.
"""

from __future__ import annotations

from collections.abc import Sequence

from dify_plugin.entities.model.rerank import RerankDocument

from provider.daemon import LINE_CAP_BYTES

# The session envelope around the documents (session id, event and type fields, the model name)
# is a few hundred bytes; the rest of this allowance is margin.
ENVELOPE_ALLOWANCE = 64 * 1024
RESULT_BUDGET = LINE_CAP_BYTES - ENVELOPE_ALLOWANCE


def serialised_size(document: RerankDocument) -> int:
    """Bytes this document adds to the line: the SDK serialises with pydantic (UTF-8, control
    characters escaped as \\u00XX), measured with the same serialiser, plus a separating comma."""
    return len(document.model_dump_json().encode()) + 1


def fit_in_line(ranked: Sequence[RerankDocument], model: str, budget: int = RESULT_BUDGET) -> list[RerankDocument]:
    """The longest prefix of `ranked` whose serialised result stays within `budget` bytes."""
    used = len(model.encode())
    kept: list[RerankDocument] = []
    for document in ranked:
        used += serialised_size(document)
        if used > budget:
            break
        kept.append(document)
    return kept

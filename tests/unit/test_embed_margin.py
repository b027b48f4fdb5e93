"""The plugin's token budget against the simulator's independent count: is the margin honest?

The simulator prices text like a Qwen-style tokenizer (digits one by one); the plugin counts
cl100k tokens with numbers per digit and keeps SAFETY_MARGIN in reserve. For every kind of text
here the simulator's count must stay within that reserve, or the plugin's windows and batches
would be refused by a real server of that kind.
"""

from __future__ import annotations

import pytest

from models.text_embedding.batching import SAFETY_MARGIN, budget_tokens
from models.vision_utils.tokens.text import encoding
from testkit.simulator.embeddings import server_tokens

SAMPLES = {
    "prose": (
        "Retrieval-augmented generation grounds a model's answers in documents: the knowledge base is "
        "split into chunks, every chunk becomes a vector, and the chunks nearest to a question are "
        "handed to the model with it. Good chunking matters more than the choice of model.\n"
    )
    * 20,
    "code": (
        "def plan_batches(pieces: Sequence[Piece], max_items: int) -> list[list[Piece]]:\n"
        "    batches: list[list[Piece]] = []\n"
        "    for piece in pieces:\n"
        "        if current and (len(current) >= max_items or tokens + piece.tokens > budget):\n"
        "            batches.append(current)  # flush\n"
    )
    * 20,
    "chinese": "检索增强生成通过从外部知识库中检索相关文档来提高大型语言模型回答的准确性。" * 20,
    "japanese": "検索拡張生成は、外部の知識ベースから関連する文書を検索することで回答の正確さを高めます。" * 20,
    "table": "\n".join(
        f"| 2024-{n % 12 + 1:02d}-{n % 28 + 1:02d} | {n * 7919} | {n * 3.14159:.4f} |" for n in range(300)
    ),
    "identifiers": " ".join(f"INV{n:08d}" for n in range(500)),
}


def cl100k(text: str) -> list[int]:
    return encoding().encode_ordinary(text)


@pytest.mark.parametrize("kind", sorted(SAMPLES))
def test_the_servers_count_stays_within_the_plugins_margin(kind):
    text = SAMPLES[kind]
    assert server_tokens(text) <= budget_tokens(cl100k(text)) / SAFETY_MARGIN


@pytest.mark.parametrize("kind", ["table", "identifiers"])
def test_plain_cl100k_counts_would_not_be_enough_for_numbers(kind):
    # Why digits count one by one: cl100k groups three, a per-digit tokenizer does not.
    text = SAMPLES[kind]
    assert server_tokens(text) > len(cl100k(text)) / SAFETY_MARGIN


@pytest.mark.parametrize(
    ("text", "tokens"),
    [("", 0), ("hello world", 2), ("1234567", 7), ("お誕生日", 4), ("a  b", 3), ("internationalisation", 2), ("->", 1)],
)
def test_the_simulators_rule(text, tokens):
    assert server_tokens(text) == tokens

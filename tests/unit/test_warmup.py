"""runtime/warmup.py loads what the first request needs: the shared TLS context and the tokenizer."""

from __future__ import annotations

from models.vision_utils.tokens import text as tokens
from provider import client
from provider.errors.tree import EncodingFileError
from runtime import warmup


def test_warm_up_leaves_the_tls_context_and_the_tokenizer_loaded():
    client.tls_context.cache_clear()
    tokens.encoding.cache_clear()
    warmup.warm_up()
    assert client.tls_context.cache_info().currsize == 1
    assert tokens.encoding.cache_info().currsize == 1
    assert tokens.count_text("hello world") == 2


def test_a_damaged_tokenizer_file_is_logged_and_the_plugin_still_starts(monkeypatch, caplog):
    def damaged() -> None:
        raise EncodingFileError("cl100k_base.tiktoken does not match its published SHA-256")

    monkeypatch.setattr(tokens, "encoding", damaged)
    warmup.warm_up()
    assert [(r.name, r.levelname, r.getMessage()) for r in caplog.records] == [
        ("runtime.warmup", "ERROR", "cl100k_base.tiktoken does not match its published SHA-256")
    ]

from __future__ import annotations

import hashlib

from models.vision_utils.tokens import ENCODING_FILE, ENCODING_SHA256, ImageTokenRule, count_text, encoding


def test_bundled_encoding_matches_its_published_hash():
    assert hashlib.sha256(ENCODING_FILE.read_bytes()).hexdigest() == ENCODING_SHA256


def test_bundled_encoding_is_the_real_cl100k_base():
    # Token ids from tiktoken's own documentation for cl100k_base.
    assert encoding().encode("hello world") == [15339, 1917]
    assert count_text("") == 0
    assert count_text("<|endoftext|>") > 1, "special tokens in user text are plain text"


def test_image_rule_counts_blocks_with_bounds():
    rule = ImageTokenRule(patch_px=32, min_tokens=4, max_tokens=100)
    assert rule.tokens(64, 64) == 4 + 2
    assert rule.tokens(320, 160) == 50 + 2
    assert rule.tokens(10_000, 10_000) == 100 + 2

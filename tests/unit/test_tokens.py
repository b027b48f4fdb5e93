from __future__ import annotations

import hashlib

import pytest
from tiktoken.load import load_tiktoken_bpe

from models.vision_utils.image.policy import ImageTokenRule
from models.vision_utils.tokens.text import (
    ENCODING_FILE,
    ENCODING_SHA256,
    count_text,
    encoding,
    read_ranks,
)
from provider.errors.tree import EncodingFileError


def test_bundled_encoding_matches_its_published_hash():
    assert hashlib.sha256(ENCODING_FILE.read_bytes()).hexdigest() == ENCODING_SHA256


def test_the_fast_reader_reads_the_file_exactly_as_tiktokens_own_loader():
    ranks = read_ranks(ENCODING_FILE.read_bytes())
    assert ranks == load_tiktoken_bpe(str(ENCODING_FILE), expected_hash=ENCODING_SHA256)
    assert len(ranks) == 100256 and ranks[b"hello"] == 15339


def test_a_damaged_or_altered_file_is_refused_before_it_is_read():
    data = ENCODING_FILE.read_bytes()
    with pytest.raises(EncodingFileError, match="reinstall the plugin"):
        read_ranks(data[:-1])
    with pytest.raises(EncodingFileError):
        read_ranks(data.replace(b"aGVsbG8= 15339", b"aGVsbG8= 15340"))


# Token ids OpenAI published for cl100k_base: tiktoken's tests/test_encoding.py (test_simple,
# test_simple_regex, test_basic_encode, test_encode_surrogate_pairs) and the OpenAI cookbook
# ("How to count tokens with tiktoken"). The regex cases pin the split pattern, the others the ranks.
PUBLISHED_CL100K = [
    ("hello world", [15339, 1917]),
    ("tiktoken is great!", [83, 1609, 5963, 374, 2294, 0]),
    ("rer", [38149]),
    ("'rer", [2351, 81]),
    ("today\n ", [31213, 198, 220]),
    ("today\n \n", [31213, 27907]),
    ("today\n  \n", [31213, 14211]),
    (" \x850", [220, 126, 227, 15]),
    ("👍", [9468, 239, 235]),
]


@pytest.mark.parametrize(("text", "ids"), PUBLISHED_CL100K)
def test_bundled_encoding_is_the_real_cl100k_base(text, ids):
    assert encoding().encode_ordinary(text) == ids
    assert count_text(text) == len(ids)


def test_special_tokens_in_user_text_are_plain_text():
    assert encoding().encode("hello <|endoftext|>", allowed_special="all") == [15339, 220, 100257]  # published
    assert count_text("") == 0
    assert count_text("<|endoftext|>") > 1


def test_image_rule_counts_blocks_with_bounds():
    rule = ImageTokenRule(patch_px=32, min_tokens=4, max_tokens=100)
    assert rule.tokens(64, 64) == 4 + 2
    assert rule.tokens(320, 160) == 50 + 2
    assert rule.tokens(10_000, 10_000) == 100 + 2


def test_image_rule_from_a_model_yaml():
    assert ImageTokenRule.from_config(None) == ImageTokenRule() == ImageTokenRule.from_config({})
    assert ImageTokenRule() == ImageTokenRule(patch_px=32, min_tokens=4, max_tokens=16384)
    kimi = ImageTokenRule.from_config({"patch_px": 28, "min_tokens": "16", "max_tokens": 4096})
    assert kimi == ImageTokenRule(patch_px=28, min_tokens=16, max_tokens=4096)
    assert ImageTokenRule.from_config({"patch_px": 14}) == ImageTokenRule(patch_px=14)


def test_image_rule_counts_every_image_as_at_least_one_block():
    per_pixel = ImageTokenRule(patch_px=1, min_tokens=0, max_tokens=10**9)
    assert per_pixel.tokens(1, 1) == 1 + 2
    assert per_pixel.tokens(0, 0) == 1 + 2, "a degenerate size still counts one block"
    assert per_pixel.tokens(3, 2) == 6 + 2


def test_image_rule_keys_left_out_of_the_yaml_keep_their_defaults():
    assert ImageTokenRule.from_config({"max_tokens": 100}) == ImageTokenRule(patch_px=32, min_tokens=4, max_tokens=100)

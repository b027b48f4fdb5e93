"""A model's image token rule from its YAML (`atlascloud.image_tokens`): each field read, the
missing ones left at their defaults, and the rule applied to the sent size."""

from __future__ import annotations

from models.vision_utils.image.policy import ImagePolicy, ImageTokenRule


def test_every_field_of_the_token_rule_is_read_from_the_model_config():
    policy = ImagePolicy.from_config({"image_tokens": {"patch_px": "28", "min_tokens": 8, "max_tokens": 1000}})
    assert policy.tokens == ImageTokenRule(patch_px=28, min_tokens=8, max_tokens=1000)
    assert policy.tokens.tokens(56, 28) == 8 + 2, "two blocks, raised to the model's minimum"
    assert policy.tokens.tokens(2800, 2800) == 1000 + 2, "10,000 blocks, capped at the model's maximum"


def test_fields_missing_from_the_config_keep_their_defaults():
    default = ImageTokenRule()
    assert ImageTokenRule.from_config({"patch_px": 14}) == ImageTokenRule(14, default.min_tokens, default.max_tokens)
    assert ImageTokenRule.from_config({"min_tokens": 1}) == ImageTokenRule(default.patch_px, 1, default.max_tokens)
    assert ImageTokenRule.from_config({"max_tokens": 64}) == ImageTokenRule(default.patch_px, default.min_tokens, 64)
    assert ImageTokenRule.from_config(None) == ImageTokenRule.from_config({}) == default

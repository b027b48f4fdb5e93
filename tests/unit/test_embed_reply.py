"""reply.py: compact vectors, the max_chunks rule and the guard against the daemon's 5 MiB line.

The lengths are measured on what the SDK really writes: pydantic's JSON of a TextEmbeddingResult.
"""

from __future__ import annotations

import array
import random
import struct
from decimal import Decimal

import pytest
from dify_plugin.entities.model.text_embedding import EmbeddingUsage, TextEmbeddingResult

from models.text_embedding.reply import (
    ENVELOPE_BYTES,
    PLANNING_SHARE,
    check_reply_fits,
    compact,
    reply_bytes_bound,
    texts_that_fit,
    vector_bytes,
)
from models.text_embedding.settings import EmbeddingSettings
from provider.daemon import LINE_CAP_BYTES
from provider.errors.tree import ReplyTooLargeError

USAGE = EmbeddingUsage(
    tokens=1,
    total_tokens=1,
    unit_price=Decimal(0),
    price_unit=Decimal(0),
    total_price=Decimal(0),
    currency="USD",
    latency=0.1,
)


def sdk_json(vectors: list[list[float]]) -> str:
    return TextEmbeddingResult(model="m", embeddings=vectors, usage=USAGE).model_dump_json()


def json_lengths(values: list[float]) -> list[int]:
    text = sdk_json([values])
    return [len(item) for item in text[text.index("[[") + 2 : text.index("]]")].split(",")]


def float32_sample(exponent: int, count: int, rng: random.Random) -> list[float]:
    """`count` float32 values of one binary exponent (0 = subnormals), both signs."""
    values = []
    for _ in range(count):
        bits = (exponent << 23) | rng.getrandbits(23)
        value = struct.unpack("<f", struct.pack("<I", bits))[0]
        values += [value, -value]
    return values


# --- compact -------------------------------------------------------------------------------
def test_compact_keeps_every_float32_value_of_every_exponent():
    rng = random.Random(7)
    for exponent in range(255):  # 255 is inf/nan, refused before compact
        values = float32_sample(exponent, 40, rng)
        assert array.array("f", compact(values)) == array.array("f", values), exponent


def test_compact_gives_floats_and_keeps_signed_zero():
    out = compact([1.0, 0.0, -0.0, 100.0])
    assert out == [1.0, 0.0, 0.0, 100.0] and all(type(v) is float for v in out)
    assert str(out[2]) == "-0.0"
    assert compact([]) == []


def test_compact_writes_a_typical_unit_vector_in_under_14_bytes_a_value():
    rng = random.Random(3)
    raw = [rng.gauss(0, 1) for _ in range(1536)]
    norm = sum(v * v for v in raw) ** 0.5
    vector = array.array("f", [v / norm for v in raw]).tolist()  # what base64 float32 decodes to
    before, after = len(sdk_json([vector])), len(sdk_json([compact(vector)]))
    assert after / 1536 < 14 < 20 < before / 1536


def test_no_value_below_1e13_takes_more_than_16_characters():
    rng = random.Random(11)
    longest = 0
    for exponent in range(255):
        values = [v for v in float32_sample(exponent, 60, rng) if abs(v) < 1e13]
        if values:
            longest = max(longest, *json_lengths(compact(values)))
    assert longest == 16, "the bound VALUE_BYTES = 16 + a comma is reached and never passed"
    assert json_lengths(compact([-1.23456789e-5, -1.23456789e15, -1.23456789e38])) == [16, 19, 15]


# --- the max_chunks rule -------------------------------------------------------------------
@pytest.mark.parametrize(("dimensions", "fits"), [(4096, 66), (3072, 89), (1536, 178), (1024, 267), (768, 356)])
def test_texts_that_fit_at_common_widths(dimensions, fits):
    assert texts_that_fit(dimensions) == fits


@pytest.mark.parametrize("dimensions", [1, 64, 384, 1000, 1536, 4095, 8192, 65536])
def test_the_planned_batch_fills_the_planned_share_and_one_more_would_not(dimensions):
    budget = LINE_CAP_BYTES * PLANNING_SHARE
    fits = texts_that_fit(dimensions)
    assert (
        ENVELOPE_BYTES + fits * vector_bytes(dimensions)
        <= budget
        < ENVELOPE_BYTES + (fits + 1) * vector_bytes(dimensions)
    )


def test_at_least_one_text_per_call_however_wide():
    assert texts_that_fit(10_000_000) == 1


def test_the_bound_covers_what_the_sdk_writes_for_worst_case_values():
    vectors = [compact([-1.23456789e-5] * 512) for _ in range(8)]
    assert len(sdk_json(vectors)) + 200 <= reply_bytes_bound(vectors)
    assert reply_bytes_bound(vectors) == ENVELOPE_BYTES + 8 * (512 * 17 + 2)


@pytest.mark.parametrize("wide", [1e13, -1e13, 3.4e38])
def test_huge_values_are_bounded_by_their_longer_form(wide):
    vectors = [[0.5, 0.5], [0.5, wide]]
    assert reply_bytes_bound(vectors) == ENVELOPE_BYTES + 2 * (2 * 20 + 2)
    assert len(sdk_json([compact(v) for v in vectors])) < reply_bytes_bound(vectors)


def test_settings_clamp_max_chunks_to_what_fits():
    def settings(max_inputs: int, dimensions: int | None) -> EmbeddingSettings:
        return EmbeddingSettings(8192, max_inputs, dimensions, "", "")

    assert settings(256, None).max_chunks == 66, "unknown width: assume 4096"
    assert settings(256, 1536).max_chunks == 178
    assert settings(256, 768).max_chunks == 256, "the form's value when it fits"
    assert settings(10, 4096).max_chunks == 10


# --- the guard -----------------------------------------------------------------------------
def test_the_guard_lets_through_a_reply_just_under_the_line():
    # 17 x 30 + 2 = 512 bytes a vector: 10111 vectors are 64 KiB + 10111 x 512 = 5 MiB - 512.
    check_reply_fits([[0.5] * 30] * 10111)


def test_the_guard_refuses_a_reply_that_reaches_the_line():
    vectors = [[0.5] * 30] * 10112  # exactly 5 MiB: no room for the newline
    assert reply_bytes_bound(vectors) == LINE_CAP_BYTES
    with pytest.raises(ReplyTooLargeError, match=r"10112 texts x 30 dimensions is up to 5\.2 MB"):
        check_reply_fits(vectors)


def test_the_guard_names_the_batch_that_would_fit():
    with pytest.raises(ReplyTooLargeError) as refused:
        check_reply_fits([[0.01] * 8192] * 66)
    assert str(refused.value) == (
        "66 texts x 8192 dimensions is up to 9.3 MB, over Dify's 5 MiB limit for one reply; lower max_chunks to 33"
    )


def test_the_guard_counts_huge_values_at_their_longer_form():
    check_reply_fits([[0.5] * 4096] * 74)
    with pytest.raises(ReplyTooLargeError, match="lower max_chunks to 56"):
        check_reply_fits([[0.5] * 4095 + [1e15]] * 74)

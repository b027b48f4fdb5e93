"""Usage priced as AtlasCloud bills it: cached prompt tokens at the cached-input price (issue 19, part 3).

Every expected amount is computed by hand in the test: tokens x USD per 1M tokens / 1,000,000,
rounded to 7 decimals (half up) as Dify's SDK rounds a price.
"""

from __future__ import annotations

from decimal import Decimal

from models.llm.cost import Prices, bill, to_llm_usage, usage_line
from models.llm.dialect import UsageDetails, piece_of

# deepseek-ai/deepseek-v3.2 on AtlasCloud: 0.26 in, 0.13 cached in, 0.38 out (USD per 1M tokens).
V32 = Prices(input=Decimal("0.26"), output=Decimal("0.38"), cached_input=Decimal("0.13"))
OPENAI_USAGE = {
    "prompt_tokens": 3000,
    "completion_tokens": 500,
    "total_tokens": 3500,
    "prompt_tokens_details": {"cached_tokens": 2048},
    "completion_tokens_details": {"reasoning_tokens": 420},
}
DEEPSEEK_USAGE = {
    "prompt_tokens": 3000,
    "completion_tokens": 500,
    "total_tokens": 3500,
    "prompt_cache_hit_tokens": 2048,
    "prompt_cache_miss_tokens": 952,
    "completion_tokens_details": {"reasoning_tokens": 420},
}


def priced(usage: dict, prices: Prices = V32):
    piece = piece_of({"choices": [], "usage": usage})
    return to_llm_usage(bill(*piece.usage, piece.usage_details, prices), prices, latency=0.5)


def test_both_usage_dialects_read_the_same_cached_and_reasoning_parts():
    for usage in (OPENAI_USAGE, DEEPSEEK_USAGE):
        piece = piece_of({"choices": [], "usage": usage})
        assert piece.usage == (3000, 500)
        assert piece.usage_details == UsageDetails(cached_tokens=2048, reasoning_tokens=420)


def test_a_cached_reply_prices_cached_tokens_at_the_cached_price_in_both_dialects():
    # by hand: 2048 x 0.13 / 1e6 = 0.00026624 -> 0.0002662; 952 x 0.26 / 1e6 = 0.00024752 -> 0.0002475
    # prompt 0.0005137; completion 500 x 0.38 / 1e6 = 0.00019; total 0.0007037
    for usage in (OPENAI_USAGE, DEEPSEEK_USAGE):
        result = priced(usage)
        assert result.prompt_price == Decimal("0.0005137")
        assert result.completion_price == Decimal("0.0001900")
        assert result.total_price == Decimal("0.0007037")
        # (952 x 0.26 + 2048 x 0.13) / 3000 = 0.171253333... -> 0.171253 USD per 1M tokens
        assert result.prompt_unit_price == Decimal("0.171253")
        assert result.prompt_price_unit == Decimal("0.000001")
        assert (result.prompt_tokens, result.completion_tokens, result.total_tokens) == (3000, 500, 3500)
        assert result.completion_unit_price == Decimal("0.38") and result.currency == "USD"
        assert result.latency == 0.5


def test_an_uncached_reply_costs_what_the_sdk_would_charge():
    usage = {"prompt_tokens": 3000, "completion_tokens": 500, "prompt_tokens_details": {"cached_tokens": 0}}
    result = priced(usage)
    # by hand: 3000 x 0.26 / 1e6 = 0.00078; 500 x 0.38 / 1e6 = 0.00019
    assert result.prompt_price == Decimal("0.00078")
    assert result.total_price == Decimal("0.00097")
    assert result.prompt_unit_price == Decimal("0.26")
    plain = priced({"prompt_tokens": 3000, "completion_tokens": 500})  # no details at all
    assert (plain.prompt_price, plain.total_price) == (result.prompt_price, result.total_price)


def test_reasoning_tokens_are_completion_tokens_even_when_reported_beside_them():
    inside = piece_of(
        {"usage": {"prompt_tokens": 10, "completion_tokens": 16, "completion_tokens_details": {"reasoning_tokens": 16}}}
    )
    assert inside.usage == (10, 16)  # OpenAI and DeepSeek count reasoning inside completion_tokens
    beside = piece_of(
        {"usage": {"prompt_tokens": 10, "completion_tokens": 5, "completion_tokens_details": {"reasoning_tokens": 40}}}
    )
    assert beside.usage == (10, 45)  # more reasoning than completion: reported apart, billed together
    # by hand: 45 x 0.38 / 1e6 = 0.0000171
    assert priced(
        {"prompt_tokens": 10, "completion_tokens": 5, "completion_tokens_details": {"reasoning_tokens": 40}}
    ).completion_price == Decimal("0.0000171")


def test_without_a_cached_price_cached_tokens_cost_the_input_price_and_without_prices_nothing():
    no_cache_price = Prices(input=Decimal("0.2"), output=Decimal("0.88"))
    result = priced(OPENAI_USAGE, no_cache_price)
    # by hand: 3000 x 0.2 / 1e6 = 0.0006 (2048 + 952 split changes nothing)
    assert result.prompt_price == Decimal("0.0006") and result.prompt_unit_price == Decimal("0.2")
    free = priced(OPENAI_USAGE, Prices(input=None, output=None))
    assert free.total_price == 0 and free.prompt_unit_price == 0 and free.prompt_price_unit == 0


def test_cached_tokens_never_exceed_the_prompt():
    piece = piece_of(
        {"usage": {"prompt_tokens": 100, "completion_tokens": 1, "prompt_tokens_details": {"cached_tokens": 900}}}
    )
    assert piece.usage_details.cached_tokens == 100
    assert bill(100, 1, piece.usage_details, V32).uncached_tokens == 0


def test_the_log_line_shows_each_part_and_its_price():
    piece = piece_of({"choices": [], "usage": OPENAI_USAGE})
    line = usage_line("deepseek-ai/deepseek-v3.2", bill(*piece.usage, piece.usage_details, V32), V32)
    assert line == (
        "usage deepseek-ai/deepseek-v3.2: prompt 3000 = uncached 952 x 0.26 USD/1M = 0.0002475 + cached 2048 x "
        "0.13 USD/1M = 0.0002662; completion 500 (reasoning 420) x 0.38 USD/1M = 0.0001900; total 0.0007037 USD"
    )


def test_a_single_token_is_charged_and_halves_round_up_as_the_sdk_rounds():
    one = to_llm_usage(bill(1, 1, None, V32), V32, latency=0.0)
    # by hand: 1 x 0.26 / 1e6 = 0.00000026 -> 0.0000003; 1 x 0.38 / 1e6 = 0.00000038 -> 0.0000004
    assert (one.prompt_price, one.completion_price) == (Decimal("0.0000003"), Decimal("0.0000004"))
    cent = Prices(input=Decimal("0.01"), output=Decimal("0.01"))
    # by hand: 5 x 0.01 / 1e6 = 0.00000005 -> 0.0000001 (half up; half-even would give 0)
    assert bill(5, 5, None, cent).total_price == Decimal("0.0000002")


def test_the_prompt_unit_price_is_the_listed_one_when_nothing_was_cached_and_the_mean_rounded_up_otherwise():
    fine = Prices(input=Decimal("0.1234567"), output=Decimal("1"), cached_input=Decimal("0"))
    uncached = to_llm_usage(bill(10, 1, UsageDetails(cached_tokens=0, reasoning_tokens=0), fine), fine, 0.0)
    assert str(uncached.prompt_unit_price) == "0.1234567"  # as listed, not cut to 6 decimals
    halves = Prices(input=Decimal("0.000001"), output=Decimal("1"), cached_input=Decimal("0"))
    half = to_llm_usage(bill(2, 1, UsageDetails(cached_tokens=1, reasoning_tokens=0), halves), halves, 0.0)
    # by hand: (1 x 0.000001 + 1 x 0) / 2 = 0.0000005 -> 0.000001 (half up)
    assert half.prompt_unit_price == Decimal("0.000001")
    all_cached = to_llm_usage(bill(1, 1, UsageDetails(cached_tokens=1, reasoning_tokens=0), V32), V32, 0.0)
    assert all_cached.prompt_unit_price == Decimal("0.13")


def test_without_usage_details_nothing_counts_as_cached_or_reasoning():
    charged = bill(100, 10, None, V32)
    assert (charged.cached_tokens, charged.reasoning_tokens, charged.uncached_tokens) == (0, 0, 100)


def test_a_model_without_prices_shows_no_price_units_and_its_log_line_shows_no_prices():
    free = Prices(input=None, output=None)
    usage = to_llm_usage(bill(3000, 500, UsageDetails(cached_tokens=1000, reasoning_tokens=0), free), free, 0.0)
    assert (usage.completion_unit_price, usage.completion_price_unit, usage.prompt_price_unit) == (0, 0, 0)
    line = usage_line("acme/free", bill(3000, 500, UsageDetails(cached_tokens=1000, reasoning_tokens=0), free), free)
    assert line == (
        "usage acme/free: prompt 3000 = uncached 2000 x - USD/1M = 0 + cached 1000 x 0 USD/1M = 0; "
        "completion 500 (reasoning 0) x - USD/1M = 0; total 0 USD"
    )
    priced_output = to_llm_usage(bill(1, 1, None, V32), V32, 0.0)
    assert priced_output.completion_price_unit == Decimal("0.000001")


def test_the_log_line_writes_whole_prices_and_a_fully_cached_prompt_plainly():
    dear = Prices(input=Decimal("100"), output=Decimal("10"), cached_input=Decimal("20"))
    line = usage_line("acme/dear", bill(10, 1, UsageDetails(cached_tokens=10, reasoning_tokens=0), dear), dear)
    assert line == (
        "usage acme/dear: prompt 10 = uncached 0 x 100 USD/1M = 0 + cached 10 x 20 USD/1M = 0.0002000; "
        "completion 1 (reasoning 0) x 10 USD/1M = 0.0000100; total 0.0002100 USD"
    )


def test_a_usage_of_cache_hits_and_misses_alone_counts_both_as_the_prompt():
    piece = piece_of(
        {"usage": {"prompt_cache_hit_tokens": 1984, "prompt_cache_miss_tokens": 22, "completion_tokens": 20}}
    )
    assert piece.usage == (2006, 20)
    assert piece.usage_details == UsageDetails(cached_tokens=1984, reasoning_tokens=0)
    only_hits = piece_of({"usage": {"prompt_cache_hit_tokens": 1984, "completion_tokens": 20}})
    assert only_hits.usage == (0, 20), "a prompt is not guessed from half of the pair"


def test_a_responses_style_usage_reads_its_input_and_output_details():
    usage = {
        "input_tokens": 100,
        "output_tokens": 50,
        "input_tokens_details": {"cached_tokens": 40},
        "output_tokens_details": {"reasoning_tokens": 30},
    }
    piece = piece_of({"usage": usage})
    assert piece.usage == (100, 50)
    assert piece.usage_details == UsageDetails(cached_tokens=40, reasoning_tokens=30)

"""Numbers typed into an "Add Model" form: defaults when empty, a sentence naming the field otherwise."""

from __future__ import annotations

from decimal import Decimal

import pytest

from provider.errors.tree import FormError, UserInputError
from provider.forms import positive_int, price


@pytest.mark.parametrize(("raw", "value"), [(None, 4096), ("", 4096), ("8192", 8192), (" 16 ", 16), (1, 1), (32, 32)])
def test_whole_numbers_and_the_default_for_an_empty_field(raw, value):
    assert positive_int({"context_size": raw}, "context_size", 4096) == value
    assert positive_int({}, "context_size", 4096) == 4096


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("12k", "'context_size' must be a whole number, got '12k'"),
        ("1.5", "'context_size' must be a whole number, got '1.5'"),
        ("0", "'context_size' must be greater than 0, got 0"),
        (-3, "'context_size' must be greater than 0, got -3"),
    ],
)
def test_a_bad_count_names_the_field_and_the_value(raw, message):
    with pytest.raises(FormError) as raised:
        positive_int({"context_size": raw}, "context_size", 4096)
    assert str(raised.value) == message
    assert isinstance(raised.value, UserInputError)  # the user's input: a bad request, never an outage


@pytest.mark.parametrize(
    ("raw", "value"),
    [(None, Decimal(0)), ("", Decimal(0)), ("0", Decimal(0)), (" 0.20 ", Decimal("0.20")), (3, Decimal(3))],
)
def test_prices_are_exact_decimals_and_free_when_empty(raw, value):
    assert price({"input_price": raw}, "input_price") == value
    assert price({}, "input_price") == Decimal(0)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("$1", "'input_price' must be a number (USD per 1M tokens), got '$1'"),
        ("-0.1", "'input_price' must be zero or more, got '-0.1'"),
        ("Infinity", "'input_price' must be zero or more, got 'Infinity'"),
    ],
)
def test_a_bad_price_names_the_field_and_the_value(raw, message):
    with pytest.raises(FormError) as raised:
        price({"input_price": raw}, "input_price")
    assert str(raised.value) == message


def test_a_price_that_is_not_a_number_names_the_field():
    with pytest.raises(FormError, match=r"^'input_price' must be zero or more, got 'NaN'$"):
        price({"input_price": "NaN"}, "input_price")

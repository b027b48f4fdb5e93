"""A bad price in an Add Model form is refused in the unit that form's label names."""

from __future__ import annotations

import pytest

from models.tts.settings import customizable_tts_schema
from provider.errors.tree import FormError
from provider.forms import price


def test_a_price_error_names_the_unit_it_was_asked_in() -> None:
    with pytest.raises(FormError, match=r"must be a number \(USD per 1,000 characters\), got 'cheap'"):
        price({"input_price": "cheap"}, "input_price", "USD per 1,000 characters")


def test_a_tts_form_price_error_speaks_of_characters_not_tokens() -> None:
    with pytest.raises(FormError) as caught:
        customizable_tts_schema("minimax/speech-2.6-hd", {"input_price": "1 dollar"})
    assert "USD per 1,000 characters" in str(caught.value)
    assert "tokens" not in str(caught.value)

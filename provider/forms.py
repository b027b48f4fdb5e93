"""Reading numbers from Dify credential forms (every model type's "Add Model" form)."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation

from provider.errors.tree import FormError


def positive_int(credentials: Mapping, name: str, default: int) -> int:
    raw = credentials.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(str(raw).strip())
    except ValueError as error:
        raise FormError(f"'{name}' must be a whole number, got {raw!r}") from error
    if value <= 0:
        raise FormError(f"'{name}' must be greater than 0, got {value}")
    return value


def price(credentials: Mapping, name: str, unit: str = "USD per 1M tokens") -> Decimal:
    """A price from the form, in the `unit` its label names (the error repeats it)."""
    raw = credentials.get(name)
    if raw in (None, ""):
        return Decimal(0)
    try:
        value = Decimal(str(raw).strip())
    except InvalidOperation as error:
        raise FormError(f"'{name}' must be a number ({unit}), got {raw!r}") from error
    if not value.is_finite() or value < 0:  # NaN cannot even be compared
        raise FormError(f"'{name}' must be zero or more, got {raw!r}")
    return value

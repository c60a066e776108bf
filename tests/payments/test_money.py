"""Amounts are exact decimals with their currency's decimal places; never floats."""

import polars as pl
import pytest

from loadbay.payments.money import MINOR_UNITS, amount_check, amount_problem, minor_units, normalized_amount


def _eval(amount: str, currency: str) -> dict[str, object]:
    frame = pl.DataFrame({"a": [amount], "c": [currency]})
    return frame.select(
        amount_check(pl.col("a")).alias("shape"),
        amount_problem(pl.col("a"), pl.col("c")).alias("problem"),
        normalized_amount(pl.col("a"), pl.col("c")).alias("text"),
        minor_units(pl.col("a"), pl.col("c")).alias("minor"),
    ).to_dicts()[0]


@pytest.mark.parametrize(
    ("amount", "currency", "text", "minor"),
    [
        ("12.5", "USD", "12.50", 1250),
        ("0012.50", "usd", "12.50", 1250),
        ("12.500", "EUR", "12.50", 1250),
        ("1200", "JPY", "1200", 1200),
        ("1.25", "KWD", "1.250", 1250),
        ("0", "EUR", "0.00", 0),
        # Exact where a float is not: 0.1 + 0.2 stays 0.30 when summed as minor units.
        ("0.1", "USD", "0.10", 10),
        ("9999999999999999.99", "USD", "9999999999999999.99", 999999999999999999),
    ],
)
def test_amounts_are_normalized_to_the_currency(amount: str, currency: str, text: str, minor: int) -> None:
    values = _eval(amount, currency)
    assert (values["shape"], values["problem"], values["text"], values["minor"]) == (None, None, text, minor)


@pytest.mark.parametrize(
    ("amount", "currency", "fragment"),
    [
        ("12.345", "USD", "more decimal places than USD allows (2)"),
        ("12.5", "JPY", "more decimal places than JPY allows (0)"),
        ("99999999999999999.99", "USD", "too large"),
    ],
)
def test_amounts_the_currency_cannot_hold_are_refused(amount: str, currency: str, fragment: str) -> None:
    problem = _eval(amount, currency)["problem"]
    assert isinstance(problem, str)
    assert fragment in problem


@pytest.mark.parametrize(
    ("amount", "fragment"),
    [
        ("1,234.50", "without thousands separators"),
        ("-5", "decimal number"),
        ("1e3", "decimal number"),
        ("12,5", "decimal number"),
    ],
)
def test_amount_shapes_are_refused(amount: str, fragment: str) -> None:
    shape = _eval(amount, "USD")["shape"]
    assert isinstance(shape, str)
    assert fragment in shape


def test_currencies_are_iso_4217_with_their_minor_units() -> None:
    assert (MINOR_UNITS["USD"], MINOR_UNITS["JPY"], MINOR_UNITS["BHD"], MINOR_UNITS["CLF"]) == (2, 0, 3, 4)
    assert "XAU" not in MINOR_UNITS  # gold is not a payment currency

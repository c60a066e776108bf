"""Amounts as exact decimals in an ISO 4217 currency: never a float, anywhere.

An amount is stored twice, both exact: as text with exactly the currency's decimal places
(``12.50`` USD, ``1200`` JPY, ``1.250`` KWD), and as an integer count of minor units
(1250, 1200, 1250), which sums and sorts in SQL on every database.
"""

from __future__ import annotations

import polars as pl

from loadbay.importing.columns import Check

# Active ISO 4217 currencies and fund codes, without precious metals and testing codes.
_ISO_4217 = """
AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BOV BRL BSD BTN
BWP BYN BZD CAD CDF CHE CHF CHW CLF CLP CNY COP COU CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN
ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD
JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT
MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG
QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT
TND TOP TRY TTD TWD TZS UAH UGX USD USN UYI UYU UYW UZS VED VES VND VUV WST XAF XCD XCG XOF
XPF YER ZAR ZMW ZWG
"""
_ZERO_DECIMALS = "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF"
_THREE_DECIMALS = "BHD IQD JOD KWD LYD OMR TND"
_FOUR_DECIMALS = "CLF UYW"

_DECIMALS = {
    **dict.fromkeys(_ZERO_DECIMALS.split(), 0),
    **dict.fromkeys(_THREE_DECIMALS.split(), 3),
    **dict.fromkeys(_FOUR_DECIMALS.split(), 4),
}
# Code → decimal places of its minor unit (2 unless listed above).
MINOR_UNITS: dict[str, int] = {code: _DECIMALS.get(code, 2) for code in _ISO_4217.split()}

# Up to 18 digits with the decimals, so the count of minor units fits a signed 64-bit integer.
MAX_DIGITS = 18
AMOUNT_PATTERN = r"^\d+(\.\d+)?$"


def _currency(value: pl.Expr) -> pl.Expr:
    return (
        pl.when(value.str.to_uppercase().is_in(list(MINOR_UNITS)))
        .then(None)
        .otherwise(pl.lit("is not an ISO 4217 currency code such as USD, EUR or JPY"))
    )


def _amount(value: pl.Expr) -> pl.Expr:
    """The amount's own shape; its decimal places are checked against the currency in ``amount_problem``."""
    return (
        pl.when(value.str.contains(r"^\d{1,3}(,\d{3})+(\.\d+)?$"))
        .then(pl.lit("write the amount without thousands separators, with a point for decimals (1234.56)"))
        .when(~value.str.contains(AMOUNT_PATTERN))
        .then(pl.lit("must be a decimal number such as 12.50, zero or more, with a point for decimals"))
        .otherwise(None)
    )


currency_check = Check("not_allowed", _currency)
amount_check = Check("invalid_value", _amount)


def _parts(amount: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    whole = amount.str.extract(r"^(\d+)", 1).str.replace(r"^0+(\d)", "$1")
    fraction = amount.str.extract(r"\.(\d+)$", 1).fill_null("")
    return whole, fraction


def exponent(currency: pl.Expr) -> pl.Expr:
    return currency.str.to_uppercase().replace_strict(MINOR_UNITS, default=None, return_dtype=pl.Int64)


def amount_problem(amount: pl.Expr, currency: pl.Expr) -> pl.Expr:
    """More decimal places than the currency has (12.345 USD), or too large: a message, null when fine."""
    whole, fraction = _parts(amount)
    # Trailing zeros are exact: 12.500 USD is 12.50 USD.
    places = fraction.str.replace(r"0+$", "").str.len_chars()
    return (
        pl.when(whole.str.len_chars() + exponent(currency) > MAX_DIGITS)
        .then(pl.format("{} is too large (at most {} digits with the decimals)", amount, pl.lit(MAX_DIGITS)))
        .when(places > exponent(currency))
        .then(
            pl.format(
                "{} has more decimal places than {} allows ({})",
                amount,
                currency.str.to_uppercase(),
                exponent(currency),
            )
        )
        .otherwise(None)
    )


def normalized_amount(amount: pl.Expr, currency: pl.Expr) -> pl.Expr:
    """The amount written with exactly the currency's decimal places (valid rows only)."""
    whole, fraction = _parts(amount)
    places = exponent(currency)
    digits = fraction.str.pad_end(19, "0").str.slice(0, places)
    return pl.when(places == 0).then(whole).otherwise(pl.concat_str([whole, pl.lit("."), digits]))


def minor_units(amount: pl.Expr, currency: pl.Expr) -> pl.Expr:
    """The amount as an integer count of the currency's minor units (valid rows only)."""
    whole, fraction = _parts(amount)
    digits = fraction.str.pad_end(19, "0").str.slice(0, exponent(currency))
    # Not strict: a row too large for 64 bits has failed already (amount_problem).
    return pl.concat_str([whole, digits]).cast(pl.Int64, strict=False)

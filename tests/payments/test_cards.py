"""Card numbers: found in any cell (spaces and dashes allowed), checked with Luhn, masked."""

import polars as pl
import pytest

from loadbay.payments.cards import card_spans, luhn_valid, mask_cards, mask_text, no_card_number


@pytest.mark.parametrize(
    ("digits", "valid"),
    [
        ("4111111111111111", True),
        ("5555555555554444", True),
        ("378282246310005", True),
        ("4111111111111112", False),
    ],
)
def test_luhn(digits: str, valid: bool) -> None:
    assert luhn_valid(digits) is valid


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("4111111111111111", "************1111"),
        ("4111 1111 1111 1111", "**** **** **** 1111"),
        ("card 4111-1111-1111-1111 exp 2025", "card ****-****-****-1111 exp 2025"),
        # A year right after the number does not hide it.
        ("4111111111111111 2025", "************1111 2025"),
        ("Amex 378282246310005.", "Amex ***********0005."),
        ("6011000990139424", "************9424"),
    ],
)
def test_card_numbers_are_masked_but_their_last_four_digits(text: str, masked: str) -> None:
    assert card_spans(text)
    assert mask_text(text) == masked


@pytest.mark.parametrize(
    "text",
    [
        "4111111111111112",  # fails Luhn
        "411111111111",  # 12 digits
        "41111111111111111111118",  # 23 digits in a row: a reference, not a card
        "2026-11-24T10:00:00Z",
        "+1 415-555-0100",
    ],
)
def test_other_digits_are_left_alone(text: str) -> None:
    assert card_spans(text) == []
    assert mask_text(text) == text


def test_a_number_inside_a_token_like_string_is_still_found() -> None:
    assert mask_text("tok_4111111111111111x") == "tok_************1111x"


def test_mask_cards_masks_every_column_and_keeps_the_rest() -> None:
    frame = pl.DataFrame({"a": ["x", "4111111111111111", None], "b": ["5555-5555-5555-4444", "12", "y"]})
    assert mask_cards(frame).to_dict(as_series=False) == {
        "a": ["x", "************1111", None],
        "b": ["****-****-****-4444", "12", "y"],
    }


def test_the_column_check_names_the_number_masked_only() -> None:
    frame = pl.DataFrame({"c": ["tok_1", "4111 1111 1111 1111", "1234567890123"]})
    problems = frame.select(no_card_number(pl.col("c")))["c"].to_list()
    assert problems[0] is None
    assert problems[2] is None
    assert "**** **** **** 1111" in problems[1]
    assert "4111 1111" not in problems[1]

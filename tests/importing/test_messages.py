from loadbay.importing.messages import ParsedMessage, parse_message

COLUMNS = frozenset({"user_username", "group_name", "group_role", "user_email"})


def test_a_row_message_names_its_line_and_column() -> None:
    assert parse_message(
        "Line 3: user_email: is not a valid e-mail address", columns=COLUMNS
    ) == ParsedMessage(3, "user_email", "is not a valid e-mail address")


def test_a_key_of_several_columns_keeps_them_all() -> None:
    parsed = parse_message(
        "Line 9: user_username, group_name: 'a / b' already appears on line 4", columns=COLUMNS
    )
    assert parsed == ParsedMessage(9, "user_username, group_name", "'a / b' already appears on line 4")


def test_text_before_a_colon_that_is_no_column_stays_in_the_message() -> None:
    text = "Line 1: the header matches no import template. Columns found: a, b"
    assert parse_message(text, columns=COLUMNS) == ParsedMessage(1, None, text.removeprefix("Line 1: "))


def test_a_notice_about_the_whole_import_has_neither() -> None:
    text = "onError=abort: 3 row(s) failed validation, so nothing was written; fix them and upload the file again."
    assert parse_message(text, columns=COLUMNS) == ParsedMessage(None, None, text)
